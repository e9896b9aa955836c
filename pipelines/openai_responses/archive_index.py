"""A scratch DuckDB that holds every copy read from a Responses archive, flattened, until the best
ones are known (the Responses counterpart of `openai_assistants.archive_index`).

Objects are flattened once, as they are read (`flatten`, the API load's own functions), and their rows
are appended in batches to staging tables tagged with the copy they came from; a `copies` table holds
each copy's kind, id, owner, file, place and rank. When every file is read, one query per table picks
the winning copies and streams their rows out as Arrow batches. DuckDB keeps all this on disk under a
memory cap, so memory does not grow with the archive.

The most complete copy wins when an object appears more than once (saved while in progress, then
again when done; the same page in two files); the copy kept is the one with

1. a terminal status over an open one (a response: `completed`, `failed`, `cancelled`,
   `incomplete`; an item: any status but `in_progress`, `searching`, `generating`, `interpreting`);
2. then more content (a response: usage present, plus its output items, plus their file-search
   results and code-interpreter outputs);
3. then the later end (`completed_at`), then the later of its timestamps (`created_at` and the end);
4. then, between equal copies, the one in the file whose path sorts last, and the later in that file.

A conversation's items are combined by id across every file, each item as its most complete copy,
in the order they first appear in the archive (files by path, then place in the file); its
`item_count` is the number of those items (and `last_item_id` the newest), or null when no list of its items was saved. A
conversation known only from its items gets a row with its id. The order is total, so reading the
files in any order keeps the same copies.

Each copy belongs to a unit that is emitted whole: a response (with its output items and their
results), or a conversation (its object, its items and the pages that listed them). An incremental
load stages the fresh files and the older files holding copies of the units they touch, and emits
those units only (`touched`, `decide`); `locations` says which files hold each emitted unit's copies,
for the next load.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import duckdb
import pyarrow as pa

from sourcekit.arrow import TableContract, rows_to_arrow

from . import flatten
from .settings import TERMINAL_RESPONSE_STATUSES

RESPONSE_TABLES = ("responses", "response_items", "response_file_search_results", "response_code_interpreter_outputs")
DATA_TABLES = RESPONSE_TABLES + ("conversations", "conversation_items")
OPEN_ITEM_STATUSES = frozenset({"in_progress", "searching", "generating", "interpreting", "queued"})
STAGE_ROWS = 20_000  # rows per table buffered in Python before they go to DuckDB

_COPIES = pa.schema([
    ("copy_no", pa.int64()), ("kind", pa.string()), ("id", pa.string()), ("owner", pa.string()),
    ("path", pa.string()), ("ordinal", pa.int64()), ("terminal", pa.int32()), ("fullness", pa.int32()),
    ("ended_at", pa.float64()), ("touched_at", pa.float64()),
    ("unit_kind", pa.string()), ("unit", pa.string()), ("fresh", pa.bool_()),
])


def _num(value: Any) -> float:
    if value is None or isinstance(value, bool):
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def rank(kind: str, obj: Dict[str, Any]) -> Tuple[int, int, float, float]:
    """(terminal, fullness, ended_at, touched_at): larger is more complete (see the module's rule)."""
    status = obj.get("status")
    if kind == "response":
        terminal = int(status in TERMINAL_RESPONSE_STATUSES)
        output = obj.get("output") if isinstance(obj.get("output"), list) else []
        fullness = int(isinstance(obj.get("usage"), dict)) + len(output)
        for item in output:
            if isinstance(item, dict):
                fullness += sum(len(item[k]) for k in ("results", "outputs") if isinstance(item.get(k), list))
    else:
        terminal = int(kind == "conversation_item" and isinstance(status, str) and status not in OPEN_ITEM_STATUSES)
        fullness = 0
    ended = _num(obj.get("completed_at"))
    return terminal, fullness, ended, max(ended, _num(obj.get("created_at")))


class ResponsesArchiveIndex:
    """The scratch database of one archive load.

    Args:
        workdir: a folder of its own (removed by the caller).
        contract: the tables' contract (column types).
        memory_limit: DuckDB's cap; beyond it DuckDB spills to `workdir` (env `RUNSTEPS_ARCHIVE_MEMORY`).
    """

    def __init__(self, workdir: Path, contract: TableContract, memory_limit: Optional[str] = None) -> None:
        memory_limit = memory_limit or os.environ.get("RUNSTEPS_ARCHIVE_MEMORY", "64MB")
        self.contract = contract
        self.con = duckdb.connect(str(workdir / "index.duckdb"))
        for setting in (f"memory_limit='{memory_limit}'", "threads=1", "preserve_insertion_order=false",
                        f"temp_directory='{workdir / 'spill'}'", "TimeZone='UTC'"):
            self.con.execute(f"SET {setting}")
        self.schemas: Dict[str, pa.Schema] = {}
        for table in DATA_TABLES:
            self.schemas[table] = contract.schemas[table].append(pa.field("copy_no", pa.int64()))
            self._create(f"stg_{table}", self.schemas[table])
        self._create("copies", _COPIES)
        self.rows: Dict[str, List[Dict[str, Any]]] = {t: [] for t in self.schemas}
        self.copies: List[Tuple] = []
        self.copy_no = 0

    def _create(self, name: str, schema: pa.Schema) -> None:
        empty = schema.empty_table()  # noqa: F841 (read by DuckDB by name)
        self.con.execute(f"CREATE TABLE {name} AS SELECT * FROM empty")

    def add(self, kind: str, obj: Dict[str, Any], parent: Optional[str], path: str, ordinal: int,
            fresh: bool = True) -> Optional[str]:
        """Flatten one copy into the staging tables; returns why it cannot be used, or None.

        Args:
            kind: `response`, `conversation`, `conversation_item` or `page` (`archive_reader.Found`).
            obj: the object.
            parent: the conversation of an item or page.
            path: the file it came from.
            ordinal: its place in that file.
            fresh: whether the file is new or changed (its units are emitted), or an older file read
                again for the units fresh ones touch.
        """
        try:
            if kind == "response":
                rows = flatten.response_rows(obj, "export", None)
            elif kind == "conversation":
                rows = {"conversations": [flatten.conversation_row(obj, None, "export", None)]}
            elif kind == "conversation_item":
                rows = {"conversation_items": flatten.conversation_item_rows(parent, [obj])}
            else:
                rows = {}
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            return f"could not parse this {kind.replace('_', ' ')}: {type(exc).__name__}: {exc}"
        self.copy_no += 1
        for table, table_rows in rows.items():
            for row in table_rows:
                row["copy_no"] = self.copy_no
            self.rows[table].extend(table_rows)
            if len(self.rows[table]) >= STAGE_ROWS:
                self._flush(table)
        oid = obj.get("id") if isinstance(obj.get("id"), str) else None
        if kind == "conversation_item" and oid is None:
            oid = f"{path}#{ordinal}"  # an item without an id is its own object
        unit = ("response", oid) if kind == "response" else ("conversation", oid if kind == "conversation" else parent)
        self.copies.append((self.copy_no, kind, oid, parent, path, ordinal, *rank(kind, obj), *unit, fresh))
        if len(self.copies) >= STAGE_ROWS:
            self._flush_copies()
        return None

    def _flush(self, table: str) -> None:
        rows, self.rows[table] = self.rows[table], []
        if not rows:
            return
        # JSON travels as text, as `TableContract.to_arrow` does
        batch = rows_to_arrow(rows, self.schemas[table], self.contract.json_columns[table])  # noqa: F841
        self.con.execute(f"INSERT INTO stg_{table} SELECT * FROM batch")

    def _flush_copies(self) -> None:
        copies, self.copies = self.copies, []
        if copies:
            columns = list(zip(*copies))
            batch = pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, _COPIES)], schema=_COPIES)  # noqa: F841
            self.con.execute("INSERT INTO copies SELECT * FROM batch")

    def flush(self) -> None:
        """Everything buffered in Python goes to DuckDB."""
        for table in self.rows:
            self._flush(table)
        self._flush_copies()

    def touched(self) -> str:
        """A table `touched` (`kind`, `owner`) in this database of the units fresh files hold copies of;
        the caller may add units to it (those an earlier load found in a file that changed since)."""
        self.flush()
        self.con.execute("""
            CREATE OR REPLACE TABLE touched AS
            SELECT DISTINCT unit_kind AS kind, unit AS owner FROM copies WHERE fresh AND unit IS NOT NULL""")
        return "touched"

    def decide(self) -> None:
        """Pick the winning copy of every object of the touched units, and each conversation's items in order."""
        self.flush()
        self.con.execute("""
            CREATE OR REPLACE TABLE unit_copies AS SELECT c.* FROM copies c
            WHERE EXISTS (SELECT 1 FROM touched t WHERE t.kind = c.unit_kind AND t.owner = c.unit)""")
        self.con.execute("""
            CREATE OR REPLACE TABLE winners AS SELECT * FROM unit_copies WHERE kind <> 'page' QUALIFY row_number() OVER (
                PARTITION BY kind, owner, id
                ORDER BY terminal DESC, fullness DESC, ended_at DESC, touched_at DESC, path DESC, ordinal DESC) = 1""")
        self.con.execute("""
            CREATE OR REPLACE TABLE item_positions AS
            SELECT w.copy_no, row_number() OVER (PARTITION BY w.owner ORDER BY f.path, f.ordinal) - 1 AS position
            FROM winners w JOIN (SELECT owner, id, path, ordinal FROM unit_copies WHERE kind = 'conversation_item'
                                 QUALIFY row_number() OVER (PARTITION BY owner, id ORDER BY path, ordinal) = 1) f
                 USING (owner, id)
            WHERE w.kind = 'conversation_item'""")
        self.con.execute("""
            CREATE OR REPLACE TABLE listed AS
            SELECT l.owner AS id, (SELECT count(*) FROM winners w WHERE w.kind = 'conversation_item'
                                   AND w.owner = l.owner) AS item_count,
                   -- the newest item, where a later load from the API goes on reading (planner.py)
                   (SELECT arg_max(w.id, p.position) FROM winners w JOIN item_positions p USING (copy_no)
                    WHERE w.owner = l.owner) AS last_item_id
            FROM (SELECT DISTINCT owner FROM unit_copies WHERE kind IN ('page', 'conversation_item')) l""")

    def batches(self, batch_rows: int) -> Iterator[Tuple[str, pa.Table]]:
        """(table, Arrow batch) of the winning rows of every table."""
        queries = {table: f"SELECT s.* EXCLUDE (copy_no) FROM stg_{table} s JOIN winners w USING (copy_no)"
                   for table in RESPONSE_TABLES}
        queries["conversations"] = """
            SELECT s.* EXCLUDE (copy_no) REPLACE (l.item_count AS item_count, l.last_item_id AS last_item_id)
            FROM stg_conversations s JOIN winners w USING (copy_no) LEFT JOIN listed l ON l.id = w.id
            UNION ALL BY NAME
            SELECT id, item_count, last_item_id, 'export' AS discovered_via FROM listed
            WHERE id NOT IN (SELECT id FROM winners WHERE kind = 'conversation')"""
        queries["conversation_items"] = """
            SELECT s.* EXCLUDE (copy_no) REPLACE (p.position AS position)
            FROM stg_conversation_items s JOIN item_positions p USING (copy_no)"""
        for table, sql in queries.items():
            schema = self.contract.schemas[table]
            names = ", ".join(f'"{n}"' for n in schema.names)
            reader = self.con.sql(f"SELECT {names} FROM ({sql})").to_arrow_reader(batch_rows)
            for batch in reader:
                yield table, pa.Table.from_batches([batch]).cast(schema)

    def locations(self) -> Iterator[pa.Table]:
        """Rows of the locations table for every unit emitted: each file holding copies of it (kept or
        not, so that a file rewritten without one still leads to the others)."""
        sql = """
            SELECT unit_kind AS kind, unit AS owner, path, count(*) AS objects FROM unit_copies
            WHERE unit IS NOT NULL GROUP BY ALL"""
        for batch in self.con.sql(sql).to_arrow_reader(50_000):
            yield pa.Table.from_batches([batch])

    def counts(self) -> Dict[str, int]:
        """Objects emitted, by kind (for the summary and the tests)."""
        return dict(self.con.execute("SELECT kind, count(*) FROM winners GROUP BY kind").fetchall())

    def close(self) -> None:
        self.con.close()
