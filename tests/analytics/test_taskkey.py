"""Task keys: stable across runs, resolved forwards through renames, and total over
whatever a frame holds (pandas gives NaN, not None, for a column of missing values)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from ansiscope.analytics.taskkey import TaskKeys, key_column, split_path


def test_split_path() -> None:
    assert split_path("/p/main.yml:12") == ("/p/main.yml", "/p/main.yml:12")
    assert split_path("/p/main.yml") == ("/p/main.yml", None)
    assert split_path(None) == ("", None)
    assert split_path(float("nan")) == ("", None)  # type: ignore[arg-type]


def test_a_renamed_task_keeps_its_key_at_the_same_place() -> None:
    keys = TaskKeys()
    old = keys.key("site.yml", "web", None, "/p/main.yml:3", "Install nginx")
    assert keys.key("site.yml", "web", None, "/p/main.yml:3", "Install the web server") == old
    assert keys.key("site.yml", "web", None, "/p/main.yml:9", "Restart") != old
    assert keys.key("site.yml", "web", None, None, "Install {{ pkg }}") != old


def test_missing_values_in_a_frame() -> None:
    frame = pd.DataFrame(
        {
            "play": ["web", None, float("nan")],
            "role": [float("nan")] * 3,
            "path": [float("nan")] * 3,
            "name": ["a", "b", None],
        }
    )
    keys = key_column(frame, "site.yml")
    assert len(keys) == 3 and len(set(keys)) == 3
    again = key_column(frame.assign(play=["web", "", ""]), "site.yml")
    assert again == keys  # a missing play is the empty play, whatever pandas made of it


class _Unmemoised(TaskKeys):
    """The keying rule without the memo of tasks seen before."""

    def key(self, playbook, play, role, path, name):  # type: ignore[no-untyped-def]
        self._seen.clear()
        return super().key(playbook, play, role, path, name)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["p1", "p2"]),
            st.sampled_from(["r", None]),
            st.sampled_from(["/a.yml:3", "/a.yml:9", "/b.yml:3", None]),
            st.sampled_from(["Install", "Deploy {{ v }}", "Deploy 2", "Restart"]),
        ),
        max_size=60,
    )
)
def test_a_task_seen_before_keys_as_the_rule_says(rows: list) -> None:
    """The memo of repeated tasks changes no key, renames and moves included."""
    memo, plain = TaskKeys(), _Unmemoised()
    for play, role, path, name in rows:
        assert memo.key("site.yml", play, role, path, name) == plain.key(
            "site.yml", play, role, path, name
        )
