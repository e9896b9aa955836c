"""Where the report and the notebook read from, and for how long: a connection per query.

DuckDB lets one process write a database file only while no other process has it open, even
read-only. A reader holding a connection between queries (a notebook left open overnight) would
make the nightly load fail, so a `Warehouse` connects for each query and closes straight after,
or for the few queries of one `session()` block (a notebook cell). A DuckDB file is opened
read-only: readers never change the warehouse, and several can read it at once.

Other dlt SQL destinations (PostgreSQL, ...) are read through the pipeline's own dlt SQL client;
a server has no such lock, so `open_warehouse` keeps one connection for the report's queries
instead of paying a round trip per query.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, ContextManager, Dict, Iterator, List, Optional, Protocol, Set, Tuple

import dlt
import duckdb
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from sourcekit.errors import ConfigError

from ..warehouse_errors import WarehouseBusyError
from openai_assistants.settings import DEFAULT_DATASET

from runsteps.models.project import MODELS_SCHEMA

Row = Dict[str, Any]
Run = Callable[[str], List[Row]]

# The marts the report cannot do without; the raw tables it reads are optional (a database that
# never had a load issue has no `load_issues` table).
REQUIRED_MARTS = ("rpt_daily_usage", "rpt_failure_rates", "rpt_failures_by_error_code", "rpt_tool_usage", "fct_runs",
                  "unpriced_models", "unpriced_tool_calls")


class ModelsMissingError(ConfigError):
    """The marts are not there: `runsteps models` has not been run on this warehouse."""


def _rows(cursor: Any) -> List[Row]:
    """A cursor's rows as dicts keyed by lower-case column name."""
    columns = [str(d[0]).lower() for d in cursor.description]
    return [dict(zip(columns, values)) for values in cursor.fetchall()]


class Connector(Protocol):
    """How a `Warehouse` reaches its database."""

    def session(self) -> ContextManager[Run]:
        """A connection for the block, closed when it ends, as a function that runs one query."""

    def qualify(self, dataset: str, table: str) -> str:
        """The quoted, fully qualified name of a table."""

    def fold(self, identifier: str) -> str:
        """An identifier as `information_schema` spells it."""


def _connect_read_only(path: Path) -> Any:
    """Read-only, unless this very process holds the file open for writing (`runsteps nightly` keeps
    it open from the models to the report, so that no reader slips in between): DuckDB then refuses
    a second configuration, and a connection to the instance already open is the one to use."""
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException as error:
        if "different configuration" not in str(error):
            raise
        return duckdb.connect(str(path))


class DuckDBFile:
    """A DuckDB file, opened read-only for each session and closed at its end.

    Args:
        path: the database file.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextmanager
    def session(self) -> Iterator[Run]:
        if not self.path.is_file():
            # Read-only never creates the file; say what to do rather than DuckDB's "cannot open".
            raise ModelsMissingError(f"there is no database at {self.path}: run `runsteps load` and `runsteps models` "
                                     "first (or `runsteps nightly`, which does both)")
        try:
            con = _connect_read_only(self.path)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            raise WarehouseBusyError(f"{self.path} is being written by another process (a load or `runsteps "
                                     "models`); DuckDB lets no one read it meanwhile: try again when it has finished"
                                     ) from None
        try:
            yield lambda sql: _rows(con.execute(sql))
        finally:
            con.close()

    def qualify(self, dataset: str, table: str) -> str:
        return ".".join('"' + part.replace('"', '""') + '"' for part in (dataset, table))

    def fold(self, identifier: str) -> str:
        return identifier


class DltClient:
    """Any dlt SQL destination, through a dlt SQL client of the pipeline.

    Args:
        client: a dlt SQL client, not open yet; each session opens and closes it.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    @contextmanager
    def session(self) -> Iterator[Run]:
        def run(sql: str) -> List[Row]:
            with self.client.execute_query(sql) as cursor:
                return _rows(cursor)

        with self.client:
            yield run

    def qualify(self, dataset: str, table: str) -> str:
        return ".".join(self.client.make_qualified_table_name_path(table, dataset_name=dataset))

    def fold(self, identifier: str) -> str:
        return self.client.capabilities.casefold_identifier(identifier)


