# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The main job on the embedded default: summarise every sample run.
run: $(STAMP)
	@for f in sample_logs/jsonl/site-2.19.jsonl sample_logs/json/site-2.19.json \
	          sample_logs/runner/site-2.19 sample_logs/text/site-profile-2.19.txt; do \
	  $(BIN)/ansiscope summary $$f --no-tree; echo; \
	done; true

test: $(STAMP)
	$(BIN)/ruff check ansiscope tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check ansiscope tests bench
	$(BIN)/ruff format --check ansiscope tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/parse.py 200000

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
