"""Concurrent fetching of responses and conversations.

Ids read from responses (a listed id, a `previous_response_id`) are checked here, before they go into
a URL: an unusable one is reported, not sent. Every request passes the client's adaptive limiter.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Dict, List, Optional, Sequence, Set, Tuple

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
class FetchedConversation:
    conversation_id: str
    via: str  # input | known
    conversation: Optional[Dict[str, Any]] = None
    items: List[Dict[str, Any]] = field(default_factory=list)
    gone: Optional[NotFoundError] = None


@dataclass
class Skipped:
    """An object that cannot be used (an id that may not go into a URL), with why."""

    object_type: str
    obj: Any
    problem: str


@dataclass
class Listing:
    """Foundry's listing after the watermark, the usable responses only."""

    listed: List[Dict[str, Any]]
    skipped: List[Skipped]


async def list_responses(client: ResponsesClient, after: Optional[str], agent_name: Optional[str]) -> Listing:
    usable, skipped = [], []
    for response in await client.list_responses(after, agent_name):
        response_id = response.get("id") if isinstance(response, dict) else None
        if is_valid_id(response_id):
            usable.append(response)
        else:
            skipped.append(Skipped("response", response, f"listed response skipped: {id_problem(response_id, 'response id')}"))
    return Listing(usable, skipped)


async def _response(client: ResponsesClient, response_id: str, via: str) -> FetchedResponse:
    try:
        return FetchedResponse(response_id, via, response=await client.get_response(response_id))
    except NotFoundError as exc:
        return FetchedResponse(response_id, via, gone=exc)


async def _conversation(client: ResponsesClient, conversation_id: str, via: str) -> FetchedConversation:
    result = FetchedConversation(conversation_id, via)
    try:
        # Both at once: one round trip less per conversation.
        result.conversation, result.items = await asyncio.gather(
            client.get_conversation(conversation_id), client.list_conversation_items(conversation_id))
    except NotFoundError as exc:
        result.gone = exc
    return result


async def fetch_all(
    client: ResponsesClient,
    responses: Sequence[Tuple[str, str]],
    walk_ids: Set[str],
    known: Set[str],
    claimed: Set[str],
    conversations: Sequence[Tuple[str, str]],
    window: int,
) -> AsyncIterator[Any]:
    """Fetch `responses` ((id, via), ids already checked) and `conversations`, and walk back the
    `previous_response_id` chain of the responses in `walk_ids`, with at most `window` objects in
    progress; yields `FetchedResponse`, `FetchedConversation` and `Skipped` as they complete.

    Args:
        known: ids of responses already loaded (a walk stops there).
        claimed: ids this load fetches already (a walk stops there too); grows as walks go back.
    """
    todo: List[Awaitable[Any]] = [_conversation(client, cid, via) for cid, via in conversations]
    todo += [_response(client, rid, via) for rid, via in responses]
    claimed.update(rid for rid, _ in responses)
    pending: set = set()

    def top_up() -> None:
        while todo and len(pending) < window:
            pending.add(asyncio.ensure_future(todo.pop()))

    top_up()
    try:
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
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
                yield result
            top_up()
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
