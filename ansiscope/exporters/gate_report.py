"""The gate's verdict as text, Markdown (a PR summary, ≤64 KB), JSON and JUnit XML."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import orjson

from ansiscope.analytics.detector import Verdict
from ansiscope.analytics.gate import FailOn, Finding, FindingKind, GateResult
from ansiscope.exporters.summary import fmt_seconds
from ansiscope.store.invocation import describe

MAX_MARKDOWN = 64 * 1024


def headline(result: GateResult, fail_on: FailOn = FailOn.REGRESSION) -> str:
    """``2 regressions, 3 suspects, 41 tasks OK, 2 new, 1 with too little history``; a
    regression that cannot fail the gate (a task with a small share of the time, one
    host, a change under the gate's 1 s) is counted and said so: ``2 regressions (1 not gated)``."""
    gating = [f for f in result.findings if f.gating or f.verdict is Verdict.REGRESSION]
    c = {v: sum(1 for f in gating if f.verdict is v) for v in Verdict}
    not_gated = sum(1 for f in gating if f.verdict is Verdict.REGRESSION and not f.can_fail)
    tasks_ok = sum(
        1
        for f in result.findings
        if f.kind == FindingKind.TASK and f.verdict in (Verdict.OK, Verdict.IMPROVED)
    )
    parts = [
        _plural(c[Verdict.REGRESSION], "regression")
        + (f" ({not_gated} not gated)" if not_gated else ""),
        _plural(c[Verdict.SUSPECT], "suspect"),
        f"{tasks_ok} tasks OK",
        f"{sum(1 for f in result.findings if f.kind == FindingKind.TASK and f.verdict is Verdict.NEW)} new",
        f"{sum(1 for f in result.findings if f.kind in (FindingKind.TOTAL, FindingKind.TASK) and f.verdict is Verdict.INSUFFICIENT)} with too little history",
    ]
    if c[Verdict.ACKNOWLEDGED]:
        parts.append(f"{c[Verdict.ACKNOWLEDGED]} acknowledged")
    verdict = "FAIL" if result.failing(fail_on) else "PASS"
    return f"{verdict}: " + ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# what a person reads in a table; JSON and JUnit's types keep the enum's values
VERDICT_TEXT = {Verdict.INSUFFICIENT: "too little history"}


def _verdict(v: Verdict) -> str:
    return VERDICT_TEXT.get(v, v.value)


def _name(f: Finding) -> str:
    if f.kind == FindingKind.TOTAL:
        return "playbook total"
    name = f.task or "?"
    if f.kind == FindingKind.FAILURE_RATE:
        return f"{name} (failure rate)"
    return name + (f" [{f.series}]" if f.series == "changed" else "")


def _row(f: Finding) -> list[str]:
    b = f.baseline
    if f.kind == FindingKind.FAILURE_RATE:
        return [
            _name(f),
            f.host or "all",
            "–",
            f"{(f.value or 0) * 100:.0f}% failed",
            f"{(f.delta_rel or 0) * 100:+.0f} pts",
            "–",
            "–",
            "–",
            f.reason or _verdict(f.verdict),
        ]
    return [
        _name(f),
        f.host or "all",
        f"{fmt_seconds(b.median)} ({fmt_seconds(b.p10)}–{fmt_seconds(b.p90)})" if b else "–",
        fmt_seconds(f.value),
        f"{f.delta_rel * 100:+.0f}%" if f.delta_rel is not None and b else "–",
        f"{f.delta_s:+.1f} s" if f.delta_s is not None and b else "–",
        f"{f.z:.1f}" if f.z is not None and b else "–",
        str(b.n) if b else "0",
        _verdict(f.verdict)
        + (", not gated" if f.verdict is Verdict.REGRESSION and not f.can_fail else "")
        + (f" ({f.reason})" if f.reason and (f.since_run or _acked(f)) else ""),
    ]


def _acked(f: Finding) -> bool:
    return f.verdict is Verdict.ACKNOWLEDGED


HEADER = [
    "task",
    "hosts",
    "baseline median (p10–p90)",
    "this run",
    "Δ%",
    "Δs",
    "z",
    "runs",
    "verdict",
]


def _table(rows: list[list[str]]) -> str:
    esc = [[c.replace("|", "\\|") for c in r] for r in rows]
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in esc])


