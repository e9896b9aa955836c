"""From fetched responses and conversations to rows: flattened objects, load issues, gone objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Optional

from sourcekit.arrow import RowBuffer
from sourcekit.ids import is_valid_id

from . import flatten
from .extract import FetchedConversation, FetchedResponse, Skipped


@dataclass
class LoadProgress:
    """Counters of a load in progress, handed to the `on_progress` callback after each object."""

    responses: int = 0
    conversations: int = 0
    items: int = 0
    requests: int = 0
    retries: int = 0
    issues: int = 0
    total: int = 0  # objects (responses and conversations) planned
    done: int = 0  # and done so far

    def counts(self) -> str:
        """What has been loaded so far, for a progress line."""
        return (f"objects {self.done}/{self.total}  responses {self.responses}  "
                f"conversations {self.conversations}  items {self.items}")

    @property
    def rate_count(self) -> int:
        """What the progress line's rate counts (`rate_unit` per second)."""
        return self.responses

    rate_unit = "responses"


def issue_row(object_type: str, object_id: Any, message: str, seen_at: datetime,
              error: Optional[Exception] = None) -> Dict[str, Any]:
    """One row of `load_issues` (the Assistants source's table: thread and run stay null here)."""
    return {
        "object_type": object_type,
        "object_id": object_id if isinstance(object_id, str) else (None if object_id is None else repr(object_id)[:200]),
        "thread_id": None,
        "run_id": None,
        "http_status": getattr(error, "status", None),
        "error_code": getattr(error, "code", None),
        "message": message,
        "request_id": getattr(error, "request_id", None),
        "seen_at": seen_at,
    }


def add_issue(buffer: RowBuffer, progress: LoadProgress, *args: Any, **kwargs: Any) -> None:
    buffer.add("load_issues", [issue_row(*args, **kwargs)])
    progress.issues += 1


def emit_response(buffer: RowBuffer, fetched: FetchedResponse, now: datetime, progress: LoadProgress) -> bool:
    """Flatten one fetched response into the buffer; returns whether it loaded. One that cannot be
    parsed, or that is another response than the one asked for, becomes a load issue."""
    response = fetched.response or {}
    if response.get("id") != fetched.response_id:
        add_issue(buffer, progress, "response", fetched.response_id,
                  f"GET /responses/{fetched.response_id} answered with id {response.get('id')!r}; skipped", now)
        return False
    try:
        rows = flatten.response_rows(response, fetched.via, now)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        add_issue(buffer, progress, "response", fetched.response_id,
                  f"could not parse response: {type(exc).__name__}: {exc}", now)
        return False
    for table, table_rows in rows.items():
        buffer.add(table, table_rows)
    progress.responses += 1
    progress.items += len(rows["response_items"])
    return True


def emit_conversation(buffer: RowBuffer, fetched: FetchedConversation, known: Dict[str, Dict[str, Any]],
                      now: datetime, progress: LoadProgress) -> None:
    """A conversation's row and its items read in this load (appended after those loaded before), or its 404."""
    cid, job = fetched.conversation_id, fetched.job
    before = known.get(cid) or {}
    if fetched.gone is not None:
        add_issue(buffer, progress, "conversation", cid,
                  f"conversation not found (deleted?); it will no longer be polled: {fetched.gone.api_message}",
                  now, fetched.gone)
        row = dict(before or {"id": cid, "created_at": None, "metadata": None, "item_count": None,
                              "last_item_id": None, "discovered_via": job.via, "last_polled_at": None})
        row.update(deleted_at=row.get("deleted_at") or now, last_polled_at=now)
        buffer.add("conversations", [row])
        return
    count = job.first_position + len(fetched.items)
    last = fetched.items[-1].get("id") if fetched.items and isinstance(fetched.items[-1], dict) else job.after_item
    last = last if is_valid_id(last) else None  # without it, the next load reads the items whole again
    try:
        if fetched.conversation is not None:
            row = flatten.conversation_row({**fetched.conversation, "id": cid}, count,
                                           before.get("discovered_via") or job.via, now, last)
        else:
            row = {**before, "item_count": count, "last_item_id": last, "last_polled_at": now}
        items = flatten.conversation_item_rows(cid, fetched.items, job.first_position)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        add_issue(buffer, progress, "conversation", cid, f"could not parse conversation: {type(exc).__name__}: {exc}", now)
        return
    buffer.add("conversations", [row])
    buffer.add("conversation_items", items)
    progress.conversations += 1
    progress.items += len(items)


def emit_skipped(buffer: RowBuffer, skipped: Skipped, now: datetime, progress: LoadProgress) -> None:
    obj = skipped.obj.get("id") if isinstance(skipped.obj, dict) else skipped.obj
    add_issue(buffer, progress, skipped.object_type, obj, skipped.problem, now)
