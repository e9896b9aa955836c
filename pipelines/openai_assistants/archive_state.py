"""What earlier archive loads read, kept in two tables of the dataset, committed with the data.

`archive_files` has one row per file read (path, size, mtime, content hash): a file whose size and
mtime match is not opened again, and one whose mtime alone moved is hashed and skipped when its bytes
are the same. `archive_locations` says which files hold copies (winning or not) of each run's objects
(and of each thread object): when a new file touches a run, the run is emitted whole again, because
its child rows are replaced per `run_id`; the files holding its other objects are read again for it,
and only those. A changed file touches what it held before too: rewritten without a run's best copy,
it leads to the files holding the copies left. (A database loaded before locations kept losing
copies has only its winners' files until each run is emitted again.)

Both are written in the same load as the rows, like `thread_cursors` (`sourcekit.cursor_table`): a
crash leaves the old state with the old data. Rows are streamed from the destination into the load's
scratch DuckDB, never held in Python. The Responses source keeps the same two tables under its own
names (`openai_responses.settings`), passed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterator, Optional

import dlt
import duckdb
import pyarrow as pa
from dlt.destinations.exceptions import DatabaseUndefinedRelation

FILES_TABLE = "archive_files"
LOCATIONS_TABLE = "archive_locations"

_FILES = pa.schema([("path", pa.string()), ("size", pa.int64()), ("mtime", pa.float64()), ("sha256", pa.string()),
                    ("objects", pa.int64()), ("problems", pa.int64())])
_LOCATIONS = pa.schema([("kind", pa.string()), ("owner", pa.string()), ("path", pa.string())])
FETCH_ROWS = 50_000


def copy_prior(con: duckdb.DuckDBPyConnection, name: str, table: str) -> None:
    """Create `name` (`prior_files` or `prior_locations`) in the load's scratch database `con`, filled
    from the dataset's `table` of the pipeline now extracting (empty before the first archive load).
    The locations are needed only when a file is new or changed: copied then, not on every reload."""
    schema = _FILES if name == "prior_files" else _LOCATIONS
    empty = schema.empty_table()  # noqa: F841 (read by DuckDB by name)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM empty")
    for batch in _stream(table, schema):  # noqa: B007
        con.execute(f"INSERT INTO {name} SELECT * FROM batch")


def _stream(table: str, schema: pa.Schema) -> Iterator[pa.Table]:
    pipeline = dlt.current.pipeline()
    if pipeline.destination is None or pipeline.default_schema_name is None:
        return
    try:
        with pipeline.sql_client() as client:
            if not client.has_dataset():
                return
            columns = ", ".join(client.escape_column_name(c) for c in schema.names)
            with client.execute_query(f"SELECT {columns} FROM {client.make_qualified_table_name(table)}") as cursor:
                for rows in cursor.iter_fetch(FETCH_ROWS):
                    yield pa.Table.from_pylist([dict(zip(schema.names, r)) for r in rows], schema=schema)
    except DatabaseUndefinedRelation:
        return


def file_row(path: str, size: int, mtime: float, sha256: Optional[str], objects: int, problems: int,
             loaded_at: datetime) -> Dict[str, Any]:
    """One row of `archive_files`."""
    return {"path": path, "size": size, "mtime": mtime, "sha256": sha256, "objects": objects,
            "problems": problems, "loaded_at": loaded_at}

