"""Slack and Teams delivery against a local HTTP server: payload shapes, retry on 429,
timeouts, and the webhook URL never in any output."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansiscope.exporters.notify import deliver, slack_payload, teams_payload
from tests.clirun import run_cli
from tests.conftest import SAMPLES, runs_of

SITE = SAMPLES / "jsonl/site-2.19.jsonl"


class Hook:
    """A webhook receiver: answers from a script of status codes, records bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.script: list[int] = []
        self.delay = 0.0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.bodies.append(json.loads(body))
                time.sleep(hook.delay)
                code = hook.script.pop(0) if hook.script else 200
                self.send_response(code)
                if code == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        return Handler


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that timed out is the point of one test, not news


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    h = Hook()
    server = QuietServer(("127.0.0.1", 0), h.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield h, f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/SECRETTOKEN123"
    server.shutdown()


def test_slack_payload_shape() -> None:
    (run,) = runs_of(SITE)
    payload = slack_payload(run, dashboard_url="http://dash:8501", channel="#deploys")
    assert payload["channel"] == "#deploys" and payload["text"].endswith(": failed")
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "section", "actions"]
    text = payload["blocks"][1]["text"]["text"]
    assert (
        ":red_circle:" in text
        and "*Failed hosts* app04" in text
        and "*Unreachable* edge-down" in text
    )
    assert payload["blocks"][2]["elements"][0]["url"] == f"http://dash:8501/run?run={run.run_id}"


def test_teams_payload_shape() -> None:
    (run,) = runs_of(SITE)
    payload = teams_payload(run)
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Status"] == "failed" and facts["Failed hosts"] == "app04"


def test_retry_on_429_then_success(hook: tuple[Hook, str]) -> None:
    h, url = hook
    h.script = [429, 503]
    waits: list[float] = []
    assert deliver(url, {"text": "hi"}, sleep=waits.append) is None
    assert len(h.bodies) == 3 and len(waits) == 2


def test_gives_up_with_a_warning_not_an_exception(hook: tuple[Hook, str]) -> None:
    h, url = hook
    h.script = [500] * 10
    warning = deliver(url, {"text": "hi"}, attempts=3, sleep=lambda _s: None)
    assert warning == "webhook delivery failed: HTTP 500 after 3 attempts"
    h.script = [404]
    assert (
        deliver(url, {"text": "hi"}, sleep=lambda _s: None)
        == "webhook delivery failed: HTTP 404 (not retried)"
    )
    h.script, h.delay = [], 1.0
    slow = deliver(url, {"text": "hi"}, attempts=2, timeout=0.2, sleep=lambda _s: None)
    assert slow == "webhook delivery failed: timed out after 2 attempts"


def test_cli_never_prints_the_webhook(
    hook: tuple[Hook, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, url = hook
    monkeypatch.setenv("ANSISCOPE_SLACK_WEBHOOK", url)
    ok = run_cli(capsys, "notify", str(SITE), "--only-on", "failure")
    assert ok.code == 0 and "Slack: notified" in ok.err and len(h.bodies) == 1
    h.script = [500] * 10
    monkeypatch.setattr("ansiscope.exporters.notify.time.sleep", lambda _s: None)
    failed = run_cli(capsys, "notify", str(SITE))
    assert failed.code == 0 and "warning: Slack webhook delivery failed" in failed.err
    for output in (ok.out + ok.err, failed.out + failed.err):
        assert "SECRETTOKEN123" not in output and "127.0.0.1" not in output
    skipped = run_cli(
        capsys, "notify", str(SAMPLES / "jsonl/two-runs-2.19.jsonl"), "--only-on", "failure"
    )
    assert skipped.code == 0 and "not notifying" in skipped.err
    monkeypatch.delenv("ANSISCOPE_SLACK_WEBHOOK")
    missing = run_cli(capsys, "notify", str(SITE))
    assert missing.code == 2 and "give --slack-webhook or --teams-webhook" in missing.err


def test_serve_posts_each_run_that_ends(hook: tuple[Hook, str], tmp_path) -> None:
    from ansiscope.exporters.notify import Notifier
    from ansiscope.service.core import Service
    from ansiscope.store import open_store
    from tests.analytics.history import write_run

    h, url = hook
    watched = tmp_path / "w"
    watched.mkdir()
    svc = Service(
        open_store(tmp_path / "n.duckdb"),
        watch=[watched],
        notifier=Notifier(slack=url, only_on="failure"),
    )
    svc.start("127.0.0.1", 0)
    try:
        write_run(watched, 0)
        write_run(watched, 1, fail={"Check the banner"})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not h.bodies:
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        svc.shutdown()
    assert len(h.bodies) == 1  # only the failed run, per --only-on failure
    assert h.bodies[0]["text"] == "deploy.yml: failed"


def test_gate_and_summary_post_when_asked(
    hook: tuple[Hook, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, url = hook
    monkeypatch.setenv("ANSISCOPE_SLACK_WEBHOOK", url)
    quiet = run_cli(capsys, "summary", str(SITE), "-q")
    assert quiet.code == 1 and h.bodies == []  # the variable alone posts nothing
    posted = run_cli(capsys, "summary", str(SITE), "-q", "--slack-webhook", "env")
    assert posted.code == 1 and "Slack: notified" in posted.err and len(h.bodies) == 1
    db = str(tmp_path / "g.duckdb")
    gated = run_cli(
        capsys,
        "gate",
        "--db",
        db,
        "--file",
        str(SITE),
        "--slack-webhook",
        "env",
        "--only-on",
        "always",
    )
    assert gated.code == 0 and len(h.bodies) == 2 and "SECRETTOKEN123" not in gated.err
