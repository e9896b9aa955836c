"""Typed table contracts, and rows handed to dlt as batches of Arrow tables.

dlt normalizes dict rows one by one in Python (two thirds of a load's time, measured), while Arrow
batches go to parquet as they are. A source describes its tables once (`TableContract`) and buffers
rows per table; every table exists with every column typed from the first load on, even when empty.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import dlt
import orjson
import pyarrow as pa

BATCH_ROWS = 5000

# The column types a contract may use, as dlt names them.
TEXT, BIGINT, DOUBLE, BOOL, JSON = "text", "bigint", "double", "bool", "json"


def column(data_type: str, **extra: Any) -> Dict[str, Any]:
    """A nullable column of a contract (`nullable=False` or other dlt hints in `extra`)."""
    return {"data_type": data_type, "nullable": True, **extra}


def timestamp_column() -> Dict[str, Any]:
    """A nullable `timestamp with time zone` column."""
    return {"data_type": "timestamp", "timezone": True, "nullable": True}


def load_issues_table() -> Dict[str, Any]:
    """`load_issues`, one table for every source: a problem met while loading (appended). Sources
    without threads and runs leave `thread_id` and `run_id` null and name the object in `object_id`."""
    return {
        "write_disposition": "append",
        "columns": {
            "object_type": column(TEXT),
            "object_id": column(TEXT),
            "thread_id": column(TEXT),
            "run_id": column(TEXT),
            "http_status": column(BIGINT),
            "error_code": column(TEXT),
            "message": column(TEXT),
            "request_id": column(TEXT),
            "seen_at": timestamp_column(),
        },
    }


def archive_files_table() -> Dict[str, Any]:
    """What an archive load read, one row per file (`openai_assistants.archive_state`). Each source
    keeps its own table of this shape: both load into one dataset, often from the same folder, and
    each must see only the files it read itself."""
    return {
        "write_disposition": "merge",
        "primary_key": "path",
        "columns": {
            "path": column(TEXT, nullable=False),  # relative to the archive root; ZIP/MEMBER inside a zip
            "size": column(BIGINT),
            "mtime": column(DOUBLE),  # unix seconds
            "sha256": column(TEXT),  # of the file's bytes as stored (compressed)
            "objects": column(BIGINT),  # the source's objects read from it
            "problems": column(BIGINT),  # load issues it gave
            "loaded_at": timestamp_column(),
        },
    }


def archive_locations_table() -> Dict[str, Any]:
    """Which files hold copies (winning or not) of each unit an archive load emits whole, so that a
    new or changed file re-reads exactly the older files holding the rest of what it touches. A unit
    emitted again replaces all of its locations (`replace_rows_of`, as the child tables: a merge key
    here would make dlt's DELETE compare every location with every loaded one); `merge_key=False`
    clears the merge key older databases keep in their stored schema."""
    return {
        "write_disposition": replace_rows_of("owner"),
        "primary_key": ["kind", "owner", "path"],
        "columns": {
            "kind": column(TEXT, nullable=False),  # the unit's kind (each source's settings list them)
            "owner": column(TEXT, nullable=False, merge_key=False),  # the unit's id
            "path": column(TEXT, nullable=False),
            "objects": column(BIGINT),  # copies of the unit's objects in that file
        },
    }


def replace_rows_of(key: str) -> Dict[str, Any]:
    """The write disposition of a child table: a re-fetched parent replaces all of its rows.

    dlt deletes the rows whose `key` is among the loaded rows' (an uncorrelated IN, which DuckDB and
    PostgreSQL run as a hash semi-join: one scan of the table plus the new rows), then inserts the
    loaded rows, deduplicated on the primary key (which also absorbs a copy job repeated after a
    crash). This is dlt's `destination_scope`, not a `merge_key`: with a primary key and a merge key
    dlt deletes `WHERE EXISTS (... pk = pk OR key = key)`, and that OR makes both databases compare
    every row of the table with every loaded row (issue 13: re-merging 118k steps took 241 s in the
    load step, 1.7 s this way; tests/integration/test_merge_plans.py reads the plans).
    """
    return {"disposition": "merge", "strategy": "delete-insert", "destination_scope": _SCOPE.format(key=key)}


_SCOPE = "{key} IN (SELECT {key} FROM {{staging_table}})"


def replaced_by(disposition: Any) -> Optional[str]:
    """The key column of a `replace_rows_of` disposition, or None for any other."""
    scope = disposition.get("destination_scope") if isinstance(disposition, dict) else None
    return scope.split(" IN ", 1)[0] if scope and scope == _SCOPE.format(key=scope.split(" IN ", 1)[0]) else None


_ARROW_TYPES = {
    "text": pa.string(),
    "json": pa.string(),  # JSON travels as text under a `json` hint
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


class TableContract:
    """The tables of one source: `{table: {"columns", "write_disposition", "primary_key", "merge_key"}}`.

    Args:
        tables: the definitions (see `openai_assistants.settings.TABLES`).
    """

    def __init__(self, tables: Mapping[str, Mapping[str, Any]]) -> None:
        self.tables = tables
        self.schemas = {
            table: pa.schema([(name, _ARROW_TYPES[col["data_type"]]) for name, col in spec["columns"].items()])
            for table, spec in tables.items()
        }
        self.json_columns = {
            table: [name for name, col in spec["columns"].items() if col["data_type"] == "json"]
            for table, spec in tables.items()
        }

    def hints(self, table: str) -> Any:
        spec = copy.deepcopy(self.tables[table])  # dlt writes into the hints it is given: keep ours as declared
        return dlt.mark.make_hints(
            table_name=table,
            write_disposition=spec["write_disposition"],
            primary_key=spec.get("primary_key"),
            merge_key=spec.get("merge_key"),
            columns=spec["columns"],
        )

    def delete_keys(self) -> Dict[str, List[str]]:
        """The columns each merged table's rows are deleted by when they are replaced: the key of its
        `replace_rows_of` scope, else its primary key (tables that are only appended to are left out)."""
        keys: Dict[str, List[str]] = {}
        for table, spec in self.tables.items():
            disposition = spec["write_disposition"]
            if replaced_by(disposition):
                keys[table] = [replaced_by(disposition)]
            elif _merges(disposition) and spec.get("primary_key"):
                key = spec["primary_key"]
                keys[table] = [key] if isinstance(key, str) else list(key)
        return keys

    def to_arrow(self, table: str, rows: List[Dict[str, Any]]) -> pa.Table:
        """Rows of one table with the contract's types (json columns as JSON text)."""
        return rows_to_arrow(rows, self.schemas[table], self.json_columns[table])

    def declare(self) -> Iterator[Any]:
        """Hints (keys, merge keys, column types) for every table, before any row arrives."""
        for table in self.tables:
            yield dlt.mark.with_hints([], self.hints(table), create_table_variant=True)