class Warehouse:
    """Reads the marts and the raw tables, connecting for each query (or each `session()` block).

    Args:
        connector: how to reach the database.
        raw_dataset: the dataset of the raw tables (the pipeline's `dataset_name`).
        models_schema: the schema the SQL models were built in.
    """

    def __init__(self, connector: Connector, raw_dataset: str = DEFAULT_DATASET,
                 models_schema: str = MODELS_SCHEMA) -> None:
        self.connector = connector
        self.raw_dataset = raw_dataset
        self.models_schema = models_schema
        self._run: Optional[Run] = None
        self._existing: Optional[Set[Tuple[str, str]]] = None

    @contextmanager
    def session(self) -> Iterator["Warehouse"]:
        """One connection for the queries of the block (a notebook cell, a server's report)."""
        if self._run is not None:
            yield self
            return
        with self.connector.session() as run:
            self._run = run
            try:
                yield self
            finally:
                self._run = None

    def rows(self, sql: str) -> List[Row]:
        """Runs a query and returns its rows as dicts keyed by lower-case column name."""
        if self._run is not None:
            return self._run(sql)
        with self.connector.session() as run:
            return run(sql)

    def name(self, table: str, raw: bool = False) -> str:
        """The quoted, fully qualified name of a mart, or of a raw table when `raw`."""
        return self.connector.qualify(self.raw_dataset if raw else self.models_schema, table)

    def exists(self, table: str, raw: bool = False) -> bool:
        """Whether the table or view exists (information_schema works on every SQL destination).

        The list of tables is read once per `Warehouse`; make a new one to see tables built since.
        """
        fold = self.connector.fold
        if self._existing is None:
            listed = ", ".join(f"'{s}'" for s in sorted({fold(self.raw_dataset), fold(self.models_schema)}))
            found = self.rows(f"select table_schema, table_name from information_schema.tables "
                              f"where table_schema in ({listed})")
            self._existing = {(str(r["table_schema"]), str(r["table_name"])) for r in found}
        return (fold(self.raw_dataset if raw else self.models_schema), fold(table)) in self._existing

    def missing_marts(self) -> List[str]:
        """The marts the report and the notebook read that are not built."""
        return [m for m in REQUIRED_MARTS if not self.exists(m)]

    def require_marts(self) -> None:
        """Fails with the fix when the marts have not been built.

        Raises:
            ModelsMissingError: a mart the report reads is missing.
        """
        missing = self.missing_marts()
        if missing:
            raise ModelsMissingError(
                f"the report reads the marts in schema {self.models_schema!r}, and "
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing: "
                f"run `runsteps models` first (or `runsteps nightly`, which does both)")


def duckdb_warehouse(path: Path, raw_dataset: str = DEFAULT_DATASET, models_schema: str = MODELS_SCHEMA) -> Warehouse:
    """A `Warehouse` on a DuckDB file, opened read-only for each query."""
    return Warehouse(DuckDBFile(Path(path).expanduser()), raw_dataset, models_schema)


def _duckdb_file(client: Any) -> Optional[Path]:
    """The file behind a dlt DuckDB client; None for other destinations, memory or a passed-in connection."""
    credentials = getattr(client, "credentials", None)
    # MotherDuck's credentials are no DuckDbCredentials; a connection passed to dlt has no path to reopen.
    if not isinstance(credentials, DuckDbCredentials) or getattr(credentials, "_external_conn", None) is not None:
        return None
    database = str(credentials.database or "")
    return Path(database) if database and database != ":memory:" else None


@contextmanager
def open_warehouse(pipeline: dlt.Pipeline, models_schema: str = MODELS_SCHEMA) -> Iterator[Warehouse]:
    """A `Warehouse` on the pipeline's destination, for the duration of the block.

    A DuckDB file is opened read-only for each query; any other destination keeps one connection
    of the pipeline's SQL client for the block.
    """
    client = pipeline.sql_client()
    path = _duckdb_file(client)
    if path is not None:
        yield Warehouse(DuckDBFile(path), pipeline.dataset_name, models_schema)
        return
    with Warehouse(DltClient(client), pipeline.dataset_name, models_schema).session() as wh:
        yield wh
