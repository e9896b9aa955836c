"""Arrow batches built column by column hold exactly what pyarrow's own row-wise conversion holds."""

from datetime import datetime, timezone

import pyarrow as pa

from sourcekit.arrow import rows_to_arrow

SCHEMA = pa.schema([("id", pa.string()), ("n", pa.int64()), ("x", pa.float64()), ("ok", pa.bool_()),
                    ("at", pa.timestamp("us", tz="UTC")), ("meta", pa.string())])


def test_the_same_table_as_from_pylist_with_json_columns_dumped_and_missing_keys_null():
    rows = [
        {"id": "a", "n": 1, "x": 0.5, "ok": True, "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
         "meta": {"k": [1, 2]}},
        {"id": "b", "n": None, "x": None, "ok": None, "at": None, "meta": None},
        {"id": "c"},  # keys missing: nulls
    ]
    by_rows = pa.Table.from_pylist(
        [{**r, "meta": '{"k":[1,2]}' if r.get("meta") else None} for r in rows], schema=SCHEMA)
    assert rows_to_arrow(rows, SCHEMA, ["meta"]).equals(by_rows)
    assert rows_to_arrow(rows, SCHEMA, ["meta"]).column("meta").to_pylist() == ['{"k":[1,2]}', None, None]


def test_rows_are_left_as_they_were():
    rows = [{"id": "a", "meta": {"k": 1}}]
    rows_to_arrow(rows, SCHEMA, ["meta"])
    assert rows == [{"id": "a", "meta": {"k": 1}}]
