"""Reports in every format on the sample runs: structure (not byte snapshots), the XSD,
the size cap, the canary and --redact-hosts."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import xmlschema

from ansiscope.analytics.runtree import assemble
from ansiscope.exporters.report import report_html, report_json, report_junit, report_markdown
from ansiscope.parser import jsonl
from ansiscope.redact import MASK, HostPseudonyms, redact
from tests.analytics.history import write_run
from tests.clirun import run_cli, run_ok
from tests.conftest import CANARY, SAMPLES, runs_of, sample_paths
from tests.ingest.helpers import ingest

XSD = xmlschema.XMLSchema(str(Path(__file__).parent / "assets" / "junit.xsd"))
SITE = SAMPLES / "jsonl/site-2.19.jsonl"


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> Collect:
    c = Collect()
    c.feed(text)
    return c


def test_html_report_structure() -> None:
    (run,) = runs_of(SITE)
    page = parse_html(report_html(run))
    cards = {a.get("data-card") for t, a in page.tags if t == "div" and a.get("class") == "card"}
    assert cards == {
        "status",
        "duration",
        "success rate",
        "hosts",
        "failed",
        "changed",
        "unreachable",
    }
    ids = {a.get("id") for _, a in page.tags}
    assert {"slowest", "timeline", "failures", "tree", "timeline-chart"} <= ids
    scripts = [a for t, a in page.tags if t == "script"]
    assert scripts and not any(a.get("src") for a in scripts)  # self-contained: nothing to fetch
    text = "".join(page.text)
    assert "Plotly" in text and "app04" in text and "One or more items failed" in text
    plays = [a for t, a in page.tags if t == "details" and a.get("class") == "play"]
    assert len(plays) == len(run.plays)


def test_markdown_json_junit(tmp_path: Path) -> None:
    (run,) = runs_of(SITE)
    md = report_markdown(run)
    assert md.startswith(f"## {run.name} — failed") and "### Failures" in md
    doc = json.loads(report_json(run))
    assert doc["schema_version"] == 1 and doc["run"]["run_id"] == run.run_id
    assert doc["gate"] is None and doc["critical_path"][0]["straggler"] in run.hosts
    xml = report_junit(run)
    XSD.validate(xml.decode())
    suites = re.findall(rb"<testsuite name=", xml)
    assert len(suites) == len(run.plays)
    assert xml.count(b"<failure") == sum(
        1 for r in run.results() if r.status.value in ("failed", "unreachable")
    )


def test_markdown_stays_under_64kb_on_a_huge_run() -> None:
    lines = []
    prefix = "0a0a0a0a-0001-6e72-2971-"
    lines.append(
        json.dumps(
            {
                "_event": "v2_playbook_on_play_start",
                "_timestamp": "2026-11-29T03:00:00Z",
                "play": {"id": prefix + "000000000001", "name": "big", "path": "/srv/big.yml:1"},
            }
        )
    )
    for t in range(400):
        task = {
            "id": f"{prefix}{t + 2:012d}",
            "name": f"task {t}",
            "duration": {"start": "2026-11-29T03:00:00Z", "end": "2026-11-29T03:00:01Z"},
        }
        for h in range(20):
            lines.append(
                json.dumps(
                    {
                        "_event": "v2_runner_on_failed",
                        "task": task,
                        "hosts": {f"host{h:03d}": {"failed": True, "msg": "x" * 400}},
                    }
                )
            )
    (run,), _ = assemble(jsonl.parse_string("\n".join(lines) + "\n"))
    md = report_markdown(run)
    assert len(md.encode()) <= 64 * 1024 and "truncated to stay under 64 KB" in md


def test_the_canary_appears_in_no_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert CANARY in (SAMPLES / "playbooks/site.yml").read_text()
    db = str(tmp_path / "r.duckdb")
    con_paths = [p for p in sample_paths() if "site" in p.name]
    from tests.ingest.helpers import open_duckdb

    store = open_duckdb(db)
    ingest(store, *con_paths)
    ids = [r[0] for r in store.con.execute("SELECT run_id FROM runs").fetchall()]
    store.close()
    for fmt in ("html", "markdown", "json", "junit"):
        for source in [str(p) for p in con_paths] + ids[:3]:
            result = run_cli(capsys, "report", source, "--format", fmt, "--db", db)
            assert result.code == 0, result.err
            assert CANARY not in result.out


def test_redact_hosts_leaves_no_host_or_ip(capsys: pytest.CaptureFixture[str]) -> None:
    (run,) = runs_of(SITE)
    hosts = set(run.hosts)
    for fmt in ("html", "markdown", "json", "junit"):
        out = run_ok(capsys, "report", str(SITE), "--format", fmt, "--redact-hosts").out
        for host in hosts:
            assert not re.search(rf"(?<![\w-]){re.escape(host)}(?![\w-])", out), (fmt, host)
        assert "127.0.0.1" not in out
        assert "host-01" in out


def test_secret_shapes_are_masked() -> None:
    corpus = {
        "password=hunter2 and more": "hunter2",
        "Authorization: Bearer abc.def.ghi": "abc.def.ghi",
        "url https://deploy:t0ps3cret@git.example.com/repo": "t0ps3cret",
        "key AKIAIOSFODNN7EXAMPLE here": "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----": "MIIEabc",
        "token: ghp_abcdefghijklmnopqrstuvwxyz0123456789": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "api_key='s3cr3t-value'": "s3cr3t-value",
    }
    for text, secret in corpus.items():
        masked = redact(text) or ""
        assert secret not in masked and MASK in masked, text


def test_pseudonyms_are_stable() -> None:
    p = HostPseudonyms(["web01", "web1", "db01"])
    text = p.apply(
        "web01 talked to web1 and db01 at 10.0.0.5 then 10.0.0.5 and fe80::1:2:3 at 03:00:01"
    )
    assert text == "host-02 talked to host-03 and host-01 at ip-01 then ip-01 and ip-02 at 03:00:01"


def test_report_of_a_stored_run_has_the_gate_and_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    from ansiscope.store import open_store

    db = tmp_path / "h.duckdb"
    store = open_store(db)
    ingest(store, *(write_run(logs, i) for i in range(12)))
    store.close()
    out = run_ok(capsys, "report", "latest", "--db", str(db), "--format", "html").out
    page = parse_html(out)
    assert "gate" in {a.get("id") for _, a in page.tags}
    assert any(t == "svg" and a.get("class") == "spark" for t, a in page.tags)
    doc = json.loads(run_ok(capsys, "report", "latest", "--db", str(db), "--format", "json").out)
    assert doc["gate"]["verdict"] == "pass" and len(doc["history"]["Build the release"]) == 12
