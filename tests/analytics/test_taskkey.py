"""Task keys: stable across runs, resolved forwards through renames, and total over
whatever a frame holds (pandas gives NaN, not None, for a column of missing values)."""

from __future__ import annotations

import pandas as pd

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
