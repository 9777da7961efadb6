"""The gate scored through the product: realistic jsonl runs gated one by one by the CLI.

    python bench/gate_e2e.py [RUNS] [TASKS] [--seeds N] [--hosts H] [--min-base S]

Per seed: a playbook of TASKS tasks on H hosts (Ansible-like ids: a per-process
prefix shared by the play and its tasks, a per-task counter), base durations
log-uniform 0.5 s (``--min-base``) to 120 s with log-normal noise (CV 5–30%) per host; half of the tasks
step up by +20..200% at a random run (from run 15 on). Each run is written as an
``ansible.posix.jsonl`` file and gated as CI would (``ansiscope gate --file RUN.jsonl
--db STORE --format json``, in this process). Every task finding is scored with the
rules of bench/regressions.py: an alert is a ``regression`` verdict, alerts 1–3 runs
apart are one episode and a new episode after a longer gap is a false alert; recall
within 0/1/5 runs of the step; flapping = alerts resuming after 1–3 quiet runs. Steps
smaller than the detector's absolute floor (0.1 s) are labelled too, so recall@5 has
that ceiling; the last columns give the share of steps that clear it and the recall@5
among those.
Defaults (45 runs × 100 tasks × 1 seed) take a few minutes here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from regressions import GAP, _resumed, episodes

from ansiscope.analytics.detector import Params
from ansiscope.cli import main as cli_main

MIN_HISTORY = 10


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_run(path: Path, index: int, durations: np.ndarray, rng: np.random.Generator) -> None:
    """One run: ``durations[task, host]`` seconds, one task after another."""
    prefix = "-".join(f"{rng.integers(16**n):0{n}x}" for n in (8, 4, 4, 4)) + "-"
    start = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=index)
    hosts = [f"web{h:02d}" for h in range(durations.shape[1])]
    lines = [
        {
            "_event": "v2_playbook_on_play_start",
            "_timestamp": _ts(start),
            "play": {
                "id": f"{prefix}{1:012d}",
                "name": "Site",
                "path": "/srv/site.yml:1",
                "duration": {"start": _ts(start)},
            },
        }
    ]
    cursor = start
    stats = {h: {"ok": 0, "changed": 0, "failures": 0, "unreachable": 0} for h in hosts}
    for t_no, row in enumerate(durations):
        task = {
            "id": f"{prefix}{t_no + 2:012d}",
            "name": f"Configure component {t_no:03d}",
            "path": f"/srv/roles/app/tasks/main.yml:{t_no * 4 + 1}",
            "duration": {"start": _ts(cursor)},
        }
        lines.append(
            {"_event": "v2_playbook_on_task_start", "_timestamp": _ts(cursor), "task": task}
        )
        ends = [cursor + timedelta(seconds=float(d)) for d in row]
        for host, end in zip(hosts, ends, strict=True):
            lines.append(
                {
                    "_event": "v2_runner_on_ok",
                    "_timestamp": _ts(end),
                    "task": dict(task, duration={"start": _ts(cursor), "end": _ts(end)}),
                    "hosts": {host: {"changed": False, "rc": 0, "action": "command"}},
                }
            )
            stats[host]["ok"] += 1
        cursor = max(ends)
    lines.append({"_event": "v2_playbook_on_stats", "_timestamp": _ts(cursor), "stats": stats})
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))


def gate_once(log: Path, db: Path, out: Path) -> dict:
    """``ansiscope gate --file LOG --db DB --format json --output OUT`` in this process."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        cli_main(
            ["gate", "--file", str(log), "--db", str(db), "--format", "json", "--output", str(out)]
        )
    return orjson.loads(out.read_bytes())


