"""Terminal output with ``rich``: the execution tree, the run summary, performance
tables, and one line per event for live stdin mode."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from ansiscope.analytics.runtree import RunTree
from ansiscope.exporters.summary import fmt_rate, fmt_seconds
from ansiscope.parser.events import Event, HostResult, PlayStart, RunStart, StatusAmended, TaskStart
from ansiscope.redact import redact

STATUS_STYLE = {
    "ok": "green",
    "changed": "yellow",
    "failed": "bold red",
    "unreachable": "bold magenta",
    "skipped": "cyan",
    "ignored": "dim red",
    "rescued": "blue",
    "successful": "bold green",
    "interrupted": "bold yellow",
    "running": "yellow",
}


def styled(status: str) -> str:
    """A status word in its colour (the same colours everywhere)."""
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def render_tree(console: Console, run: RunTree) -> None:
    """The run as a tree: play → task → include → host result, handlers marked, then the recap."""
    root = Tree(f"[bold]{run.name}[/] ({run.format.value}, run {run.run_id})")
    for play in run.plays.values():
        batches = f" [dim]({play.batches} serial batches)[/]" if play.batches > 1 else ""
        pnode = root.add(f"[bold]PLAY[/] {play.name or '(unnamed)'}{batches}")
        if not play.tasks:
            pnode.add("[dim]no hosts matched[/]")
        for task in play.tasks.values():
            kind = "HANDLER" if task.handler else "TASK"
            label = f"{kind} {task.name} [dim]{fmt_seconds(task.duration_s)}[/]"
            tnode = pnode.add(label)
            for inc in task.includes:
                tnode.add(f"[dim]included[/] {inc.path} for {', '.join(inc.hosts) or 'hosts'}")
            for r in task.results:
                extra = []
                if r.items_total:
                    extra.append(
                        f"{r.items_total} items"
                        + (f", {r.items_failed} failed" if r.items_failed else "")
                    )
                if r.attempts > 1:
                    extra.append(f"{r.attempts} attempts")
                if r.delegated_to:
                    extra.append(f"-> {r.delegated_to}")
                if r.duration_s is not None:
                    extra.append(fmt_seconds(r.duration_s))
                line = f"{r.host}: {styled(r.status.value)}"
                if extra:
                    line += f" [dim]({'; '.join(extra)})[/]"
                if (
                    r.status.value in ("failed", "unreachable", "ignored", "rescued")
                    and r.msg
                    and not r.no_log
                ):
                    line += f" — {_escape(redact(r.msg) or '')[:200]}"
                tnode.add(line)
    console.print(root)


def render_summary(console: Console, run: RunTree) -> None:
    """Headline numbers, the recap table, top-10 slowest tasks, failed hosts."""
    counts = run.status_counts()
    console.print(
        f"[bold]{run.name}[/]  status {styled(run.status.value)}  "
        f"duration {fmt_seconds(run.duration_s)}  success {fmt_rate(run.success_rate)}"
    )
    console.print(
        f"plays {len(run.plays)}  tasks {run.tasks_total}  hosts {len(run.hosts)}  "
        + "  ".join(f"{styled(k)} {v}" for k, v in counts.items() if v)
    )
    if run.clock.value == "arrival":
        console.print(
            "[dim]durations measured from line arrival (live stdin, no timestamps in the log)[/]"
        )
    elif run.duration_s is None:
        console.print("[dim]durations unknown: the log has no timestamps (enable profile_tasks)[/]")
    recap = Table(title=f"Recap ({run.stats_source})", title_justify="left")
    for col in ("host", "ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"):
        recap.add_column(col, justify="left" if col == "host" else "right")
    for host, s in sorted(run.stats.items()):
        recap.add_row(
            host,
            str(s.ok),
            str(s.changed),
            str(s.unreachable),
            str(s.failures),
            str(s.skipped),
            str(s.rescued),
            str(s.ignored),
        )
    console.print(recap)
    render_slowest(console, run)
    if run.failed_hosts:
        console.print(f"[bold red]Failed hosts:[/] {', '.join(run.failed_hosts)}")
    if run.unreachable_hosts:
        console.print(f"[bold magenta]Unreachable hosts:[/] {', '.join(run.unreachable_hosts)}")
    for rejected in run.rejected[:5]:
        console.print(f"[yellow]skipped input:[/] {_escape(rejected.message())}")


def render_slowest(console: Console, run: RunTree, limit: int = 10) -> None:
    """Top slowest tasks with their slowest host and share of the run."""
    slowest = run.slowest_tasks(limit)
    if not slowest:
        return
    table = Table(title="Slowest tasks", title_justify="left")
    for col in ("task", "play", "duration", "share", "slowest host"):
        table.add_column(col, justify="right" if col in ("duration", "share") else "left")
    for play, task in slowest:
        share = f"{(task.duration_s or 0) / run.duration_s * 100:.0f}%" if run.duration_s else "—"
        slow = task.slowest
        host = f"{slow.host} ({fmt_seconds(slow.duration_s)})" if slow else "—"
        table.add_row(task.name, play.name, fmt_seconds(task.duration_s), share, host)
    console.print(table)


def render_performance(console: Console, run: RunTree) -> None:
    """``--performance``: per-host time and the slowest results."""
    per_host: dict[str, float] = {}
    for r in run.results():
        if r.duration_s is not None:
            per_host[r.host] = per_host.get(r.host, 0.0) + r.duration_s
    if per_host:
        table = Table(title="Time per host (sum of task durations)", title_justify="left")
        table.add_column("host")
        table.add_column("busy", justify="right")
        for host, total in sorted(per_host.items(), key=lambda kv: -kv[1]):
            table.add_row(host, fmt_seconds(total))
        console.print(table)
    else:
        console.print("[dim]no per-host durations in this log[/]")
    render_slowest(console, run, limit=25)


def render_event(console: Console, event: Event) -> None:
    """One line per structural event, for ``summary -`` while a playbook runs."""
    if isinstance(event, RunStart):
        console.print(f"[bold]run started[/] {event.playbook or ''} ({event.format.value})")
    elif isinstance(event, PlayStart):
        console.print(f"[bold]PLAY[/] {event.name}")
    elif isinstance(event, TaskStart):
        console.print(f"  {'HANDLER' if event.handler else 'TASK'} {event.name}")
    elif isinstance(event, HostResult):
        console.print(f"    {event.host}: {styled(event.status.value)}")
    elif isinstance(event, StatusAmended):
        console.print(f"    {event.host}: now {styled(event.status.value)} (per the recap)")


def _escape(text: str) -> str:
    return text.replace("[", "\\[")