def _merges(disposition: Any) -> bool:
    return disposition == "merge" or (isinstance(disposition, dict) and disposition.get("disposition") == "merge")


def _dump_json(value: Any) -> Optional[str]:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def rows_to_arrow(rows: List[Dict[str, Any]], schema: pa.Schema, json_columns: Sequence[str] = ()) -> pa.Table:
    """Dict rows to an Arrow table of `schema`, one column at a time (a missing key is null; the
    `json_columns` are dumped to JSON text). The same values as `pa.Table.from_pylist`, in about half
    its time: the rows are read once per column instead of through a dict per row per column."""
    arrays = []
    for field in schema:
        name = field.name
        if name in json_columns:
            values = [_dump_json(row.get(name)) for row in rows]
        else:
            values = [row.get(name) for row in rows]
        arrays.append(pa.array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


class RowBuffer:
    """Collects rows per table and releases them to dlt in Arrow batches of `batch_rows`."""

    def __init__(self, contract: TableContract, batch_rows: int = BATCH_ROWS) -> None:
        self.contract = contract
        self.batch_rows = batch_rows
        self.rows: Dict[str, List[Dict[str, Any]]] = {t: [] for t in contract.tables}
        self.seen: set = set()

    def add(self, table: str, rows: List[Dict[str, Any]]) -> None:
        if rows:
            self.rows[table].extend(rows)
            self.seen.add(table)

    def drain(self, force: bool = False) -> Iterator[Any]:
        """Full batches (every batch, with `force`), each marked with its table."""
        for table, rows in self.rows.items():
            if rows and (force or len(rows) >= self.batch_rows):
                yield dlt.mark.with_table_name(self.contract.to_arrow(table, rows), table)
                self.rows[table] = []

    def finish(self) -> Iterator[Any]:
        """What is left, then an empty typed batch for each table that never got a row, so that
        every table exists with every column typed."""
        yield from self.drain(force=True)
        schema = dlt.current.source_schema()
        for table in self.contract.tables:
            if table in self.seen or schema.tables.get(table, {}).get("x-normalizer", {}).get("seen-data"):
                continue
            yield dlt.mark.with_table_name(self.contract.schemas[table].empty_table(), table)


class _ExpectedArrowHintsFilter(logging.Filter):
    """JSON columns travel as Arrow strings under a `json` hint on purpose; dlt warns about every
    batch of them. The warning says nothing a user can act on, so it is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema" not in record.getMessage()


_FILTER = _ExpectedArrowHintsFilter()


def quiet_expected_arrow_warnings() -> None:
    """Drop dlt's warning about our JSON-as-text columns (idempotent; called when a source is built)."""
    logger = logging.getLogger("dlt")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