def markdown(result: GateResult, fail_on: FailOn = FailOn.REGRESSION) -> str:
    """The PR summary: the verdict line, gating findings, then everything collapsed."""
    notable = {Verdict.REGRESSION, Verdict.SUSPECT, Verdict.ACKNOWLEDGED}
    top = [
        f
        for f in result.findings
        if f.verdict in notable and (f.gating or f.verdict is Verdict.REGRESSION)
    ]
    head = [
        f"### ansiscope gate: {headline(result, fail_on)}",
        "",
        f"Run `{result.run_id}` of `{result.playbook or '?'}` against {result.history_runs} "
        f"earlier successful runs of the same shape ({describe(result.shape)}).",
        "",
    ]
    body = [_table([_row(f) for f in top]), ""] if top else ["No gating finding.", ""]
    rest = [_row(f) for f in result.findings]
    out = "\n".join(head + body)
    details_head = f"<details><summary>All {len(rest)} evaluated series</summary>\n\n"
    tail = "\n\n</details>\n"
    budget = MAX_MARKDOWN - len(out.encode()) - len(details_head) - len(tail) - 200
    kept: list[list[str]] = []
    used = 0
    for row in rest:
        size = len(("| " + " | ".join(row) + " |\n").encode())
        if used + size > budget:
            break
        kept.append(row)
        used += size
    out += details_head + _table(kept)
    if len(kept) < len(rest):
        out += f"\n\n… {len(rest) - len(kept)} more series left out to stay under 64 KB (see the JSON report)."
    return out + tail


def json_bytes(result: GateResult, fail_on: FailOn = FailOn.REGRESSION) -> bytes:
    """The gate's JSON report, indented, with a trailing newline."""
    return (
        orjson.dumps(
            result.document(fail_on), option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY
        )
        + b"\n"
    )


def junit(result: GateResult, fail_on: FailOn = FailOn.REGRESSION) -> bytes:
    """One testcase per gated series: <failure> for regressions, <skipped> when neutral."""
    gated = [f for f in result.findings if f.gating]
    failing = {id(f) for f in result.failing(fail_on)}
    suite = ET.Element(
        "testsuite",
        name=f"ansiscope gate: {result.playbook or '?'}",
        tests=str(len(gated)),
        failures=str(len(failing)),
        skipped=str(
            sum(
                1
                for f in gated
                if f.verdict in (Verdict.INSUFFICIENT, Verdict.ACKNOWLEDGED, Verdict.NEW)
            )
        ),
    )
    for f in gated:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"ansiscope.gate.{f.kind}",
            name=_name(f),
            time=f"{f.value or 0:.3f}" if f.kind != FindingKind.FAILURE_RATE else "0",
        )
        detail = " · ".join(f"{h}: {c}" for h, c in zip(HEADER, _row(f), strict=True))
        if id(f) in failing:
            ET.SubElement(
                case, "failure", message=f"{_name(f)}: {f.verdict}", type=str(f.verdict)
            ).text = detail
        elif f.verdict in (Verdict.INSUFFICIENT, Verdict.ACKNOWLEDGED, Verdict.NEW):
            ET.SubElement(
                case, "skipped", message=f"{f.verdict}" + (f": {f.reason}" if f.reason else "")
            )
    suites = ET.Element("testsuites")
    suites.append(suite)
    xml: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return xml + b"\n"


def text_rows(result: GateResult) -> list[list[str]]:
    """Rows for the terminal table: gating series and anything not OK."""
    quiet = {Verdict.OK, Verdict.INSUFFICIENT, Verdict.NEW}
    return [
        _row(f)
        for f in result.findings
        if (f.gating and f.kind != FindingKind.FAILURE_RATE) or f.verdict not in quiet
    ]
