"""Concurrent fetching of responses and conversations.

Ids read from responses (a listed id, a `previous_response_id`) are checked here, before they go into
a URL: an unusable one is reported, not sent. Every request passes the client's adaptive limiter.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Sequence, Set, Tuple

from sourcekit.errors import NotFoundError
from sourcekit.ids import id_problem, is_valid_id

from . import incremental
from .client import ResponsesClient


@dataclass
class FetchedResponse:
    """One response fetched by id, or the 404 that answered instead."""

    response_id: str
    via: str  # input | chain | listed | known
    response: Optional[Dict[str, Any]] = None
    gone: Optional[NotFoundError] = None


@dataclass
class ConversationJob:
    """What to read of one conversation: its object unless a listing gave it (`listed`), and its
    items after `after_item` (the newest loaded; all when None), numbered from `first_position`."""

    conversation_id: str
    via: str  # input | listed | response (a loaded response of it ended or began)
    listed: Optional[Dict[str, Any]] = None
    fetch_object: bool = True
    after_item: Optional[str] = None
    first_position: int = 0


@dataclass
class FetchedConversation:
    job: ConversationJob
    conversation: Optional[Dict[str, Any]] = None  # None: not fetched (the row loaded before stands)
    items: List[Dict[str, Any]] = field(default_factory=list)
    gone: Optional[NotFoundError] = None

    @property
    def conversation_id(self) -> str:
        return self.job.conversation_id


@dataclass
class Skipped:
    """An object that cannot be used (an id that may not go into a URL), with why."""

    object_type: str
    obj: Any
    problem: str


@dataclass
class Listing:
    """One of Foundry's listings after its watermark (`kind`: response or conversation), the usable
    objects only."""

    kind: str
    listed: List[Dict[str, Any]]
    skipped: List[Skipped]


def _usable(kind: str, objects: List[Any]) -> Listing:
    usable, skipped = [], []
    for obj in objects:
        object_id = obj.get("id") if isinstance(obj, dict) else None
        if is_valid_id(object_id):
            usable.append(obj)
        else:
            skipped.append(Skipped(kind, obj, f"listed {kind} skipped: {id_problem(object_id, f'{kind} id')}"))
    return Listing(kind, usable, skipped)


async def list_responses(client: ResponsesClient, after: Optional[str], agent_name: Optional[str]) -> Listing:
    return _usable("response", await client.list_responses(after, agent_name))


async def stream_responses(client: ResponsesClient, after: Optional[str], agent_name: Optional[str],
                           done_ids: Sequence[str], feed: "asyncio.Queue[Optional[List[Tuple[str, str]]]]") -> Listing:
    """`list_responses`, but each page's responses to fetch ((id, "listed"), `incremental.to_fetch`) are
    put on `feed` as the page arrives, so fetching overlaps the listing's chain of pages (a page's
    `after` is the previous page's last id: 101 pages at 100 ms are 10 s). `None` ends the feed."""
    pages: List[Listing] = []

    def keep(data: List[Any], body: bytes) -> None:
        page = _usable("response", data)
        pages.append(page)
        feed.put_nowait([(r["id"], "listed") for r in incremental.to_fetch(done_ids, page.listed)])

    try:
        await client.page_responses(after, agent_name, keep)
    finally:
        feed.put_nowait(None)
    return Listing("response", [r for p in pages for r in p.listed], [s for p in pages for s in p.skipped])


async def list_conversations(client: ResponsesClient, after: Optional[str], agent_name: Optional[str]) -> Listing:
    return _usable("conversation", await client.list_conversations(after, agent_name))


async def _response(client: ResponsesClient, response_id: str, via: str) -> FetchedResponse:
    try:
        return FetchedResponse(response_id, via, response=await client.get_response(response_id))
    except NotFoundError as exc:
        return FetchedResponse(response_id, via, gone=exc)


async def _conversation(client: ResponsesClient, job: ConversationJob) -> FetchedConversation:
    result = FetchedConversation(job, conversation=job.listed)
    items = client.list_conversation_items(job.conversation_id, job.after_item)
    try:
        if job.fetch_object:  # both at once: one round trip less per conversation
            result.conversation, result.items = await asyncio.gather(client.get_conversation(job.conversation_id), items)
        else:
            result.items = await items
    except NotFoundError as exc:
        result.gone = exc
    return result


async def fetch_all(
    client: ResponsesClient,
    responses: Sequence[Tuple[str, str]],
    walk_ids: Set[str],
    known: Set[str],
    claimed: Set[str],
    conversations: Sequence[ConversationJob],
    window: int,
    conversation_of: Callable[[FetchedResponse], Optional[ConversationJob]] = lambda fetched: None,
    feed: "Optional[asyncio.Queue[Optional[List[Tuple[str, str]]]]]" = None,
) -> AsyncIterator[Any]:
    """Fetch `responses` ((id, via), ids already checked) and `conversations`, and walk back the
    `previous_response_id` chain of the responses in `walk_ids`, with at most `window` objects in
    progress; yields `FetchedResponse`, `FetchedConversation` and `Skipped` as they complete.

    Args:
        known: ids of responses already loaded (a walk stops there).
        claimed: ids this load fetches already (a walk stops there too); grows as walks go back.
        conversation_of: the conversation a fetched response adds items to, when it must be read
            (`planner.ConversationPlan.touched_by`), else None.
        feed: more responses ((id, via) batches) arriving while these are fetched, until None
            (`stream_responses`); one already claimed is not fetched again. Each batch is announced
            with `("more", n)` before its results.
    """
    todo: List[Awaitable[Any]] = [_conversation(client, job) for job in conversations]
    todo += [_response(client, rid, via) for rid, via in responses]
    claimed.update(rid for rid, _ in responses)
    pending: set = set()

    def top_up() -> None:
        while todo and len(pending) < window:
            pending.add(asyncio.ensure_future(todo.pop()))

    top_up()
    more = asyncio.ensure_future(feed.get()) if feed is not None else None
    try:
        while pending or more is not None:
            done, _ = await asyncio.wait(pending | ({more} if more else set()), return_when=asyncio.FIRST_COMPLETED)
            if more is not None and more in done:
                done.discard(more)
                batch = more.result()
                more = None if batch is None else asyncio.ensure_future(feed.get())  # type: ignore[union-attr]
                fresh = [(rid, via) for rid, via in batch or [] if rid not in claimed]
                claimed.update(rid for rid, _ in fresh)
                todo[:0] = [_response(client, rid, via) for rid, via in reversed(fresh)]  # after what is queued
                if fresh:
                    yield ("more", len(fresh))
            for task in done:
                pending.discard(task)
                result = task.result()
                if isinstance(result, FetchedResponse) and result.response is not None and (
                        result.response_id in walk_ids):
                    previous = incremental.chain_next(result.response, known, claimed)
                    if previous is not None and not is_valid_id(previous):
                        yield Skipped("response", previous,
                                      f"previous_response_id of {result.response_id} skipped: "
                                      f"{id_problem(previous, 'response id')}")
                    elif previous is not None:
                        claimed.add(previous)
                        walk_ids.add(previous)
                        todo.append(_response(client, previous, "chain"))
                if isinstance(result, FetchedResponse):
                    job = conversation_of(result)
                    if job is not None:
                        todo.append(_conversation(client, job))
                yield result
            top_up()
    finally:
        if more is not None:
            more.cancel()
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        for coroutine in todo:  # never started: close them, so none is left un-awaited
            coroutine.close()
