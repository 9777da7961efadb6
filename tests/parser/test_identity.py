"""One name per playbook across formats, and what a log says about the invocation."""

from __future__ import annotations

import ast
from pathlib import Path

import orjson
import pytest

from ansiscope.ingest.labels import CI_VARIABLES
from ansiscope.parser import jsonl, open_input, text
from ansiscope.parser.events import AnsibleWarning, RunStart
from ansiscope.parser.identity import command_line, playbook_name
from tests.conftest import CANARY, ROOT, SAMPLES

PLUGIN = ROOT / "ansiscope/ansible_plugins/callback/ansiscope.py"


def run_starts(path: Path) -> list[RunStart]:
    with open_input(str(path)) as source:
        return [e for e in source.events if isinstance(e, RunStart)]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/srv/ansible/site.yml:3", "site.yml"),
        ("/srv/ansible/site.yml", "site.yml"),
        ("site.yml", "site.yml"),
        ("./playbooks/../site.yml", "site.yml"),
        ("playbooks/deploy.yml", "playbooks/deploy.yml"),
        ("../other/deploy.yml", "deploy.yml"),
        ("C:\\work\\site.yml", "site.yml"),
        ("my_ns.my_coll.site", "my_ns.my_coll.site"),
        ("", None),
        (None, None),
    ],
)
def test_playbook_name(path: str | None, name: str | None) -> None:
    assert playbook_name(path) == name


@pytest.mark.parametrize("version", ["2.16", "2.19"])
def test_one_playbook_one_name_in_every_format(version: str) -> None:
    names = {
        fmt: [r.playbook for r in run_starts(SAMPLES / fmt)]
        for fmt in (
            f"jsonl/site-{version}.jsonl",
            f"json/site-{version}.json",
            f"runner/site-{version}",
            f"text/site-verbose-{version}.txt",
        )
    }
    assert all(v == ["site.yml"] for v in names.values()), names
    (jsonl_start,) = run_starts(SAMPLES / f"jsonl/site-{version}.jsonl")
    assert jsonl_start.playbook_path and jsonl_start.playbook_path.endswith("/playbooks/site.yml")
    # plain text without -vv or a command line does not say which playbook ran
    assert [r.playbook for r in run_starts(SAMPLES / f"text/site-profile-{version}.txt")] == [None]


@pytest.mark.parametrize("version", ["2.16", "2.19"])
def test_callback_header_fills_run_start(version: str) -> None:
    path = SAMPLES / f"callback/site-{version}.jsonl"
    header = orjson.loads(path.read_bytes().split(b"\n", 1)[0])["ansiscope"]
    (start,) = run_starts(path)
    assert start.run_id == header["run_id"].replace("-", "")[:16]
    assert start.run_uuid == header["run_id"]
    assert start.playbook == "sample_logs/playbooks/site.yml"  # relative to the git root
    assert start.playbook_path and start.playbook_path.endswith("/sample_logs/playbooks/site.yml")
    assert start.ansible_version and start.ansible_version.startswith(version)
    assert (start.tags, start.skip_tags, start.limit) == ((), ("never",), None)
    assert (start.check_mode, start.diff, start.forks, start.become) == (False, False, 10, False)
    assert start.extra_vars_keys == ("release",)
    assert start.git_commit and len(start.git_commit) == 40
    assert start.controller and start.user
    assert start.inventory and start.inventory[0].endswith("inventory.ini")
    (check,) = run_starts(SAMPLES / f"callback/deploy-check-{version}.jsonl")
    assert (check.check_mode, check.diff, check.limit) == (True, True, "web")


def test_callback_files_hold_no_values_of_extra_vars_nor_no_log_output() -> None:
    for path in (SAMPLES / "callback").iterdir():
        data = path.read_bytes()
        assert b"r42" not in data, path  # the value of -e release=r42
        assert CANARY.encode() not in data, path  # site.yml's no_log task's argument
        assert b"release" in data or "deploy" in path.name


def test_header_run_id_is_stable() -> None:
    path = SAMPLES / "callback/site-2.19.jsonl"
    assert run_starts(path)[0].run_id == run_starts(path)[0].run_id
    (event,) = [e for e in jsonl.parse_string(path.read_bytes()) if isinstance(e, RunStart)]
    assert event.run_id == run_starts(path)[0].run_id


def test_ci_log_command_line_names_playbook_and_invocation() -> None:
    log = (SAMPLES / "text/site-2.19.txt").read_text()
    cmd = (
        "$ ansible-playbook -i inventory.ini playbooks/site.yml --tags web,db -t base "
        "--limit 'web:!web05' -CD -e 'token=hunter2 region=eu' -e '{\"level\": 3}' -vv\n"
    )
    events = text.parse_string(cmd + log)
    (start,) = [e for e in events if isinstance(e, RunStart)]
    assert start.playbook == "playbooks/site.yml"
    assert start.tags == ("base", "db", "web")
    assert start.limit == "web:!web05"
    assert (start.check_mode, start.diff, start.verbosity) == (True, True, 2)
    assert start.inventory == ("inventory.ini",)
    assert start.extra_vars_keys == ("level", "region", "token")
    dumped = orjson.dumps([e.to_dict() for e in events])
    assert b"hunter2" not in dumped and b'"eu"' not in dumped


@pytest.mark.parametrize(
    "line",
    [
        "ansible-playbook [core 2.19.4]",  # the version banner of -v
        "Run ansible-playbook on every push",  # prose, no playbook
        "ansible-playbook --version",
    ],
)
def test_lines_that_are_not_command_lines(line: str) -> None:
    assert command_line(line) is None


def test_extra_vars_file_leaves_keys_unknown() -> None:
    found = command_line("+ ansible-playbook site.yml -e @vars.yml -e a=1 | tee log")
    assert found is not None
    assert found["playbook"] == "site.yml" and found["about"]["extra_vars_keys"] is None


def test_plugin_records_the_same_ci_variables_as_labels() -> None:
    tree = ast.parse(PLUGIN.read_text())
    (names,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "CI_VARIABLES"
    ]
    assert list(names) == list(CI_VARIABLES)


def test_mixed_stream_is_jsonl_with_one_warning() -> None:
    path = SAMPLES / "jsonl/ping-vvv-2.19.jsonl"
    lines = path.read_bytes().splitlines()
    other = [n for n, line in enumerate(lines, 1) if not line.startswith(b'{"_event"')]
    assert lines[0].startswith(b"ansible-playbook [core")  # -vvv output comes first
    with open_input(str(path)) as source:
        assert source.format.value == "jsonl"
        events = list(source.events)
    assert not [e for e in events if e.kind == "rejected"]
    warnings = [e.message for e in events if isinstance(e, AnsibleWarning)]
    assert warnings == [
        f"{len(other)} lines of other output than jsonl events (verbose output, warnings "
        f"or stderr) skipped, the first at line {other[0]}"
    ]
    assert sum(1 for e in events if e.kind == "host_result") == 6
