"""Which threads a load polls, and with which cursor: a pure function of what is known and given."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence

from sourcekit.shards import Shard, in_shard

from .flatten import to_timestamp
from .thread_state import ThreadCursor


@dataclass
class ThreadJob:
    """One thread to poll, with its cursor as the last load left it."""

    thread_id: str
    watermark_run_id: Optional[str]
    done_run_ids: List[str] = field(default_factory=list)
    fetch_thread: bool = False  # first time seen: get the thread object for created_at/metadata


def plan_polls(
    given: Sequence[str],
    listed_threads: Sequence[Mapping[str, Any]],
    cursors: Dict[str, ThreadCursor],
    poll_known_threads: bool,
    shard: Optional[Shard],
    now: datetime,
) -> List[ThreadJob]:
    """The threads to poll, in order: given ones, then listed ones, then known ones.

    A thread seen for the first time gets a new cursor in `cursors`. Deleted threads are polled again
    only when given or listed explicitly.

    Args:
        given: checked thread ids from the input.
        listed_threads: thread objects from a `GET /threads` listing, ids already checked.
        cursors: every known thread's cursor; new threads are added.
        poll_known_threads: also poll every known thread that is not deleted (the nightly path).
        shard: poll only the threads of this shard.
        now: when this load started (a new thread's `first_seen_at`).
    """
    wanted: Dict[str, tuple] = {}
    for thread_id in given:
        wanted.setdefault(thread_id, ("input", None))
    for thread in listed_threads:
        wanted.setdefault(thread["id"], ("listed", thread))
    if poll_known_threads:
        for thread_id, cursor in cursors.items():
            if cursor.deleted_at is None:
                wanted.setdefault(thread_id, ("known", None))
    jobs = []
    for thread_id, (via, thread) in wanted.items():
        if not in_shard(thread_id, shard):
            continue
        cursor = cursors.get(thread_id)
        fetch_thread = False
        if cursor is None:
            cursor = cursors[thread_id] = ThreadCursor(thread_id, discovered_via=via, first_seen_at=now)
            if thread is not None:
                cursor.created_at, cursor.metadata = to_timestamp(thread.get("created_at")), thread.get("metadata")
            fetch_thread = thread is None
        jobs.append(ThreadJob(thread_id, cursor.watermark_run_id, list(cursor.done_run_ids), fetch_thread))
    return jobs
