# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

# The parser's hot modules are compiled at install (setup.py, mypyc; the list is
# native.py's COMPILED): editing the parser reinstalls, so compiled code never lags.
$(STAMP): pyproject.toml setup.py $(wildcard ansiscope/parser/*.py)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

DB ?= ansiscope.duckdb

PORT ?= 9464

# The main job on the embedded default: store sample_logs/ in DuckDB, then serve it
# (dashboard, /metrics, /healthz, the API) while following sample_logs/ for new runs.
run: $(STAMP)
	$(BIN)/ansiscope ingest sample_logs --db $(DB)
	$(BIN)/ansiscope runs --db $(DB) --limit 5
	$(BIN)/ansiscope serve --db $(DB) --watch sample_logs --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check ansiscope tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q

# The hygiene no linter checks (one exception base, chained causes, no shadowed
# builtins) are read from the source by tests/test_hygiene.py: a second, so lint runs it.
lint: $(STAMP)
	$(BIN)/ruff check ansiscope tests bench
	$(BIN)/ruff format --check ansiscope tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q -p no:cacheprovider tests/test_hygiene.py

bench: $(STAMP)
	$(BIN)/python bench/parse.py 200000
	$(BIN)/python bench/parse.py 200000 --short
	$(BIN)/python bench/ingest.py 200000
	$(BIN)/python bench/watch_latency.py 200
	$(BIN)/python bench/regressions.py 100 --seeds 2
	$(BIN)/python bench/gate_e2e.py 45 100
	$(BIN)/python bench/gate.py 1000
	$(BIN)/python bench/scrape.py 1000000
	$(BIN)/python bench/dashboard.py 1000000

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
