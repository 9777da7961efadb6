"""Mutation fuzzing of every input format through every command (minutes, not a test).

    python -m tests.fuzz [SEEDS] [--start N] [--format jsonl|json|text|runner]

Each seed mutates a sample log (values of the wrong type, numbers past 64 bits, deleted
keys; text lines with numbers changed, cut, doubled or mixed with another log; runner
event files) and runs it through ``summary`` with every output, ``ingest``, ``runs``,
``report`` in every format, ``gate`` and the metrics collector. A traceback anywhere is a
crash: printed with its seed (the same seed gives the same input) and the input kept
under ``--keep`` (default ``/tmp/ansiscope-fuzz``). Exit status 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from prometheus_client import CollectorRegistry, generate_latest

from ansiscope.cli import cli
from ansiscope.errors import AnsiscopeError
from ansiscope.exporters.metrics import Findings, StoreCollector
from ansiscope.store import open_store
from tests.conftest import SAMPLES

ODD: list[Any] = [
    None, 0, -1, 2**70, -(2**70), 1.5e308, 3.25, "", "x" * 3000, "\U0001f600", [], {},
    [1, "a"], {"a": {"b": []}}, True, False, "2026-13-45T99:99:99Z", "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00", "0:00:00.1", "99999999:00:00", "-1", "<script>x</script>", "a\x00b",
]  # fmt: skip
NUMBERS = ["0", "9" * 26, "9" * 400, "-5", "1e999"]
FORMATS = ("jsonl", "json", "text", "runner")


def mutate(value: Any, rng: random.Random, p: float) -> Any:
    """``value`` with about ``p`` of its parts replaced by odd values or dropped."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            r = rng.random()
            if r < p * 0.3:
                continue
            out[key] = rng.choice(ODD) if r < p else mutate(item, rng, p)
        return out
    if isinstance(value, list):
        return [mutate(item, rng, p) for item in value if rng.random() > p * 0.3]
    if isinstance(value, str) and rng.random() < p:
        return rng.choice([o for o in ODD if isinstance(o, str)])
    return value


def mutate_text(data: bytes, rng: random.Random, p: float) -> bytes:
    out = []
    for line in data.decode("utf-8", "replace").splitlines(keepends=True):
        r = rng.random()
        if r < p * 0.2:
            continue
        if r < p * 0.4:
            out += [line, line]
            continue
        if r < p:
            line = re.sub(r"\d+", lambda m: rng.choice([*NUMBERS, m.group()]), line)
        if rng.random() < p * 0.1:
            line = line[: rng.randrange(len(line) + 1)]
        out.append(line)
    if rng.random() < 0.5:  # lines of another log mixed in
        other = _pick(rng, "text/*").read_text(errors="replace").splitlines(keepends=True)
        for _ in range(rng.randrange(1, 20)):
            out.insert(rng.randrange(len(out) + 1), rng.choice(other))
    return "".join(out).encode("utf-8", "replace")


def _pick(rng: random.Random, pattern: str) -> Path:
    return rng.choice(sorted(SAMPLES.glob(pattern)))


def make_input(seed: int, folder: Path, fmt: str | None) -> tuple[Path, Path]:
    """(the sample, its mutant written under ``folder``) for ``seed``."""
    rng = random.Random(seed)
    p = rng.choice([0.01, 0.05, 0.2])
    kind = fmt or FORMATS[seed % len(FORMATS)]
    if kind == "jsonl":
        src = _pick(rng, "jsonl/*.jsonl")
        lines = []
        for line in src.read_bytes().splitlines():
            try:
                lines.append(json.dumps(mutate(json.loads(line), rng, p)).encode())
            except ValueError:
                lines.append(line)
        out = folder / "fuzz.jsonl"
        out.write_bytes(b"\n".join(lines) + b"\n")
    elif kind == "json":
        src = _pick(rng, "json/site-*.json")  # the killed-* ones are cut off: not JSON
        out = folder / "fuzz.json"
        out.write_text(json.dumps(mutate(json.loads(src.read_bytes()), rng, p)))
    elif kind == "text":
        src = _pick(rng, "text/*.txt")
        out = folder / "fuzz.txt"
        out.write_bytes(mutate_text(src.read_bytes(), rng, p))
    else:
        src = _pick(rng, "runner/*")
        out = folder / "artifacts"
        shutil.copytree(src, out)
        for event in sorted((out / "job_events").glob("*.json")):
            event.write_text(json.dumps(mutate(json.loads(event.read_bytes()), rng, p)))
    return src, out


def _invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args), catch_exceptions=True)
    exc = result.exception
    if exc is not None and not isinstance(exc, (SystemExit, AnsiscopeError)):
        raise exc
    return result.exit_code, result.output


def exercise(path: Path, folder: Path) -> None:
    """Every command over ``path``; raises what any of them raised."""
    runner = CliRunner()
    outputs = {k: str(folder / f"out.{k}") for k in ("json", "markdown", "html", "junit")}
    _invoke(runner, "summary", str(path), "--performance",
            *(a for k, v in outputs.items() for a in (f"--{k}", v)))  # fmt: skip
    if Path(outputs["json"]).exists():
        json.loads(Path(outputs["json"]).read_text())
    db = str(folder / "fuzz.duckdb")
    _invoke(runner, "ingest", str(path), "--db", db, "-q")
    code, out = _invoke(runner, "runs", "--db", db, "--format", "json")
    runs = json.loads(out) if code == 0 else []
    for run in runs[:2]:
        for fmt in ("html", "markdown", "json", "junit"):
            code, out = _invoke(runner, "report", run["run_id"], "--db", db, "--format", fmt)
            if fmt == "json" and code == 0:
                json.loads(out)
    if runs:
        _invoke(runner, "summary", "latest", "--db", db, "--performance")
        _invoke(runner, "gate", "--db", db, "--run", "latest")
    store = open_store(Path(db))
    try:
        registry = CollectorRegistry()
        registry.register(StoreCollector(store.reader))
        Findings().refresh(store)
        generate_latest(registry)
    finally:
        store.close()


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("seeds", type=int, nargs="?", default=100)
    args.add_argument("--start", type=int, default=0)
    args.add_argument("--format", choices=FORMATS)
    args.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir()) / "ansiscope-fuzz")
    opts = args.parse_args()
    crashes = 0
    for seed in range(opts.start, opts.start + opts.seeds):
        folder = Path(tempfile.mkdtemp(prefix="ansiscope-fuzz-"))
        src = path = folder
        try:
            src, path = make_input(seed, folder, opts.format)
            exercise(path, folder)
        except Exception:
            crashes += 1
            print(f"crash: seed {seed} (from {src})")
            traceback.print_exc()
            opts.keep.mkdir(parents=True, exist_ok=True)
            kept = opts.keep / f"seed-{seed}-{path.name}"
            shutil.rmtree(kept, ignore_errors=True)
            (shutil.copytree if path.is_dir() else shutil.copy)(path, kept)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{crashes} crashes in {opts.seeds} seeds (from {opts.start})")
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
