"""Reading archive files into staged rows: the part of an archive load that is pure Python.

A file's objects are parsed (`archive_reader`), ranked (`rank`), flattened and turned into Arrow
batches tagged with the copy they came from, a chunk of files at a time (`read_chunk`); each chunk
comes back as Arrow tables plus what each file held, and the index (`archive_index`) appends the
tables to its staging files and decides later. A chunk needs nothing but its files: no DuckDB, no dlt.

Reading chunks on worker processes was measured and not kept (issue 14, 908k steps on this 2-core
machine shared with another job): 79.5 s against 69.7 s in one process, and 610 MB of memory summed
over the processes (PSS) against 415 MB; the memory target is 500 MB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pyarrow as pa

from sourcekit.arrow import rows_to_arrow

from . import flatten
from .archive_files import ArchiveFile
from .archive_reader import FileReader, Found
from .settings import TERMINAL_RUN_STATUSES

# Files per chunk: about 640 steps in the emulator's layout, so a chunk's Arrow batches are a few
# thousand rows per table and its dict rows (1-2 kB each) a few MB.
CHUNK_FILES = 128
_ENDS = ("completed_at", "failed_at", "cancelled_at", "expired_at")
_OTHER_TIMES = ("created_at", "started_at", "expires_at")
COPIES = pa.schema([
    ("copy_no", pa.int64()), ("kind", pa.string()), ("id", pa.string()), ("run_id", pa.string()),
    ("thread_id", pa.string()), ("assistant_id", pa.string()), ("created_at", pa.float64()),
    ("file_no", pa.int64()), ("ordinal", pa.int64()), ("terminal", pa.int32()), ("fullness", pa.int32()),
    ("ended_at", pa.float64()), ("touched_at", pa.float64()), ("fresh", pa.bool_()),
])


@dataclass
class FileRead:
    """What one file held: its objects staged, its problems as (where, reason)."""

    file: ArchiveFile
    sha256: Optional[str]
    objects: int = 0
    steps: int = 0
    other_api: int = 0  # objects of the other API (Responses objects)
    problems: List[Tuple[str, str]] = field(default_factory=list)


@dataclass
class Chunk:
    """Files to read, numbered by the parent; copies are numbered from `copy_base` on."""

    files: List[Tuple[ArchiveFile, int]]  # (file, file_no)
    fresh: bool
    copy_base: int


@dataclass
class ChunkResult:
    reads: List[FileRead]
    tables: Dict[str, pa.Table]  # staging table name -> rows (with `copy_no`), and "copies"


@dataclass
class RowShapes:
    """What a chunk's rows look like: one schema per staged table (each with `copy_no`)."""

    schemas: Dict[str, pa.Schema]
    json_columns: Dict[str, Sequence[str]]
    now: datetime


def _num(value: Any) -> float:
    if value is None:
        return 0.0
    if type(value) is int or type(value) is float:
        return float(value)
    if isinstance(value, bool):
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def rank(kind: str, obj: Dict[str, Any]) -> Tuple[int, int, float, float]:
    """(terminal, fullness, ended_at, touched_at): larger is more complete (the rule is in
    `archive_index`'s docstring)."""
    terminal = int(kind != "thread" and obj.get("status") in TERMINAL_RUN_STATUSES)
    fullness = int(isinstance(obj.get("usage"), dict))
    if kind == "step":
        details = obj.get("step_details")
        calls = details.get("tool_calls") if isinstance(details, dict) else None
        for call in calls if isinstance(calls, list) else ():
            fullness += 1
            body = call.get(call.get("type")) if isinstance(call, dict) and isinstance(call.get("type"), str) else None
            if isinstance(body, dict):
                for key in ("outputs", "results"):
                    if isinstance(body.get(key), list):
                        fullness += len(body[key])
                if body.get("output") is not None:
                    fullness += 1
    ended = max(_num(obj.get(k)) for k in _ENDS)
    touched = max(ended, *(_num(obj.get(k)) for k in _OTHER_TIMES))
    return terminal, fullness, ended, touched


def _issue(now: datetime, object_type: str, object_id: Any, thread_id: Any, run_id: Any, message: str) -> Dict[str, Any]:
    from .rows import issue_row

    return issue_row(object_type, object_id, thread_id, run_id, message, now)


def _rows_of(kind: str, obj: Dict[str, Any], now: datetime) -> Tuple[Dict[str, List[Dict[str, Any]]], Any, Any]:
    """(rows by table, run_id, thread_id) of one copy."""
    if kind == "thread":
        return {"threads": [flatten.thread_row(obj, "export", first_seen_at=now, last_polled_at=None)]}, None, obj["id"]
    if kind == "run":
        return {"runs": [flatten.run_row(obj)]}, obj["id"], _text(obj.get("thread_id"))
    run_id, thread_id = obj["run_id"], _text(obj.get("thread_id"))
    # Flattened under its own run; the run's thread and assistant are joined in at the end.
    stub = {"id": run_id, "thread_id": thread_id}
    rows = flatten.step_rows(obj, stub)
    problems = flatten.step_problems(obj, stub)
    if problems:
        rows = {**rows, "load_issues": [_issue(now, "run step", obj["id"], thread_id, run_id, p) for p in problems]}
    return rows, run_id, thread_id


def read_chunk(chunk: Chunk, shapes: RowShapes) -> ChunkResult:
    """Read, rank and flatten every object of the chunk's files."""
    rows: Dict[str, List[Dict[str, Any]]] = {t: [] for t in shapes.schemas}
    copies: List[Tuple] = []
    reads: List[FileRead] = []
    copy_no = chunk.copy_base
    for file, file_no in chunk.files:
        reader = FileReader(file)
        read = FileRead(file, None)
        for ordinal, item in enumerate(reader):
            if not isinstance(item, Found):
                read.problems.append((item.where, item.reason))
                read.other_api += item.other_api
                continue
            kind, obj = item.kind, item.obj
            try:
                obj_rows, run_id, thread_id = _rows_of(kind, obj, shapes.now)
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                read.problems.append((item.where, f"could not parse this {kind}: {type(exc).__name__}: {exc}"))
                continue
            copy_no += 1
            read.objects += 1
            read.steps += kind == "step"
            for table, table_rows in obj_rows.items():
                for row in table_rows:
                    row["copy_no"] = copy_no
                rows[table].extend(table_rows)
            copies.append((copy_no, kind, obj["id"], run_id, thread_id, _text(obj.get("assistant_id")),
                           _num(obj.get("created_at")), file_no, ordinal, *rank(kind, obj), chunk.fresh))
        read.sha256 = reader.sha256
        reads.append(read)
    tables = {table: rows_to_arrow(table_rows, shapes.schemas[table], shapes.json_columns.get(table, ()))
              for table, table_rows in rows.items() if table_rows}
    if copies:
        columns = list(zip(*copies))
        tables["copies"] = pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, COPIES)], schema=COPIES)
    return ChunkResult(reads, tables)
