"""What ansiscope's callback costs a real playbook: wall time with and without it.

    .venv/bin/python bench/callback_overhead.py [HOSTSxTASKS] [RUNS] [FORKS]

Default 20x30 (20 local-connection hosts, 30 tasks), 5 runs each way, forks 10.
Runs alternate (without, with, without, ...) so drift on a shared machine hits both
sides alike; the medians are compared. Target: the callback adds ≤3% wall time.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ROOT / "ansiscope/ansible_plugins/callback"
BIN = Path(sys.executable).parent


def write_project(folder: Path, hosts: int, tasks: int) -> Path:
    """An inventory of local hosts and a playbook of cheap, real module calls."""
    names = "\n".join(f"h{i:03d}" for i in range(hosts))
    (folder / "inventory.ini").write_text(
        f"[bench]\n{names}\n\n[bench:vars]\nansible_connection=local\n"
        "ansible_python_interpreter={{ ansible_playbook_python }}\n"
    )
    body = []
    for n in range(tasks):
        module = (
            "ansible.builtin.ping:",
            "ansible.builtin.command: /bin/true",
            "ansible.builtin.stat:\n        path: /",
        )[n % 3]
        body.append(f"    - name: Task {n}\n      {module}\n      changed_when: false")
    book = folder / "bench.yml"
    book.write_text(
        "- name: Bench\n  hosts: bench\n  gather_facts: false\n  tasks:\n" + "\n".join(body) + "\n"
    )
    return book


def run(book: Path, forks: int, log_dir: Path | None) -> float:
    """Seconds one ansible-playbook run takes (stdout discarded, as a CI log would keep it)."""
    env = {
        **os.environ,
        "ANSIBLE_INVENTORY": str(book.parent / "inventory.ini"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }
    if log_dir is not None:
        env |= {
            "ANSIBLE_CALLBACK_PLUGINS": str(PLUGINS),
            "ANSIBLE_CALLBACKS_ENABLED": "ansiscope",
            "ANSISCOPE_LOG_DIR": str(log_dir),
        }
    cmd = [str(BIN / "ansible-playbook"), book.name, "-f", str(forks)]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=book.parent, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    size = sys.argv[1] if len(sys.argv) > 1 else "20x30"
    hosts, tasks = (int(x) for x in size.split("x"))
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    forks = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    folder = Path(tempfile.mkdtemp(prefix="ansiscope-cb-bench-"))
    try:
        book = write_project(folder, hosts, tasks)
        logs = folder / "logs"
        run(book, forks, None)  # warm the disk cache and ansible's imports
        without, with_cb = [], []
        for i in range(runs):
            without.append(run(book, forks, None))
            with_cb.append(run(book, forks, logs))
            print(f"run {i + 1}: without {without[-1]:.2f} s, with {with_cb[-1]:.2f} s", flush=True)
        base, rec = statistics.median(without), statistics.median(with_cb)
        size_kb = sum(p.stat().st_size for p in logs.iterdir()) / runs / 1024
        print(f"{hosts} hosts x {tasks} tasks, forks {forks}, {runs} runs each")
        print(f"median without callback: {base:.2f} s")
        print(f"median with callback:    {rec:.2f} s  ({(rec / base - 1) * 100:+.1f}%)")
        print(f"file per run: {size_kb:.0f} KiB, {hosts * tasks} host results")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
