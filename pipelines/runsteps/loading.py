"""Building the dlt pipeline for a destination, and running a load with a lock and clean errors."""

from __future__ import annotations

import errno
import fcntl
import os
import random
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import dlt
from dlt.common.destination import Destination
from dlt.common.pipeline import LoadInfo, get_dlt_pipelines_dir
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from sourcekit.errors import ConfigError, RunstepsError

from .errors import BusyError
from .options import DEFAULT_DATASET, DEFAULT_DB, DEFAULT_PIPELINE
from .state_rows import delete_unfinished_state_rows, is_state_job_refused
from .warehouse_errors import WarehousePathError, WarehouseUnreachableError, classify_warehouse_error
from .warehouse_hold import hold_warehouse


# DuckDB takes 80% of RAM by default and the merge of a large load used several GB (2.4 GB for a
# million steps, measured); a cap makes it spill to disk instead. With one DuckDB thread and one dlt
# load worker (parallel copies into one file gain little: DuckDB has one writer) a million-step load
# peaked at 441 MB against 621 MB with 256 MB, 2 threads and 20 workers, and was no slower (182 s vs 186-212 s).
# Override with RUNSTEPS_DUCKDB_MEMORY, RUNSTEPS_DUCKDB_THREADS and dlt's LOAD__PARALLELISM_STRATEGY.
DUCKDB_MEMORY_LIMIT = os.environ.get("RUNSTEPS_DUCKDB_MEMORY", "160MB")
DUCKDB_THREADS = int(os.environ.get("RUNSTEPS_DUCKDB_THREADS", "1"))


def duckdb_credentials(db: Path) -> DuckDbCredentials:
    """Credentials for the DuckDB file, with a memory cap and no insertion-order bookkeeping
    (neither changes results: every table has keys, and queries order explicitly)."""
    return DuckDbCredentials(
        str(db), global_config={"memory_limit": DUCKDB_MEMORY_LIMIT, "preserve_insertion_order": False, "threads": DUCKDB_THREADS}
    )


def pipelines_dir_for(db_path: str | Path) -> Path:
    """dlt's working folder sits beside the DuckDB file, so two databases never share state."""
    db = Path(db_path)
    return db.with_name(db.name + ".dlt")


def build_pipeline(
    db_path: Optional[str | Path] = None,
    destination: Optional[str] = None,
    credentials: Any = None,
    dataset_name: str = DEFAULT_DATASET,
    pipeline_name: str = DEFAULT_PIPELINE,
    pipelines_dir: Optional[str | Path] = None,
    staging_suffix: Optional[str] = None,
) -> dlt.Pipeline:
    """A pipeline into a DuckDB file (the default) or any dlt destination by name.

    Args:
        db_path: the DuckDB file; ignored for other destinations.
        destination: a dlt destination name (`duckdb`, `postgres`, `motherduck`, `bigquery`, ...).
        credentials: credentials for the destination; by default dlt reads them from its config.
        dataset_name: the schema the raw tables go to.
        pipeline_name: one per shard, so that shards keep separate state.
        pipelines_dir: dlt's working folder; beside the DuckDB file by default.
        staging_suffix: a staging dataset of its own (`<dataset>_staging_<suffix>`), so that shards
            merging into one dataset at once never share staging tables.
    """
    extra = {"staging_dataset_name_layout": f"%s_staging_{staging_suffix}"} if staging_suffix else {}
    if destination in (None, "duckdb"):
        db = Path(db_path or DEFAULT_DB).expanduser()
        if db.exists() and db.is_dir():
            raise ConfigError(f"--db {str(db)!r} is a directory; give a file path such as ./runsteps.duckdb")
        try:
            db.parent.mkdir(parents=True, exist_ok=True)  # a new database may go in a new folder
        except OSError as exc:
            raise WarehousePathError(
                f"cannot create the folder of --db {str(db)!r}: {exc.strerror or exc}; choose a path in a "
                "folder you can write"
            ) from None
        # One load worker for this destination only (a capability of its factory, which dlt's
        # LOAD__PARALLELISM_STRATEGY config still overrides).
        dest: Any = dlt.destinations.duckdb(
            credentials or duckdb_credentials(db.resolve()), loader_parallelism_strategy="sequential", **extra
        )
        pipelines_dir = pipelines_dir or pipelines_dir_for(db.resolve())
    else:
        try:
            dest = Destination.from_reference(destination, credentials=credentials, **extra)
        except Exception:  # dlt's own error is a page long; one line names the fix
            raise ConfigError(
                f"unknown destination {destination!r}: use a dlt destination name such as duckdb, postgres, "
                "motherduck, bigquery or snowflake"
            ) from None
    remove_interrupted_writes(Path(pipelines_dir) if pipelines_dir else Path(get_dlt_pipelines_dir()), pipeline_name)
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dest,
        dataset_name=dataset_name,
        pipelines_dir=str(pipelines_dir) if pipelines_dir else None,
        progress="log" if os.environ.get("RUNSTEPS_DLT_PROGRESS") else None,
    )


