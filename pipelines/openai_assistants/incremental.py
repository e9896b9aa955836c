"""The per-thread watermark (DESIGN.md, "Incremental loading"), as pure functions.

A thread's cursor is `{"w": <watermark run id or None>, "d": [<terminal runs after it, loaded>]}`.
Runs are listed with `order=asc&after=w`. Runs in `d` are final and are not fetched again; every
other listed run is new or was open, and gets its steps fetched. The watermark then moves to the last
run of the longest all-terminal prefix of the listing, and `d` keeps the terminal runs after it.

dlt's own incremental cursor is one per resource: used alone it would drop late runs of other threads.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from .settings import TERMINAL_RUN_STATUSES

ThreadCursor = Dict[str, Any]


def new_cursor() -> ThreadCursor:
    return {"w": None, "d": []}


def runs_to_fetch(cursor: Mapping[str, Any], listed: Sequence[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    """The listed runs whose steps must be fetched: new ones, and ones that were open last time."""
    done = set(cursor.get("d") or ())
    return [run for run in listed if run["id"] not in done]


def is_terminal(run: Mapping[str, Any]) -> bool:
    return run.get("status") in TERMINAL_RUN_STATUSES


def advance(
    cursor: Mapping[str, Any], listed: Sequence[Mapping[str, Any]], gone: Iterable[str] = ()
) -> ThreadCursor:
    """The cursor after `listed` (ascending, everything after the old watermark) has been loaded.

    Args:
        cursor: the cursor the listing was made with.
        listed: the runs listed after its watermark, in ascending order.
        gone: ids of listed runs that vanished (404) before their steps could be fetched; they
            count as finished, since they will never be listed again.
    """
    gone = set(gone)
    watermark: Optional[str] = cursor.get("w")
    prefix_end = 0
    for run in listed:
        if not (is_terminal(run) or run["id"] in gone):
            break
        prefix_end += 1
    if prefix_end:
        watermark = listed[prefix_end - 1]["id"]
    done = [run["id"] for run in listed[prefix_end:] if is_terminal(run) or run["id"] in gone]
    return {"w": watermark, "d": done}


def open_run_ids(cursor: Mapping[str, Any], listed: Sequence[Mapping[str, Any]]) -> List[str]:
    """Runs after the watermark that are not final yet (for progress and prediction)."""
    done = set(cursor.get("d") or ())
    return [run["id"] for run in listed if run["id"] not in done and not is_terminal(run)]
