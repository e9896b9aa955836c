"""What one archive file holds: Responses and Conversations objects, one at a time, and the problems
met on the way.

Accepted, whatever the file's name: a list page (`{"object": "list", "data": [...]}`, or Foundry's
envelope without `object`), a bare JSON array, or one object; in a `.jsonl`/`.ndjson` file one of
these per line; and the lines `runsteps load --archive` writes (`{"request_path": ..., "body": ...}`,
`archive_writer`). Objects as the openai SDK dumps them (`model_dump()`) are the API's JSON; a
timestamp written as ISO-8601 text (`json.dumps(..., default=str)`) is read back as unix seconds.

What each object is:

- `object: "response"` (or no `object` and an id starting `resp_`): a response;
- `object: "conversation"` (or no `object` and an id starting `conv_`): a conversation;
- no `object` and a `type`: an item (a message, a function call, ...). Items do not name what they
  belong to, so the place they were saved in does: the last `conv_…` or `resp_…` id (the prefix, then
  letters and digits, as the APIs make them) in the request path of an `--archive` line, else in the
  file's path (`conversations/conv_1/items.json`, `conv_1-items.jsonl`, `conv_1_items.json.gz`,
  `responses/resp_1/input_items.json`). Under a conversation they are its
  items, in the order the archive holds them (save pages oldest first: `order="asc"`, as the loader
  asks); under a response they are its input items, which no table holds yet (the API load does
  not fetch them either): they are counted and not loaded.
- anything else (another `object`, an item with no place, not an object at all) is a problem.

A `.jsonl` file is read line by line, so memory follows the longest line, not the file; a `.json`
file is one document and is parsed whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Tuple, Union

from openai_assistants.archive_reader import FileReader as BaseFileReader
from openai_assistants.archive_reader import KINDS as ASSISTANTS_KINDS
from openai_assistants.archive_reader import Problem, unix_times

KINDS = {"response": "response", "conversation": "conversation"}
_ID_PREFIXES = (("resp_", "response"), ("conv_", "conversation"))
_PLACE = re.compile(r"(conv_|resp_)[A-Za-z0-9]+")
WRAPPER_KEYS = frozenset({"request_path", "body"})


@dataclass
class Found:
    """One object. `kind`: `response`, `conversation`, `conversation_item`, `input_item`, or `page`
    (a list of a conversation's items was saved, even an empty one); `parent` is the conversation (or
    response) an item or page belongs to; `where` names its place for messages."""

    kind: str
    obj: dict
    where: str
    parent: Optional[str] = None


def place_of(path: str) -> Optional[Tuple[str, str]]:
    """(`conversation` or `response`, id) named last in `path`, or None."""
    found = None
    for match in _PLACE.finditer(path):
        found = match
    if found is None:
        return None
    return ("conversation" if found.group(1) == "conv_" else "response"), found.group(0)


class FileReader(BaseFileReader):
    """Reads one `ArchiveFile` (formats, hashing and read errors as for the Assistants archives),
    yielding `Found` and `Problem` in file order.

    Args:
        file: the file.
    """

    def objects(self, doc: Any, where: str, whole_file: bool) -> Iterator[Union[Found, Problem]]:  # type: ignore[override]
        return objects(doc, where, self.file.path)


def objects(doc: Any, where: str, path: str) -> Iterator[Union[Found, Problem]]:
    """The objects of one document (a list page, a bare array, one object, or an `--archive` line);
    `path` is the file's, where items find what they belong to unless the line names a request."""
    if isinstance(doc, dict) and doc.keys() == WRAPPER_KEYS and isinstance(doc["request_path"], str):
        path, doc = doc["request_path"], doc["body"]
    if isinstance(doc, list):
        items, paged = doc, True
    elif isinstance(doc, dict) and isinstance(doc.get("data"), list) and doc.get("object") in (None, "list"):
        items, paged = doc["data"], True
    else:
        items, paged = [doc], False
    place = place_of(path)
    if paged and place is not None and place[0] == "conversation" and (
            not items or any(kind_of(item) == "item" for item in items)):
        yield Found("page", {}, where, parent=place[1])
    for index, item in enumerate(items):
        at = " ".join(p for p in (where, f"item {index + 1}" if paged else "") if p)
        kind = kind_of(item)
        if kind is None:
            what = item.get("object") if isinstance(item, dict) else None
            if isinstance(what, str) and what in ASSISTANTS_KINDS:
                yield Problem(at, f"an Assistants API object ({what!r}): load it without --api responses", other_api=True)
                continue
            yield Problem(at, f"an object of unknown kind {what!r} (not a response, conversation or item)"
                          if isinstance(what, str) else "not a response, conversation or item")
            continue
        obj = dict(item)
        if kind == "item":
            if place is None:
                yield Problem(at, "an item (type {!r}) saved in no place that names its conversation or response: "
                                  "put conv_… or resp_… in its file or folder name".format(obj.get("type")))
                continue
            yield Found("conversation_item" if place[0] == "conversation" else "input_item", obj, at, parent=place[1])
            continue
        if not isinstance(obj.get("id"), str) or not obj["id"]:
            yield Problem(at, f"a {kind} without a string id")
            continue
        unix_times(obj)
        yield Found(kind, obj, at)


def kind_of(obj: Any) -> Optional[str]:
    """`response`, `conversation` or `item` (see the module's rule), or None."""
    if not isinstance(obj, dict):
        return None
    declared = obj.get("object")
    if declared is not None:
        return KINDS.get(declared) if isinstance(declared, str) else None
    oid = obj.get("id")
    if isinstance(oid, str):
        for prefix, kind in _ID_PREFIXES:
            if oid.startswith(prefix):
                return kind
    return "item" if isinstance(obj.get("type"), str) else None