def run_seed(
    seed: int, runs: int, tasks: int, hosts: int, tmp: Path, min_base: float = 0.5
) -> dict[str, float]:
    """Write and gate ``runs`` runs; score every task's verdicts."""
    rng = np.random.default_rng(seed)
    base = np.exp(rng.uniform(np.log(min_base), np.log(120), tasks))
    sigma = np.sqrt(np.log(1 + rng.uniform(0.05, 0.3, tasks) ** 2))
    steps = {
        int(i): int(rng.integers(15, runs - 5)) for i in np.flatnonzero(rng.random(tasks) < 0.5)
    }
    factor = {i: 1 + rng.uniform(0.2, 2.0) for i in steps}
    db = tmp / f"store-{seed}.duckdb"
    alerts: dict[int, list[int]] = {i: [] for i in range(tasks)}
    failed_runs = 0
    for r in range(runs):
        level = np.array(
            [base[i] * (factor[i] if i in steps and r >= steps[i] else 1.0) for i in range(tasks)]
        )
        noise = np.exp(rng.normal(-(sigma**2) / 2, sigma, (hosts, tasks))).T
        log = tmp / f"run-{seed}-{r:03d}.jsonl"
        write_run(log, r, level[:, None] * noise, rng)
        doc = gate_once(log, db, tmp / "gate.json")
        failed_runs += doc["verdict"] == "regression" and r >= MIN_HISTORY
        for f in doc["findings"]:
            if f["kind"] == "task" and f["verdict"] == "regression":
                alerts[int(f["task"].rsplit(" ", 1)[1])].append(r)
    floors = Params()  # steps under the detector's practical floors are never reported
    practical = {i for i in steps if base[i] * (factor[i] - 1) >= floors.min_abs_s}
    return _score(alerts, steps, runs, practical) | {
        "runs_failed_pct": 100 * failed_runs / (runs - MIN_HISTORY)
    }


def _score(
    alerts: dict[int, list[int]], steps: dict[int, int], runs: int, practical: set[int]
) -> dict[str, float]:
    tp = fp = stable = flaps = tp_practical = 0
    hits = {0: 0, 1: 0, 5: 0}
    for task, found in alerts.items():
        end = steps.get(task, runs)
        stable += max(0, end - MIN_HISTORY)
        eps = episodes(found)
        fp += sum(1 for e in eps if e[0] < end)
        if task not in steps:
            continue
        after = [e for e in eps if e[0] >= end]
        flaps += _resumed([i for e in after for i in e])
        fp += max(0, len(after) - 1)
        if after and after[0][0] - end <= 5:
            tp += 1
            tp_practical += task in practical
            for d in hits:
                hits[d] += after[0][0] - end <= d
    n = max(1, len(steps))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall@0": hits[0] / n,
        "recall@1": hits[1] / n,
        "recall@5": recall,
        "f1": f1,
        "false_per_100": 100 * fp / max(1, stable),
        "flaps_per_100": 100 * flaps / n,
        "practical_recall@5": tp_practical / max(1, len(practical)),
        "practical_share": len(practical) / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="?", type=int, default=45)
    parser.add_argument("tasks", nargs="?", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument(
        "--min-base",
        type=float,
        default=0.5,
        help="shortest base duration (s); 0.1: many sub-second tasks",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    print(
        f"{args.runs} runs × {args.tasks} tasks × {args.hosts} hosts, gated one by one (GAP {GAP})"
    )
    print(
        "| seed | precision | recall@0 | recall@1 | recall@5 | F1 | false/100 | flaps/100 "
        "| runs failing % | steps ≥ floor | recall@5 of those |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            m = run_seed(seed, args.runs, args.tasks, args.hosts, Path(tmp), args.min_base)
            print(
                f"| {seed} | {m['precision']:.3f} | {m['recall@0']:.3f} | {m['recall@1']:.3f} | "
                f"{m['recall@5']:.3f} | {m['f1']:.3f} | {m['false_per_100']:.3f} | "
                f"{m['flaps_per_100']:.1f} | {m['runs_failed_pct']:.0f} | "
                f"{m['practical_share']:.3f} | {m['practical_recall@5']:.3f} |",
                flush=True,
            )
    print(f"({time.perf_counter() - started:.0f}s)")


if __name__ == "__main__":
    main()
