"""Cursors kept in a table of the dataset, committed in the same load as the data they describe.

dlt stores a source's state whole, compressed, in `_dlt_pipeline_state` on every load: per-object
cursors there grow with every object ever seen and are rewritten every night (about 100 bytes per
thread: a 100 MB blob at a million threads). In a merge table, a load writes only the cursors that
moved, and the rows land in the same load package as the data, so a crash loses or doubles nothing:
the package is finished before anything new is extracted.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

import dlt
import orjson
from dlt.destinations.exceptions import DatabaseUndefinedRelation


def read_rows(table: str, columns: Sequence[str], json_columns: Sequence[str] = (),
              added_later: Sequence[str] = ()) -> List[Dict[str, Any]]:
    """Every row of `table` in the dataset of the pipeline now extracting, or none before its first load.

    Call it from inside a dlt resource. JSON columns come back parsed, whatever the destination's driver
    returns for them (text on DuckDB, objects on PostgreSQL). Columns in `added_later` may be missing
    from a table an older version created (they come back None; the load adds them).
    """
    pipeline = dlt.current.pipeline()
    # No schema yet: nothing was ever loaded (a working folder lost since is restored from the
    # destination before extraction starts, schema included).
    if pipeline.destination is None or pipeline.default_schema_name is None:
        return []
    try:
        with pipeline.sql_client() as client:
            if not client.has_dataset():
                return []
            qualified = client.make_qualified_table_name(table)
            present = list(columns)
            if added_later:
                with client.execute_query(f"SELECT * FROM {qualified} WHERE 1 = 0") as cursor:
                    existing = {d[0].lower() for d in cursor.description or ()}
                present = [c for c in columns if c not in added_later or c.lower() in existing]
            quoted = ", ".join(client.escape_column_name(c) for c in present)
            rows = client.execute_sql(f"SELECT {quoted} FROM {qualified}")
    except DatabaseUndefinedRelation:
        return []
    out = []
    for values in rows or ():
        row = {**dict.fromkeys(columns), **dict(zip(present, values))}
        for column in json_columns:
            if isinstance(row[column], (str, bytes)):
                row[column] = orjson.loads(row[column])
        out.append(row)
    return out
