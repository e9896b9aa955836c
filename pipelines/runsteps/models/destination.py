"""The little the models need from a destination, through dlt's SQL client and nothing else.

dlt's client speaks to DuckDB, Postgres and the rest alike; sqlglot takes the dialect from the
destination's capabilities. Parameters are written `%s`, as dlt's clients expect on every
destination.
"""

from __future__ import annotations

from typing import Any, FrozenSet, Optional, Sequence

from dlt.common.destination.capabilities import DestinationCapabilitiesContext

from runsteps.models.project import MODELS_SCHEMA
from runsteps.models.transpile import Target


class UnsupportedDestinationError(RuntimeError):
    """The destination has no SQL dialect sqlglot knows, so the models cannot be built on it."""


def dialect_of(capabilities: DestinationCapabilitiesContext) -> str:
    """sqlglot's dialect name for the destination (`duckdb`, `postgres`, `snowflake`, ...)."""
    dialect = capabilities.sqlglot_dialect
    if not dialect:
        raise UnsupportedDestinationError(
            "this dlt destination declares no SQL dialect; the models need a SQL destination"
        )
    return str(dialect)


def existing_tables(client: Any, schema: str) -> FrozenSet[str]:
    """Names (lower case) of the tables and views in `schema`."""
    rows = client.execute_sql(
        "SELECT table_name FROM information_schema.tables WHERE lower(table_schema) = lower(%s)", schema
    )
    return frozenset(str(row[0]).lower() for row in rows or [])


def _refuse_ambiguous_duckdb_catalog(client: Any, schemas: Sequence[str]) -> None:
    # DuckDB names a file's catalog after the file: in `analytics.duckdb`, `analytics.fct_runs`
    # could be a schema or a catalog, and DuckDB refuses to guess.
    (catalog,) = fetch_all(client, "SELECT current_database()")[0]
    if str(catalog).lower() in {s.lower() for s in schemas}:
        raise UnsupportedDestinationError(
            f"the DuckDB file is named like the schema {catalog!r}, which makes {catalog}.<table> ambiguous;"
            " rename the file (for example to runsteps.duckdb)"
        )


def target_for(client: Any, *, models_schema: str = MODELS_SCHEMA, sources: Sequence[str] = ()) -> Target:
    """The Target for this client: its dialect and dataset, and which of `sources` are missing.

    Raises:
        UnsupportedDestinationError: no SQL dialect, or a DuckDB file named like one of the schemas.
    """
    dialect = dialect_of(client.capabilities)
    if dialect == "duckdb":
        _refuse_ambiguous_duckdb_catalog(client, (models_schema, client.dataset_name))
    present = existing_tables(client, client.dataset_name)
    return Target(
        dialect=dialect,
        source_schema=client.dataset_name,
        models_schema=models_schema,
        missing_sources=frozenset(s for s in sources if s.lower() not in present),
    )


def fetch_all(client: Any, sql: str, *args: Any) -> list[tuple]:
    """Runs a query and returns its rows as tuples (an empty list for a statement)."""
    rows: Optional[Sequence[Sequence[Any]]] = client.execute_sql(sql, *args)
    return [tuple(row) for row in rows or []]
