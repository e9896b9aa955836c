"""Indexes on the columns merges delete by, where the warehouse's planner needs them (issue 13).

dlt replaces a re-fetched run's rows with `DELETE ... WHERE run_id IN (SELECT run_id FROM staging)`
in the child tables and on the primary key in the others (`TableContract.delete_keys`). DuckDB runs
that as a hash semi-join over a columnar scan of one column, which stays cheap at ten million steps.
PostgreSQL, with no index, hashes the loaded keys and reads the whole table: S8 measured its load step
at 10M steps 4.1x the one at 100k. With a b-tree index on the key it looks each loaded run up instead
(1.4x). dlt's postgres destination creates UNIQUE constraints only (`create_indexes`), which a child
table's run_id is not, so the loader creates the indexes itself: after each load, `IF NOT EXISTS`, on
the tables that exist (the first load creates them; a database loaded before this change gets them on
its next load). DuckDB gets none: an ART index there slows every insert and no DELETE plan uses it.

The statements are built with sqlglot and written in the destination's dialect, like the models.
"""

from __future__ import annotations

import logging
from typing import List, Mapping, Sequence

import dlt
from sqlglot import exp

log = logging.getLogger("runsteps")

# Destinations whose DELETE ... IN (SELECT ...) reads the whole table unless the key is indexed.
INDEXED_DESTINATIONS = frozenset({"postgres"})


def index_name(table: str, columns: Sequence[str]) -> str:
    """`{table}__{columns}`, within PostgreSQL's 63-byte identifiers (ours are far shorter)."""
    return f"{table}__{'_'.join(columns)}"[:63]


def create_index_sql(dataset: str, table: str, columns: Sequence[str], dialect: str) -> str:
    """`CREATE INDEX IF NOT EXISTS` on `dataset.table (columns)`, quoted for `dialect`."""
    statement = exp.Create(
        kind="INDEX",
        exists=True,
        this=exp.Index(
            this=exp.to_identifier(index_name(table, columns), quoted=True),
            table=exp.table_(table, db=dataset, quoted=True),
            params=exp.IndexParameters(columns=[exp.Ordered(this=exp.column(c, quoted=True)) for c in columns]),
        ),
    )
    return statement.sql(dialect=dialect)


def ensure_merge_indexes(pipeline: dlt.Pipeline, delete_keys: Mapping[str, List[str]]) -> List[str]:
    """Create the missing indexes on `delete_keys` ({table: columns}) for the tables that exist.

    Returns:
        The tables whose index could not be created (logged as a warning: the data is loaded, only
        the next merges are slower). A concurrent shard creating the same index counts as created.
    """
    destination = pipeline.destination.destination_name if pipeline.destination else None
    if destination not in INDEXED_DESTINATIONS:
        return []
    from .loading import is_concurrent_ddl

    failed: List[str] = []
    try:
        with pipeline.sql_client() as client:
            dataset = client.dataset_name
            existing = {row[0] for row in client.execute_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", dataset)}
            dialect = client.capabilities.sqlglot_dialect or destination
            for table, columns in delete_keys.items():
                if table not in existing:
                    continue
                try:
                    client.execute_sql(create_index_sql(dataset, table, columns, dialect))
                except Exception as exc:  # a faster next merge is not worth failing a finished load over
                    if not is_concurrent_ddl(exc):
                        _warn(f"{dataset}.{table}", exc)
                        failed.append(table)
    except Exception as exc:  # the warehouse went away after the load: the next load tries again
        _warn(pipeline.dataset_name, exc)
        return list(delete_keys)
    return failed


def _warn(where: str, exc: BaseException) -> None:
    log.warning("could not create the merge indexes of %s (the next load tries again): %s", where,
                (str(exc).strip().splitlines() or [type(exc).__name__])[0])
