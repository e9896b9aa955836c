"""From polled threads and read archives to rows: flattened runs, load issues, cursors that moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional

from sourcekit.arrow import RowBuffer
from sourcekit.http import items_of_pages

from . import flatten, incremental
from .extract import ThreadResult
from .thread_state import ThreadCursor


@dataclass
class LoadProgress:
    """Counters of a load in progress, handed to the `on_progress` callback after each thread."""

    threads_total: int = 0
    threads_done: int = 0
    runs: int = 0
    steps: int = 0
    requests: int = 0
    retries: int = 0
    issues: int = 0

    @property
    def total(self) -> int:
        return self.threads_total

    @property
    def done(self) -> int:
        return self.threads_done

    def counts(self) -> str:
        """What has been loaded so far, for a progress line."""
        return f"threads {self.threads_done}/{self.threads_total}  runs {self.runs}  steps {self.steps}"

    @property
    def rate_count(self) -> int:
        """What the progress line's rate counts (`rate_unit` per second)."""
        return self.steps

    rate_unit = "steps"


def issue_row(object_type: str, object_id: Any, thread_id: Optional[str], run_id: Optional[str], message: str,
              seen_at: datetime, error: Optional[Exception] = None) -> Dict[str, Any]:
    """One row of `load_issues`: what could not be used, where, and the request that showed it."""
    return {
        "object_type": object_type,
        "object_id": object_id if isinstance(object_id, str) else (None if object_id is None else repr(object_id)[:200]),
        "thread_id": thread_id,
        "run_id": run_id,
        "http_status": getattr(error, "status", None),
        "error_code": getattr(error, "code", None),
        "message": message,
        "request_id": getattr(error, "request_id", None),
        "seen_at": seen_at,
    }


def emit_run(buffer: RowBuffer, run: Dict[str, Any], steps: List[Dict[str, Any]], now: datetime,
             progress: LoadProgress) -> None:
    """Flatten one run into the buffer; an object that cannot be parsed becomes a load issue."""
    run_id, thread_id = run.get("id"), run.get("thread_id")
    try:
        rows = flatten.run_rows(run, steps)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        message = f"could not parse run or its steps: {type(exc).__name__}: {exc}"
        buffer.add("load_issues", [issue_row("run", run_id, thread_id, run_id, message, now)])
        progress.issues += 1
        return
    for table, table_rows in rows.items():
        buffer.add(table, table_rows)
    for step in steps:
        for problem in flatten.step_problems(step, run):
            buffer.add("load_issues", [issue_row("run step", step.get("id"), thread_id, run_id, problem, now)])
            progress.issues += 1
    progress.runs += 1
    progress.steps += len(steps)


def thread_row(cursor: ThreadCursor, last_polled_at: Optional[datetime]) -> Dict[str, Any]:
    """The `threads` row of a polled thread, from its cursor."""
    return {
        "id": cursor.thread_id,
        "discovered_via": cursor.discovered_via,
        "created_at": cursor.created_at,
        "metadata": flatten.json_value(cursor.metadata),
        "first_seen_at": cursor.first_seen_at,
        "last_polled_at": last_polled_at,
        "deleted_at": cursor.deleted_at,
    }


def apply_result(result: ThreadResult, cursor: ThreadCursor, buffer: RowBuffer, now: datetime,
                 progress: LoadProgress) -> bool:
    """Turn one polled thread into rows and move its cursor; returns whether the cursor changed (a
    changed cursor is written in the same load as the rows, so that they are committed together)."""
    before = cursor.row()
    tid = cursor.thread_id
    progress.threads_done += 1
    if result.deleted is not None:
        cursor.deleted_at = cursor.deleted_at or now
        message = f"thread not found (deleted?); it will no longer be polled: {result.deleted.api_message}"
        buffer.add("load_issues", [issue_row("thread", tid, tid, None, message, now, result.deleted)])
        progress.issues += 1
    else:
        cursor.deleted_at = None
        if result.thread is not None:
            cursor.created_at = flatten.to_timestamp(result.thread.get("created_at"))
            cursor.metadata = result.thread.get("metadata")
        for run, pages in result.fetched:
            emit_run(buffer, run, items_of_pages(pages), now, progress)
        for run_id, error in result.gone_runs:
            message = f"run not found while fetching its steps: {error.api_message}"
            buffer.add("load_issues", [issue_row("run", run_id, tid, run_id, message, now, error)])
        for run, problem in result.bad_runs:
            run_id = run.get("id") if isinstance(run, dict) else None
            buffer.add("load_issues", [issue_row("run", run_id, tid, None, f"run skipped: {problem}", now)])
        progress.issues += len(result.gone_runs) + len(result.bad_runs)
        gone = [run_id for run_id, _ in result.gone_runs]
        cursor.watermark_run_id, cursor.done_run_ids = incremental.advance(
            result.job.watermark_run_id, result.listed, gone=gone)
    buffer.add("threads", [thread_row(cursor, now)])
    return cursor.row() != before


def export_rows(export_dir: Any, buffer: RowBuffer, now: datetime, stats: Any = None,
                on_progress: Any = None) -> Iterator[Any]:
    """Rows of every table from an archive, streamed in batches (`export.read_archive` says how).

    Arrow batches of the winning rows go to dlt as they are; load issues and the per-file state go
    through `buffer`.
    """
    import dlt

    from .export import ReadStats, read_archive

    stats = stats if stats is not None else ReadStats(opened=[])
    for table, rows in read_archive(export_dir, buffer.contract, now, stats, on_progress):
        if isinstance(rows, list):
            buffer.add(table, rows)
            yield from buffer.drain()
        elif rows.num_rows:
            buffer.seen.add(table)
            yield dlt.mark.with_table_name(rows.cast(buffer.contract.schemas[table]), table)