_TEMP_FILE = re.compile(r"^[0-9a-f]{16}$")


def remove_interrupted_writes(pipelines_dir: Path, pipeline_name: str) -> None:
    """Delete the temporary file a kill can leave in dlt's schema folder.

    dlt writes a schema to a 16-hex-digit temporary file and renames it; a SIGKILL in between leaves
    the temporary file, which dlt then takes for a schema with an invalid name and refuses to start
    (found by the SIGKILL test). The renamed, complete schema is still there.
    """
    schemas = pipelines_dir / pipeline_name / "schemas"
    if schemas.is_dir():
        for path in schemas.iterdir():
            if path.is_file() and _TEMP_FILE.match(path.name):
                path.unlink()


def loader_file_format(pipeline: dlt.Pipeline) -> Optional[str]:
    """Parquet into DuckDB and MotherDuck (several times faster than inserts); elsewhere dlt picks
    the destination's own best format for Arrow batches (Postgres' parquet path needs ADBC)."""
    return "parquet" if pipeline.destination.destination_name in ("duckdb", "motherduck") else None


@contextmanager
def pipeline_lock(pipeline: dlt.Pipeline, wait: float = 0.0) -> Iterator[None]:
    """One load at a time per pipeline: a second one waits up to `wait` seconds, then stops clearly."""
    lock_path = Path(pipeline.pipelines_dir) / f"{pipeline.pipeline_name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise BusyError(
                        f"another runsteps load is running on this pipeline (pid {holder}, lock {lock_path}); "
                        "wait for it to finish, or pass --wait SECONDS"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def unwrap_error(exc: BaseException) -> BaseException:
    """dlt wraps errors raised inside a resource; find ours (or the root cause) in the chain."""
    seen = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, RunstepsError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return exc


def repair_interrupted_packages(pipeline: dlt.Pipeline) -> None:
    """Tidy what a kill in the middle of dlt's normalize step leaves, so the package can finish.

    Normalize writes a package to `load/new/<id>`, renames it to `load/normalized/<id>` and then
    deletes `normalize/extracted/<id>`. Killed after the rename, both copies remain and the next
    normalize fails renaming onto the finished one; killed before it, a half-written `load/new/<id>`
    remains. (Both found by the SIGKILL test.) The rename is atomic, so a normalized or loaded copy
    is complete: the extracted copy can go. A half-written one is dropped and redone.
    """
    root = Path(pipeline.working_dir)
    extracted = root / "normalize" / "extracted"
    if not extracted.is_dir():
        return
    for package in [p for p in extracted.iterdir() if p.is_dir()]:
        done = any((root / "load" / stage / package.name).exists() for stage in ("normalized", "loaded"))
        half = root / "load" / "new" / package.name
        if done:
            shutil.rmtree(package)
        if half.exists():
            shutil.rmtree(half)


