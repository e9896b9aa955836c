"""Holding the DuckDB file for the length of a command, after waiting for another process to let go.

DuckDB lets one process write a file and no other process open it meanwhile, not even read-only.
dlt opens and closes the file several times in one load (sync, each load job, the state); a notebook
opening it in a gap would make the next open fail halfway through. So a command that touches the
warehouse opens the file once, up front, retrying while another process holds it (up to `--wait`
seconds), and keeps that connection until it ends. dlt's own connections in this process then join
the same database instance (DuckDB shares one instance per file within a process), so they never
meet a lock again.

Other destinations need no hold: a server takes concurrent clients.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import dlt

from .warehouse_errors import WarehousePathError, classify_warehouse_error, duckdb_lock_conflict

POLL_SECONDS = 0.2


def duckdb_path(pipeline: dlt.Pipeline) -> Optional[Path]:
    """The DuckDB file the pipeline loads into, or None for any other destination (or a connection
    the caller passed in, which is theirs to manage)."""
    destination = pipeline.destination
    if destination is None or destination.destination_name != "duckdb":
        return None
    credentials = destination.config_params.get("credentials")
    if credentials is None or isinstance(credentials, str):
        credentials = pipeline.sql_client().credentials  # dlt's default or a path: let dlt resolve it
    external = getattr(credentials, "external_conn", None)
    if callable(external) and external() is not None:
        return None
    database = getattr(credentials, "database", None)
    if not database or database in (":memory:", ":external:"):
        return None
    return Path(database)


def open_duckdb(path: Path, wait: float = 0.0) -> Any:
    """A read-write connection to `path`, retrying while another process holds the file.

    Raises:
        WarehouseBusyError: still held after `wait` seconds; names the holder's program and PID.
        WarehouseError: any other fault (not a DuckDB file, a read-only folder, a full disk...).
    """
    import duckdb

    _refuse_sqlite(path)
    started = time.monotonic()
    deadline = started + max(0.0, wait)
    while True:
        new = not path.exists()
        try:
            # No config: dlt connects with none either, and DuckDB shares its instance only between
            # connections opened with the same configuration. dlt then applies its own settings.
            return duckdb.connect(str(path))
        except duckdb.Error as exc:
            busy = duckdb_lock_conflict(exc, waited=time.monotonic() - started)
            if busy is None:
                if new:
                    _remove_partial(path)
                raise (classify_warehouse_error(exc) or exc) from exc
            if time.monotonic() >= deadline:
                raise busy from None
            time.sleep(POLL_SECONDS)


def _refuse_sqlite(path: Path) -> None:
    # DuckDB opens a SQLite file by attaching it through its sqlite extension, downloaded on the fly
    # where the network allows: the load would then go into the SQLite file, elsewhere it fails.
    try:
        with open(path, "rb") as handle:
            is_sqlite = handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return  # missing (a new database) or unreadable: DuckDB's own error says which
    if is_sqlite:
        raise WarehousePathError(
            f"{path} is a SQLite database, not DuckDB; point --db at a DuckDB file or at a new path (runsteps creates it)")


def _remove_partial(path: Path) -> None:
    """A database that could not even be created (a full disk while DuckDB wrote its headers) is
    left cut short, and DuckDB refuses to open it ever after. Nothing was in it: remove it, so the
    next run starts afresh."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        try:
            leftover.unlink()
        except OSError:
            pass


@contextmanager
def hold_warehouse(pipeline: dlt.Pipeline, wait: float = 0.0) -> Iterator[None]:
    """Keep the pipeline's DuckDB file open for the block (no-op on other destinations)."""
    path = duckdb_path(pipeline)
    if path is None:
        yield
        return
    connection = open_duckdb(path, wait)
    try:
        yield
    except BaseException:
        # The block's error is the one to report; closing cannot make it better.
        try:
            connection.close()
        except Exception:
            pass
        raise
    checkpoint(connection)
    connection.close()


def checkpoint(connection: Any) -> None:
    """Moves what the command committed from the WAL into the file, and says so if that fails.

    Closing the last connection checkpoints too, but DuckDB swallows a failure there: a load on a
    nearly full disk would exit 0 with its rows only in the WAL, and the disk still full. The rows
    are safe (the WAL is replayed on the next open), so only a fault worth telling is raised.
    """
    import duckdb

    try:
        connection.execute("CHECKPOINT")
    except duckdb.Error as exc:
        classified = classify_warehouse_error(exc)
        if classified is not None:
            raise classified from exc
        # Anything else (another transaction still open in this process): DuckDB checkpoints later.
