"""The per-thread watermark rules (docs/design.md, "Incremental loading"), as pure functions.

A thread's cursor is a watermark run id and the ids of the terminal runs after it that are already
loaded (`ThreadCursor.watermark_run_id`, `.done_run_ids`). Runs are listed with `order=asc&after=<watermark>`.
Done runs are final and are not fetched again; every other listed run is new or was open, and gets
its steps fetched. The watermark then moves to the last run of the longest all-terminal prefix of the
listing, and the done list keeps the terminal runs after it.

dlt's own incremental cursor is one per resource: used alone it would drop late runs of other threads.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from .settings import TERMINAL_RUN_STATUSES


def runs_to_fetch(done_run_ids: Iterable[str], listed: Sequence[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    """The listed runs whose steps must be fetched: new ones, and ones that were open last time."""
    done = set(done_run_ids)
    return [run for run in listed if run["id"] not in done]


def is_terminal(run: Mapping[str, Any]) -> bool:
    return run.get("status") in TERMINAL_RUN_STATUSES


def advance(
    watermark_run_id: Optional[str], listed: Sequence[Mapping[str, Any]], gone: Iterable[str] = ()
) -> Tuple[Optional[str], List[str]]:
    """The watermark and done list after `listed` (ascending, everything after the old watermark) loaded.

    Args:
        watermark_run_id: the watermark the listing was made with.
        listed: the runs listed after it, in ascending order.
        gone: ids of listed runs that will never be loaded (404 before their steps could be fetched,
            or unusable ids); they count as finished, since they would only block the watermark.
    """
    gone = set(gone)
    prefix_end = 0
    for run in listed:
        if not (is_terminal(run) or run["id"] in gone):
            break
        prefix_end += 1
    watermark = listed[prefix_end - 1]["id"] if prefix_end else watermark_run_id
    done = [run["id"] for run in listed[prefix_end:] if is_terminal(run) or run["id"] in gone]
    return watermark, done
