"""The ingest bookkeeping records: an input's identity and progress, and commit counts."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class FileRecord:
    """One input's row in ``files``: its identity and how far it has been stored."""

    file_id: str
    path: str
    source_name: str
    fingerprint: str
    generation: int
    format: str
    offset: int = 0
    lines: int = 0
    state: str = "following"
    inode: int | None = None
    head_len: int = 0
    head_hash: str = ""


@dataclasses.dataclass
class Written:
    """What one commit stored."""

    events: int = 0
    results: int = 0
    runs_started: int = 0
    runs_ended: int = 0
    quarantined: int = 0
    skipped_duplicate: int = 0
    ended_run_ids: list[str] = dataclasses.field(default_factory=list)
