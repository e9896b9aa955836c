"""`runsteps load --api responses --archive DIR`: every page fetched, as received, in compressed JSONL.

The file is the Assistants source's (`openai_assistants.archive_writer.ArchiveWriter`: one
`runsteps-<UTC time>-<pid>.jsonl.gz` per load, written under a hidden name and renamed when the
extract ends, so a failed load leaves no partial file), with one difference: an item page of the
Responses API does not say which conversation (or response) it belongs to, so each line keeps the
request's path beside the body, byte for byte as received:

    {"request_path": "/conversations/conv_1/items", "body": {"object": "list", "data": [...], ...}}

The path is the API's route below the base URL, with no query and no header: no key. Pages are
written in the order they arrive; a conversation's item pages in the order the loader asks for
them, oldest first (`client.ResponsesClient.list_conversation_items`), which is the order
`archive_reader` expects.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Optional, TypeVar

import orjson

from openai_assistants.archive_writer import ArchiveWriter

T = TypeVar("T")


class ResponsesArchiveWriter(ArchiveWriter):
    """An `ArchiveWriter` whose lines name the request's path (see the module)."""

    def write(self, path: str, body: bytes) -> None:
        super().write(path, b'{"request_path":' + orjson.dumps(path) + b',"body":' + body + b"}")


def archived(writer: Optional[ArchiveWriter], items: Iterable[T]) -> Iterator[T]:
    """`items` as they are; the archive file is committed when they end, and dropped when the
    consumer fails or stops early (no partial file)."""
    if writer is None:
        yield from items
        return
    try:
        yield from items
    except BaseException:
        writer.discard()
        raise
    writer.commit()
