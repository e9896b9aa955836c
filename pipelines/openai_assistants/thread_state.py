"""The per-thread state: one `ThreadCursor` per thread polled through the API, kept in the
`thread_cursors` table of the dataset (see `sourcekit.cursor_table` for why not in dlt's state).

Databases loaded before runsteps kept these cursors in dlt's resource state under one-letter keys;
`migrate_legacy_state` moves them into the table on the first load after the upgrade.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Dict, List, MutableMapping, Optional

from sourcekit.cursor_table import read_rows

from .flatten import to_timestamp
from .settings import TABLES

CURSOR_TABLE = "thread_cursors"


@dataclass
class ThreadCursor:
    """Where polling one thread stands.

    Attributes:
        thread_id: the thread.
        watermark_run_id: the last run of the longest all-terminal prefix of the thread's runs;
            the next listing starts after it (`order=asc&after=...`). None: from the start.
        done_run_ids: terminal runs after the watermark that are loaded and never fetched again.
        discovered_via: how the thread became known: `input`, `listed` (Foundry's `GET /threads`).
        first_seen_at: when it was first polled.
        deleted_at: when the API answered 404 for it; a deleted thread is no longer polled.
        created_at: the thread's own `created_at`, kept so that its `threads` row can be rewritten
            on every poll without fetching the thread again.
        metadata: the thread's `metadata`, for the same reason.
    """

    thread_id: str
    watermark_run_id: Optional[str] = None
    done_run_ids: List[str] = field(default_factory=list)
    discovered_via: str = "input"
    first_seen_at: Optional[datetime] = None
    deleted_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    metadata: Optional[Any] = None

    def row(self) -> Dict[str, Any]:
        """Its row of `thread_cursors`."""
        return asdict(self)


_COLUMNS = list(TABLES[CURSOR_TABLE]["columns"])
_JSON_COLUMNS = [c for c, spec in TABLES[CURSOR_TABLE]["columns"].items() if spec["data_type"] == "json"]


def read_cursors() -> Dict[str, ThreadCursor]:
    """Every thread's cursor from the dataset being loaded (none before the first load)."""
    cursors = {}
    for row in read_rows(CURSOR_TABLE, _COLUMNS, _JSON_COLUMNS):
        row["done_run_ids"] = list(row["done_run_ids"] or [])
        cursors[row["thread_id"]] = ThreadCursor(**row)
    return cursors


# The state of runsteps 0.1: `resource_state["threads"][thread_id]` with these one-letter keys.
LEGACY_KEYS = {
    "w": "watermark_run_id",
    "d": "done_run_ids",
    "v": "discovered_via",
    "f": "first_seen_at",  # unix seconds
    "x": "deleted_at",  # unix seconds
    "c": "created_at",  # unix seconds
    "m": "metadata",
}
_LEGACY_TIMES = {"f", "x", "c"}


def migrate_legacy_state(resource_state: MutableMapping[str, Any], cursors: Dict[str, ThreadCursor]) -> List[ThreadCursor]:
    """Move cursors kept in dlt's resource state (runsteps 0.1) into `cursors`, and out of the state.

    Returns the moved cursors, to be written to `thread_cursors` in this same load: the state change
    and the rows are committed together, so a crash before the load leaves the old state in place.
    A cursor already in the table wins (it is newer).
    """
    legacy = resource_state.pop("threads", None) or {}
    moved = []
    for thread_id, entry in legacy.items():
        if thread_id in cursors or not isinstance(entry, dict):
            continue
        values: Dict[str, Any] = {}
        for short, name in LEGACY_KEYS.items():
            value = entry.get(short)
            values[name] = to_timestamp(value) if short in _LEGACY_TIMES else value
        values["done_run_ids"] = list(values["done_run_ids"] or [])
        values["discovered_via"] = values["discovered_via"] or "input"
        cursor = ThreadCursor(thread_id=thread_id, **values)
        cursors[thread_id] = cursor
        moved.append(cursor)
    return moved
