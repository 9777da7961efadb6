"""The ansiscope dashboard: ``streamlit run ansiscope/dashboards/app.py -- --db FILE``
(``ansiscope serve`` starts it on a snapshot of its store)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ansiscope.dashboards.data import db_path, reader
from ansiscope.errors import AnsiscopeError

HERE = Path(__file__).parent
# The pages live in views/, not pages/: Streamlit lists a pages/ folder beside the app by
# file name ("app", "hosts", …) on a page opened by its URL in a new tab, before this
# script's navigation replaces the list.

# An emoji icon: a material one is fetched from fonts.gstatic.com by every viewer.
st.set_page_config(page_title="ansiscope", page_icon="🔭", layout="wide")


def _empty_store() -> bool:
    try:
        with reader() as store:
            runs = store.run_count()
    except AnsiscopeError as exc:
        st.title("ansiscope")
        st.warning(str(exc))
        _how_to_ingest()
        return True
    if runs == 0:
        st.title("ansiscope")
        st.info("The store holds no runs yet.")
        _how_to_ingest()
        return True
    return False


def _how_to_ingest() -> None:
    st.markdown(
        "Store some Ansible output, then reload:\n\n"
        "```sh\n"
        "ANSIBLE_STDOUT_CALLBACK=ansible.posix.jsonl ansible-playbook site.yml > logs/run.jsonl\n"
        f"ansiscope ingest logs/ --db {db_path()}\n"
        "# or follow a folder: ansiscope serve --watch logs/\n"
        "```"
    )


if _empty_store():
    # No pages yet. Without a navigation Streamlit would list views/*.py by file name.
    st.navigation([st.Page(HERE / "views/overview.py", default=True)], position="hidden")
else:
    pages = [
        st.Page(
            HERE / "views/overview.py",
            title="Overview",
            icon=":material/monitor_heart:",
            default=True,
        ),
        st.Page(HERE / "views/runs.py", title="Runs", icon=":material/list:"),
        st.Page(HERE / "views/run.py", title="Run", icon=":material/search:"),
        st.Page(HERE / "views/tasks.py", title="Tasks", icon=":material/timer:"),
        st.Page(HERE / "views/hosts.py", title="Hosts", icon=":material/dns:"),
        st.Page(HERE / "views/regressions.py", title="Regressions", icon=":material/trending_up:"),
    ]
    st.navigation(pages).run()