def is_concurrent_ddl(exc: BaseException) -> bool:
    """Shards starting at once race to create the same schema or tables on a server warehouse: one
    loses with "already exists", or PostgreSQL breaks a deadlock between their catalog updates (seen
    in CI: two CREATE TABLEs waiting on each other's row in pg_type)."""
    current: Optional[BaseException] = exc
    while current is not None:
        if "DeadlockDetected" in type(current).__name__ or "deadlock detected" in str(current):
            return True
        if "already exists" in str(current) and any(
            word in type(current).__name__ or word in str(current)
            for word in ("DuplicateSchema", "DuplicateTable", "DuplicateObject", "UniqueViolation", "schema", "relation")
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def finish_pending(pipeline: dlt.Pipeline) -> None:
    """Normalize and load what an interrupted run left behind, before anything new is extracted."""
    repair_interrupted_packages(pipeline)
    if pipeline.list_extracted_load_packages():
        pipeline.normalize()
    if pipeline.list_normalized_load_packages():
        delete_unfinished_state_rows(pipeline)
        info = pipeline.load()
        if info is not None:
            info.raise_on_failed_jobs()


def _run_with_retries(pipeline: dlt.Pipeline, source: Any, attempts: int = 5) -> LoadInfo:
    """`pipeline.run`, then loading the same pending package again when a retry can fix the failure:

    - a concurrent shard won a race to create a schema or table (retried after a short random wait);
    - the warehouse refused the package's state row, which an attempt whose answer was lost had
      committed (`state_rows.py`; once: `finish_pending` deletes that row first);
    - the connection dropped (once, after a second): dlt retries a failed job by itself, but not
      the statements around the jobs (the schema update, the `_dlt_loads` record), and a blip there
      should not fail a night whose rows are all in.
    The package stays pending after any failure, so loading it again is safe.
    """
    try:
        return pipeline.run(source, loader_file_format=loader_file_format(pipeline))
    except Exception as exc:
        error: Exception = exc
    state_retried = connection_retried = False
    for _ in range(attempts):
        if not pipeline.has_pending_data:
            raise error
        if is_concurrent_ddl(error):
            time.sleep(random.uniform(0.2, 1.5))
        elif not state_retried and is_state_job_refused(error, pipeline):
            state_retried = True
        elif not connection_retried and isinstance(classify_warehouse_error(error), WarehouseUnreachableError):
            connection_retried = True
            time.sleep(1.0)
        else:
            raise error
        try:
            finish_pending(pipeline)
            return pipeline.last_trace.last_load_info  # type: ignore[union-attr, return-value]
        except Exception as exc:
            error = exc
    raise error


def run_load(pipeline: dlt.Pipeline, source: Any, wait: float = 0.0) -> LoadInfo:
    """Extract, normalize and load one source under the pipeline lock; raise on any failed job.

    `wait` bounds the whole wait: for the pipeline lock, then for the DuckDB file, which is held
    until the load ends (see warehouse_hold.py).

    Raises:
        RunstepsError: ours, unwrapped from dlt's chain; BusyError; a WarehouseError for a
            warehouse fault (busy file, unreachable server, full disk...). dlt keeps what a failed
            load extracted pending, and the next run loads it first.
    """
    started = time.monotonic()
    with pipeline_lock(pipeline, wait):
        try:
            with hold_warehouse(pipeline, max(0.0, wait - (time.monotonic() - started))):
                # A package a crash left behind (extracted or normalized) is finished first, so that rows
                # and the state extracted with them land together before anything new is fetched.
                if pipeline.has_pending_data:
                    finish_pending(pipeline)
                info = _run_with_retries(pipeline, source)
                if info is not None:
                    info.raise_on_failed_jobs()
        except Exception as exc:
            ours = unwrap_error(exc)
            if ours is not exc:
                raise ours from None
            classified = classify_warehouse_error(exc)
            if classified is not None and classified is not exc:
                raise classified from exc
            raise
        return info
