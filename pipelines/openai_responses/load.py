"""One load of the Responses source: read the loader's state, list and fetch, turn the results into
rows, and move the listing cursors, in the same load package as the rows.

The rules live beside it: what to fetch (`incremental`, `planner`), how (`extract`), as which rows
(`rows`, `flatten`), and the state (`state`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Optional, Sequence

from sourcekit.arrow import RowBuffer, TableContract
from sourcekit.background import iterate_in_background
from sourcekit.config import ClientConfig
from sourcekit.errors import ConfigError

from . import extract, incremental, settings
from .archive_writer import ResponsesArchiveWriter, archived
from .client import ResponsesClient
from .planner import ConversationPlan
from .rows import LoadProgress, add_issue, emit_conversation, emit_response, emit_skipped
from .state import CURSOR_TABLE, listing_scope, read_conversations, read_cursor, read_known_responses, read_response_rows

CONTRACT = TableContract(settings.TABLES)


def load_rows(
    config: ClientConfig,
    response_ids: Sequence[str],
    conversation_ids: Sequence[str],
    list_responses: bool,
    agent_name: Optional[str],
    poll_known: bool,
    on_progress: Optional[Callable[[LoadProgress], None]] = None,
    archive_dir: Optional[str] = None,
) -> Iterator[Any]:
    """The rows (Arrow batches) of every table of `settings.TABLES` for one load; call it from
    inside a dlt resource (it reads the state from the pipeline's dataset). Arguments as
    `openai_responses.openai_responses` checked them; with `archive_dir`, every page fetched is
    also written there as received (`archive_writer`)."""
    now = datetime.now(timezone.utc)
    buffer = RowBuffer(CONTRACT)
    yield from CONTRACT.declare()
    known = read_known_responses(settings.TERMINAL_RESPONSE_STATUSES)
    known_conversations = read_conversations()
    cursor = read_cursor(listing_scope(config.base_url, agent_name)) if list_responses else None
    progress = LoadProgress()
    writer = ResponsesArchiveWriter(archive_dir) if archive_dir else None
    client = ResponsesClient(config, on_page=writer.write if writer else None)
    plan = ConversationPlan(known_conversations, known.ids)
    fetched_status: dict = {}
    gone_listed: list = []  # responses that will never load (404 or unusable); advance() keeps the listed ones

    async def produce():
        async with client:
            claimed, responses, new_conversations = set(), [], []
            feed = streamed = None
            if cursor is not None and not response_ids:
                # nothing to walk back: fetch each listing page's responses while the next pages come
                feed = asyncio.Queue()
                streamed = asyncio.ensure_future(extract.stream_responses(
                    client, cursor.watermark_response_id, agent_name, cursor.done_response_ids, feed))
            elif cursor is not None:
                listing = await extract.list_responses(client, cursor.watermark_response_id, agent_name)
                yield listing
                claimed = {r["id"] for r in listing.listed}
                responses = [(r["id"], "listed") for r in incremental.to_fetch(cursor.done_response_ids, listing.listed)]
            if cursor is not None:
                conversation_listing = await extract.list_conversations(client, cursor.watermark_conversation_id, agent_name)
                yield conversation_listing
                new_conversations = conversation_listing.listed
            responses += [(r, "input") for r in response_ids if r not in claimed]
            claimed |= set(response_ids)
            if poll_known:
                responses += [(r, "known") for r in known.open_ids if r not in claimed]
            conversations = plan.initial(conversation_ids, new_conversations)
            if not responses and not conversations and cursor is None and not (poll_known and (known.ids or known_conversations)):
                raise ConfigError(
                    "nothing to load: no response or conversation was given and none is open from earlier loads. "
                    "Name responses with --response-id, --response-ids-file or --response-ids-sql, or conversations "
                    "with --conversation-id (Foundry lists its responses itself)")
            yield ("planned", len(responses) + len(conversations))
            walk = {r for r, via in responses if via == "input"}
            try:
                async for result in extract.fetch_all(
                        client, responses, walk, known.ids, claimed, conversations,
                        window=max(8, config.concurrency * 2),
                        conversation_of=plan.touched_by if poll_known else (lambda fetched: None), feed=feed):
                    yield result
                if streamed is not None:
                    yield await streamed
            finally:
                if streamed is not None and not streamed.done():
                    streamed.cancel()
                    await asyncio.gather(streamed, return_exceptions=True)

    gone_known: list = []
    listed: list = []
    last_conversation = None
    for item in archived(writer, iterate_in_background(produce, buffer=settings.RESULT_BUFFER)):
        if isinstance(item, extract.Listing):
            if item.kind == "response":
                listed = item.listed
            elif item.listed:
                last_conversation = item.listed[-1]["id"]
            for skipped in item.skipped:
                emit_skipped(buffer, skipped, now, progress)
            continue
        if isinstance(item, tuple):  # ("planned", n), then ("more", n) for each listing page streamed
            progress.total = item[1] if item[0] == "planned" else progress.total + item[1]
            continue
        if isinstance(item, extract.Skipped):
            emit_skipped(buffer, item, now, progress)
        elif isinstance(item, extract.FetchedConversation):
            progress.done += 1
            emit_conversation(buffer, item, known_conversations, now, progress)
        elif isinstance(item, extract.FetchedResponse):
            progress.done += 1
            if item.gone is not None:
                add_issue(buffer, progress, "response", item.response_id,
                          f"response not found (past retention, or deleted): {item.gone.api_message}", now, item.gone)
                gone_listed.append(item.response_id)  # only those the listing holds count (see advance)
                if item.response_id in known.ids:
                    gone_known.append(item.response_id)
            elif emit_response(buffer, item, now, progress):
                fetched_status[item.response_id] = item.response.get("status")
            else:
                gone_listed.append(item.response_id)  # unusable: it would only block the watermark
        progress.requests, progress.retries = client.stats.requests, client.stats.retries
        if on_progress is not None:
            on_progress(progress)
        yield from buffer.drain()
    # Responses loaded before that the API no longer holds: keep their rows, mark them gone.
    for row in read_response_rows(gone_known):
        buffer.add("responses", [{**row, "deleted_at": row.get("deleted_at") or now}])
    if cursor is not None:
        before = cursor.row()
        cursor.watermark_response_id, cursor.done_response_ids = incremental.advance(
            cursor.watermark_response_id, listed, fetched_status, gone=gone_listed)
        cursor.watermark_conversation_id = last_conversation or cursor.watermark_conversation_id
        if cursor.row() != before:  # written only when it moved, in the same load as the rows
            cursor.updated_at = now
            buffer.add(CURSOR_TABLE, [cursor.row()])
    yield from buffer.finish()
