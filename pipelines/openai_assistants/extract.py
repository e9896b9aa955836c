"""Concurrent polling of threads → runs → steps, bridged from asyncio to dlt's synchronous generator.

Many threads are polled at once; within a thread, the run listing pages in order and the steps of the
runs to fetch are requested at once. Every request passes the client's adaptive limiter, so the
number in flight stays within what the provider allows.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from . import incremental, settings
from .client import AssistantsClient, validate_id
from .errors import NotFoundError


@dataclass
class ThreadJob:
    """One thread to poll, with its cursor from the last load."""

    thread_id: str
    cursor: Dict[str, Any]
    fetch_thread: bool = False  # first time seen: get the thread object for created_at/metadata


@dataclass
class ThreadResult:
    """What polling one thread found."""

    job: ThreadJob
    thread: Optional[Dict[str, Any]] = None
    listed: List[Dict[str, Any]] = field(default_factory=list)
    fetched: List[Tuple[Dict[str, Any], List[bytes]]] = field(default_factory=list)  # (run, raw step pages)
    gone_runs: List[Tuple[str, NotFoundError]] = field(default_factory=list)
    deleted: Optional[NotFoundError] = None


async def poll_thread(client: AssistantsClient, job: ThreadJob, include_content: bool) -> ThreadResult:
    """List a thread's runs after its watermark and fetch the steps of the runs that need it."""
    result = ThreadResult(job=job)
    tid = validate_id(job.thread_id, "thread id")
    params: Dict[str, Any] = {"order": "asc"}
    if job.cursor.get("w"):
        params["after"] = validate_id(job.cursor["w"], "run id")
    try:
        if job.fetch_thread:
            # Both at once: under latency, one round trip less on every new thread's critical path.
            thread_task = asyncio.ensure_future(client.get(f"/threads/{tid}"))
            try:
                result.listed = await client.list_all(f"/threads/{tid}/runs", params)
            except BaseException:
                # Let the sibling end by itself rather than cancel it: httpcore leaves the socket of a
                # TLS handshake cancelled midway open. The first error is the one reported.
                await asyncio.wait([thread_task])
                if not thread_task.cancelled():
                    thread_task.exception()
                raise
            result.thread = await thread_task
        else:
            result.listed = await client.list_all(f"/threads/{tid}/runs", params)
    except NotFoundError as exc:
        result.deleted = exc
        return result

    step_params: Dict[str, Any] = {"order": "asc"}
    if include_content:
        step_params["include[]"] = [settings.FILE_SEARCH_CONTENT_INCLUDE]

    async def fetch(run: Dict[str, Any]) -> None:
        rid = validate_id(run.get("id"), "run id")
        try:
            pages = await client.list_pages(f"/threads/{tid}/runs/{rid}/steps", step_params)
        except NotFoundError as exc:
            result.gone_runs.append((rid, exc))
            return
        result.fetched.append((run, pages))

    await asyncio.gather(*(fetch(run) for run in incremental.runs_to_fetch(job.cursor, result.listed)))
    # Keep the listing order, so that rows and state do not depend on which response came first.
    order = {run["id"]: i for i, run in enumerate(result.listed)}
    result.fetched.sort(key=lambda pair: order[pair[0]["id"]])
    return result


async def list_thread_ids(client: AssistantsClient) -> List[Dict[str, Any]]:
    """Foundry's `GET /threads`, all pages (OpenAI has no such endpoint)."""
    return await client.list_all("/threads", {"order": "asc"})


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


_DONE = object()


def iterate_in_background(make_agen: Callable[[], AsyncIterator[Any]], buffer: int = 4) -> Iterator[Any]:
    """Run an async generator on an event loop in a worker thread and iterate it synchronously.

    dlt resources are consumed synchronously; this keeps the HTTP side fully concurrent while the
    consumer flattens and writes rows. An exception in the generator is re-raised here; closing this
    iterator cancels the worker.
    """
    out: "queue.Queue[Any]" = queue.Queue(maxsize=buffer)
    stop = threading.Event()

    async def pump() -> None:
        agen = make_agen()
        try:
            async for item in agen:
                while not stop.is_set():
                    try:
                        out.put_nowait(item)
                        break
                    except queue.Full:  # the consumer is behind: wait without blocking the loop
                        await asyncio.sleep(0.005)
                if stop.is_set():
                    return
        finally:
            await agen.aclose()

    def worker() -> None:
        try:
            asyncio.run(pump())
        except BaseException as exc:  # handed to the consumer, who raises it
            out.put(exc)
            return
        out.put(_DONE)

    thread = threading.Thread(target=worker, name="runsteps-http", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)
