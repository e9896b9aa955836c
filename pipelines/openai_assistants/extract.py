"""Concurrent polling of threads → runs → steps.

Many threads are polled at once; within a thread, the run listing pages in order and the steps of the
runs to fetch are requested at once. Every request passes the client's adaptive limiter, so the
number in flight stays within what the provider allows. Ids read from responses are checked here,
before they go into a URL: an unusable one is reported, not sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Dict, List, Optional, Sequence, Tuple

from sourcekit.errors import NotFoundError
from sourcekit.ids import id_problem, is_valid_id

from . import incremental
from .client import AssistantsClient
from .planner import ThreadJob


@dataclass
class ThreadResult:
    """What polling one thread found."""

    job: ThreadJob
    thread: Optional[Dict[str, Any]] = None
    listed: List[Dict[str, Any]] = field(default_factory=list)
    fetched: List[Tuple[Dict[str, Any], List[bytes]]] = field(default_factory=list)  # (run, raw step pages)
    gone_runs: List[Tuple[str, NotFoundError]] = field(default_factory=list)
    bad_runs: List[Tuple[Any, str]] = field(default_factory=list)  # (run object, why it cannot be used)
    deleted: Optional[NotFoundError] = None


async def _list_runs(client: AssistantsClient, job: ThreadJob, result: ThreadResult) -> None:
    """The runs after the watermark; with the thread object too on a first poll (both at once: under
    latency, one round trip less on every new thread's critical path)."""
    tid = job.thread_id
    if not job.fetch_thread:
        result.listed = await client.list_runs(tid, job.watermark_run_id)
        return
    thread_task = asyncio.ensure_future(client.get_thread(tid))
    try:
        result.listed = await client.list_runs(tid, job.watermark_run_id)
    except BaseException:
        # Let the sibling end by itself rather than cancel it: httpcore leaves the socket of a TLS
        # handshake cancelled midway open. The first error is the one reported.
        await asyncio.wait([thread_task])
        if not thread_task.cancelled():
            thread_task.exception()
        raise
    result.thread = await thread_task


def _usable_runs(result: ThreadResult) -> None:
    """Keep the listed runs whose id may go into a URL; the others become `bad_runs`."""
    usable = []
    for run in result.listed:
        run_id = run.get("id") if isinstance(run, dict) else None
        if is_valid_id(run_id):
            usable.append(run)
        else:
            result.bad_runs.append((run, id_problem(run_id, "run id")))
    result.listed = usable


async def poll_thread(client: AssistantsClient, job: ThreadJob, include_content: bool) -> ThreadResult:
    """List a thread's runs after its watermark and fetch the steps of the runs that need it."""
    result = ThreadResult(job=job)
    try:
        await _list_runs(client, job, result)
    except NotFoundError as exc:
        result.deleted = exc
        return result
    _usable_runs(result)

    async def fetch(run: Dict[str, Any]) -> None:
        try:
            pages = await client.list_step_pages(job.thread_id, run["id"], include_content)
        except NotFoundError as exc:
            result.gone_runs.append((run["id"], exc))
            return
        result.fetched.append((run, pages))

    await asyncio.gather(*(fetch(run) for run in incremental.runs_to_fetch(job.done_run_ids, result.listed)))
    # Keep the listing order, so that rows and state do not depend on which response came first.
    order = {run["id"]: i for i, run in enumerate(result.listed)}
    result.fetched.sort(key=lambda pair: order[pair[0]["id"]])
    return result


async def list_threads(client: AssistantsClient) -> Tuple[List[Dict[str, Any]], List[Tuple[Any, str]]]:
    """Foundry's thread listing, split into usable threads and (object, problem) for the others."""
    usable, bad = [], []
    for thread in await client.list_threads():
        thread_id = thread.get("id") if isinstance(thread, dict) else None
        if is_valid_id(thread_id):
            usable.append(thread)
        else:
            bad.append((thread, id_problem(thread_id, "thread id")))
    return usable, bad


async def poll_threads(
    client: AssistantsClient, jobs: Sequence[ThreadJob], include_content: bool, window: int
) -> AsyncIterator[ThreadResult]:
    """Poll `jobs` with at most `window` threads in progress, yielding results as they complete."""
    pending: set = set()
    jobs_iter = iter(jobs)

    def top_up() -> None:
        for job in jobs_iter:
            pending.add(asyncio.ensure_future(poll_thread(client, job, include_content)))
            if len(pending) >= window:
                return

    top_up()
    try:
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                pending.discard(task)
                yield task.result()
            top_up()
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
