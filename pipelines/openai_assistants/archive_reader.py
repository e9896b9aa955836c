"""What one archive file holds: Assistants objects, one at a time, and the problems met on the way.

Accepted, whatever the file's name or folder: a list page (`{"object": "list", "data": [...]}`, or
Foundry's envelope without `object`, with or without `first_id`/`last_id`), a bare JSON array of
objects, or one object; in a `.jsonl`/`.ndjson` file one of these per line. Objects as the official
SDKs dump them are the same JSON: openai's `model_dump()` keeps the API's names, and so does
azure-ai-agents' `as_dict()` (unix-second timestamps); a timestamp written as ISO-8601 text (a
`json.dumps(..., default=str)` of parsed models) is read back as unix seconds.

A `.jsonl` file is read line by line, so memory follows the longest line, not the file; a `.json`
file is one document and is parsed whole.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Iterator, Optional, Union

import orjson

from .archive_files import ArchiveFile

KINDS = {"thread": "thread", "thread.run": "run", "thread.run.step": "step"}
_ID_PREFIXES = (("step_", "step"), ("run_", "run"), ("thread_", "thread"))
_READ_ERRORS = (EOFError, OSError, zlib.error, zipfile.BadZipFile)
# A plain file up to this size is read in one call (one open, one read, no stream objects): most
# archives are many small pages. Bigger, gzipped or zipped files are streamed.
WHOLE_FILE_BYTES = 8 << 20


@dataclass
class Found:
    """One object: `kind` is `thread`, `run` or `step`; `where` names its place for messages."""

    kind: str
    obj: dict
    where: str


@dataclass
class Problem:
    """Something in the file that is not an object that loads, and where it is."""

    where: str
    reason: str
    other_api: bool = False  # an object of the other API (a Responses object here): `--api` names the fix


class _Hashing(io.RawIOBase):
    """Passes reads through, hashing the raw bytes: the content hash costs no second read."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self.raw = raw
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self.digest.update(memoryview(buffer)[:n])
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


class FileReader:
    """Reads one `ArchiveFile`; after iterating, `sha256` is its content hash (of the raw bytes).

    Args:
        file: the file.
    """

    def __init__(self, file: ArchiveFile) -> None:
        self.file = file
        self.sha256: Optional[str] = None

    def __iter__(self) -> Iterator[Union[Found, Problem]]:
        file = self.file
        if file.member is None and not file.gzipped and file.size <= WHOLE_FILE_BYTES:
            yield from self._whole()
            return
        try:
            raw = _Hashing(file.opener())
        except OSError as exc:
            yield Problem("", f"cannot be read: {exc.strerror or exc}")
            return
        stream: Any = (gzip.GzipFile(fileobj=raw, mode="rb") if file.gzipped  # type: ignore[arg-type]
                       else io.BufferedReader(raw, buffer_size=1 << 20))
        try:
            if file.fmt == "jsonl":
                yield from self._lines(stream)
            else:
                yield from self._document(stream)
            # Read to the end, so that the hash covers every byte even after a problem.
            while raw.read(1 << 20):
                pass
            self.sha256 = raw.digest.hexdigest()
        finally:
            raw.close()

    def objects(self, doc: Any, where: str, whole_file: bool) -> Iterator[Union[Found, Problem]]:
        """The objects of one parsed document (the whole file, or one line); a source reading other
        objects overrides this alone (`openai_responses.archive_reader`)."""
        return _objects(doc, where, in_file_list=whole_file)

    def _whole(self) -> Iterator[Union[Found, Problem]]:
        """A small plain file: read in one call, hashed and parsed from the same bytes."""
        try:
            with open(self.file.location, "rb", buffering=0) as handle:
                data = handle.read()
        except OSError as exc:
            yield Problem("", f"cannot be read: {exc.strerror or exc}")
            return
        self.sha256 = hashlib.sha256(data).hexdigest()
        if self.file.fmt == "jsonl":
            yield from self._lines(io.BytesIO(data))
        else:
            yield from self._parse(data)

    def _document(self, stream: Any) -> Iterator[Union[Found, Problem]]:
        try:
            data = stream.read()
        except _READ_ERRORS as exc:
            yield Problem("", _read_error(exc))
            return
        yield from self._parse(data)

    def _parse(self, data: bytes) -> Iterator[Union[Found, Problem]]:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            yield Problem(f"line {exc.lineno}", f"not valid JSON: {exc.msg}")
            return
        del data
        yield from self.objects(doc, "", whole_file=True)

    def _lines(self, stream: Any) -> Iterator[Union[Found, Problem]]:
        number = 0
        while True:
            try:
                line = stream.readline()
            except _READ_ERRORS as exc:
                yield Problem(f"line {number + 1}", _read_error(exc))
                return
            if not line:
                return
            number += 1
            if not line.strip():
                continue
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield Problem(f"line {number}", f"not valid JSON: {exc.msg}")
                continue
            yield from self.objects(doc, f"line {number}", whole_file=False)


def _read_error(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the file ends early (a truncated gzip?); what came before it loads"
    return f"cannot be decompressed or read: {type(exc).__name__}: {exc}"


def _objects(doc: Any, where: str, in_file_list: bool) -> Iterator[Union[Found, Problem]]:
    """The objects of one document: a list page, a bare array, or one object."""
    if isinstance(doc, list):
        items, paged = doc, True
    elif isinstance(doc, dict) and isinstance(doc.get("data"), list) and doc.get("object") in (None, "list"):
        items, paged = doc["data"], True
    else:
        items, paged = [doc], False
    for index, item in enumerate(items):
        place = " ".join(p for p in (where, f"item {index + 1}" if paged else "") if p)
        kind = kind_of(item)
        if kind is None:
            what = item.get("object") if isinstance(item, dict) else None
            if _responses_object(what):
                yield Problem(place, f"a Responses API object ({what!r}): load it with --api responses", other_api=True)
                continue
            reason = (f"an object of unknown kind {what!r} (not a thread, run or run step)" if isinstance(what, str)
                      else "not a thread, run or run step")
            yield Problem(place, reason)
            continue
        obj = dict(item)
        if not isinstance(obj.get("id"), str) or not obj["id"]:
            yield Problem(place, f"a {kind} without a string id")
            continue
        if kind == "step" and not (isinstance(obj.get("run_id"), str) and obj["run_id"]):
            yield Problem(place, f"step {obj['id']!r} names no run_id")
            continue
        unix_times(obj)
        yield Found(kind, obj, place)


def _responses_object(what: Any) -> bool:
    from openai_responses.archive_reader import KINDS as RESPONSES_KINDS  # here: that reader builds on this one

    return isinstance(what, str) and (what in RESPONSES_KINDS or what.startswith("conversation."))


def kind_of(obj: Any) -> Optional[str]:
    """`thread`, `run` or `step` from `object`; from the id's prefix when `object` is missing."""
    if not isinstance(obj, dict):  # parsed JSON: a dict, never another Mapping (and much cheaper to test)
        return None
    declared = obj.get("object")
    if declared is not None:
        return KINDS.get(declared) if isinstance(declared, str) else None
    oid = obj.get("id")
    if isinstance(oid, str):
        for prefix, kind in _ID_PREFIXES:
            if oid.startswith(prefix):
                return kind
    return None


def unix_times(obj: dict) -> None:
    """ISO-8601 text in `*_at` fields (models dumped with `default=str`) to unix seconds."""
    for key, value in obj.items():
        if isinstance(value, str) and key.endswith("_at"):
            try:
                float(value)
                continue  # numeric text: flattening reads it as it is
            except ValueError:
                pass
            try:
                obj[key] = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
