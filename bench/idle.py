"""Benchmark the service at rest: CPU while nothing is written, with N finished inputs
followed, then how long appended lines take to become queryable.

    python bench/idle.py N [--seconds S] [--appends K] [--keep DIR]

N inputs: a fifth are ansible-runner folders (181 job events each, copied from
``sample_logs/runner/site-2.19`` with their uuids rewritten so every copy is its own
run), the rest small jsonl files (``bench/jsonl_gen.py``). All are stored with
``ansiscope ingest``; then ``ansiscope serve --watch`` runs as a subprocess. Once
``/healthz`` reports no lag and a settling pause has passed, the process's CPU
(utime+stime from ``/proc/PID/stat``) is sampled over S seconds (default 30): that is
the idle cost, in % of one core. Then K runs (default 30) are appended one at a time
to a finished jsonl file; the clock stops when ``/api/runs`` lists the new run.
Prints CPU % and p50/p99/max append-to-queryable latency. Targets: ≤ 1 % of a core
at N = 10,000; p99 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from jsonl_gen import generate  # noqa: E402

RUNNER_SAMPLE = ROOT / "sample_logs/runner/site-2.19/job_events"
RUNNER_EVENTS = 181
CLK_TCK = os.sysconf("SC_CLK_TCK")


def runner_template() -> list[tuple[str, bytes]]:
    """The first 180 job events of the sample plus its stats event, as (name, bytes)."""
    files = sorted(RUNNER_SAMPLE.iterdir(), key=lambda p: int(p.name.split("-", 1)[0]))
    chosen = [*files[: RUNNER_EVENTS - 1], files[-1]]
    out = []
    for counter, path in enumerate(chosen, 1):
        name = re.sub(r"^\d+-", f"{counter}-", path.name)
        data = path.read_bytes().replace(
            f'"counter": {path.name.split("-", 1)[0]},'.encode(), f'"counter": {counter},'.encode()
        )
        out.append((name, data))
    return out


def write_runner(folder: Path, template: list[tuple[str, bytes]], n: int) -> None:
    """One runner artifacts folder whose uuids are its own (a distinct run)."""
    first_uuid = template[0][0].split("-", 1)[1].removesuffix(".json")
    fresh = f"{n:08x}-ba65-4633-9e28-d8acc1ec52b5"
    events = folder / "job_events"
    events.mkdir(parents=True)
    for name, data in template:
        name = name.replace(first_uuid, fresh).replace("02fc0000-0001-4ee5", f"{n:08x}-0001-4ee5")
        data = data.replace(first_uuid.encode(), fresh.encode()).replace(
            b"02fc0000-0001-4ee5", f"{n:08x}-0001-4ee5".encode()
        )
        (events / name).write_bytes(data)


def make_inputs(logs: Path, n: int) -> Path:
    """N finished inputs under ``logs``; returns the jsonl file the appends go to."""
    template = runner_template()
    runners = n // 5
    for i in range(runners):
        write_runner(logs / "runner" / f"r{i // 100:03d}" / f"run{i:05d}", template, i + 1)
    first = None
    for i in range(n - runners):
        folder = logs / "jsonl" / f"d{i // 200:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"run{i:05d}.jsonl"
        generate(path, 20, tasks=2, first_run=10 * i)
        first = first or path
    assert first is not None
    return first


def rank(ordered: list[float], q: float) -> float:
    """The nearest-rank quantile of sorted values."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def probe_run(k: int) -> bytes:
    """A whole jsonl run of playbook ``/srv/probe-K.yml`` (one task, one host)."""
    prefix = f"7e57{k:04x}-0001-6e72-2971-"
    stamp = "2027-01-01T00:00:00.000000Z"
    task = {"id": prefix + "000000000002", "name": "probe", "path": f"/srv/probe-{k}.yml:3"}
    lines = [
        {
            "_event": "v2_playbook_on_play_start",
            "_timestamp": stamp,
            "play": {
                "id": prefix + "000000000001",
                "name": "probe",
                "path": f"/srv/probe-{k}.yml:1",
                "duration": {"start": stamp},
            },
        },
        {"_event": "v2_playbook_on_task_start", "task": dict(task, duration={"start": stamp})},
        {
            "_event": "v2_runner_on_ok",
            "_timestamp": stamp,
            "task": dict(task, duration={"start": stamp, "end": stamp}),
            "hosts": {"probe": {"changed": False, "rc": 0}},
        },
        {
            "_event": "v2_playbook_on_stats",
            "_timestamp": stamp,
            "stats": {
                "probe": {
                    "ok": 1,
                    "changed": 0,
                    "failures": 0,
                    "unreachable": 0,
                    "skipped": 0,
                    "rescued": 0,
                    "ignored": 0,
                }
            },
        },
    ]
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def wait_settled(base: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ansiscope serve exited with {proc.returncode}")
        try:
            health = json.loads(get(f"{base}/healthz"))
            if health["ingest_lag_seconds"] == 0:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the service did not settle")


def measure(
    logs: Path, db: Path, append_to: Path, seconds: float, appends: int, src: Path = ROOT
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "ansiscope", "serve", "--db", str(db), "--watch", str(logs)]
    cmd += ["--port", str(port), "--dashboard-port", "0"]
    proc = subprocess.Popen(cmd, cwd=src, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.monotonic()
        wait_settled(base, proc, 600)
        time.sleep(15)  # the first rescans, and a first analysis, are start-up, not rest
        print(f"settled {time.monotonic() - started:.0f}s after start")
        before, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(seconds)
        used, wall = cpu_seconds(proc.pid) - before, time.monotonic() - t0
        print(f"idle: {used:.2f} s CPU in {wall:.0f} s = {100 * used / wall:.1f} % of one core")
        latencies = []
        for k in range(appends):
            time.sleep(random.uniform(0.1, 0.5))
            t = time.perf_counter()
            with append_to.open("ab") as out:
                out.write(probe_run(k))
            while not json.loads(get(f"{base}/api/runs?playbook=probe-{k}.yml&limit=1")):
                time.sleep(0.005)
            latencies.append(time.perf_counter() - t)
        latencies.sort()
        print(
            f"append-to-queryable ({appends} runs appended to a finished file): "
            f"p50 {rank(latencies, 0.5) * 1000:.0f} ms · "
            f"p99 {rank(latencies, 0.99) * 1000:.0f} ms · "
            f"max {latencies[-1] * 1000:.0f} ms (target p99 ≤ 1000 ms)"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--appends", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the inputs and store here")
    parser.add_argument(
        "--src",
        type=Path,
        default=ROOT,
        help="serve with the ansiscope in this folder (before/after)",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ansiscope-idle-")) if args.keep is None else args.keep
    logs, db = tmp / "logs", tmp / "store.duckdb"
    try:
        if not logs.exists():
            t = time.monotonic()
            make_inputs(logs, args.n)
            subprocess.run(
                [sys.executable, "-m", "ansiscope", "ingest", str(logs), "--db", str(db)],
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            print(f"{args.n} inputs written and stored in {time.monotonic() - t:.0f}s")
        append_to = next((logs / "jsonl").rglob("*.jsonl"))
        copy = tmp / "store-run.duckdb"
        shutil.copy(db, copy)  # the appends change the store: measure on a copy
        print(f"ansiscope serve following {args.n} finished inputs ({args.n // 5} runner folders)")
        size = append_to.stat().st_size
        try:
            measure(logs, copy, append_to, args.seconds, args.appends, args.src)
        finally:
            os.truncate(append_to, size)  # as it was: --keep reuses it
            copy.unlink(missing_ok=True)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
