"""A scratch DuckDB that holds every copy read from an archive, flattened, until the best ones are known.

Objects are flattened once, as they are read, and their rows are appended (Arrow batches) to staging
Parquet files tagged with the copy they came from; `copies` holds each copy's id, run, thread, file
and rank. When every file is read, one query per table picks the winning copy of each object and
streams its rows out as Arrow batches. The staged rows wait on disk and DuckDB reads them back
streaming, with its memory capped (spilling the rest), so the loader's memory does not grow with the
archive, and a run whose steps are spread over many files comes out whole.

The most complete copy wins (`archive_stage.rank`): when an object appears more than once (the same page saved
twice, a run saved while open and again when done), the copy kept is the one with

1. a terminal status (`completed`, `failed`, `cancelled`, `expired`, `incomplete`) over an open one;
2. then more content: for a step, usage present plus its tool calls and their outputs and results;
   for a run, usage present;
3. then the later end (`completed_at`, `failed_at`, `cancelled_at`, `expired_at`);
4. then the later of its timestamps (`created_at`, `started_at`, `expires_at` and the ends: e.g.
   `started_at` set against not yet);
5. then, between equal copies, the one in the file whose path sorts last, and the later in that file.

Steps are combined by id across all files: a run has every step any copy of the archive holds.
The order is total, so reading the files in any order, or some now and the others later
(incremental loads), keeps the same copies.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import duckdb
import pyarrow as pa

from sourcekit.arrow import TableContract
from sourcekit.staging import ParquetStaging

from .archive_files import ArchiveFile
from .archive_stage import CHUNK_FILES, COPIES, Chunk, FileRead, RowShapes, read_chunk

DATA_TABLES = ("threads", "runs", "run_steps", "run_step_tool_calls", "code_interpreter_outputs", "file_search_results")
CHILD_TABLES = DATA_TABLES[3:]
# Files by number: a copy names its file by an integer, so the staging stays small at any size.
FILE_ROWS = 5_000
_FILES = pa.schema([("file_no", pa.int64()), ("path", pa.string())])


class ArchiveIndex:
    """The scratch database of one load.

    Args:
        workdir: a folder of its own (removed by the caller).
        contract: the tables' contract (column types).
        now: the load's time (`first_seen_at`, `seen_at`).
        memory_limit: DuckDB's cap; beyond it DuckDB spills to `workdir`.
    """

    def __init__(self, workdir: Path, contract: TableContract, now: datetime, memory_limit: Optional[str] = None) -> None:
        # The loader's own DuckDB (dlt's load) has its own cap, and runs after this one is closed (the
        # extract ends first); this one decides, and spills beyond its cap. At 64MB the joins and
        # aggregates of `decide` over a million steps ran out of memory (they cannot all spill).
        # RUNSTEPS_ARCHIVE_MEMORY overrides it.
        memory_limit = memory_limit or os.environ.get("RUNSTEPS_ARCHIVE_MEMORY", "128MB")
        self.contract = contract
        self.now = now
        # In memory, spilling to `workdir` beyond the cap: nothing is written twice (no WAL, no
        # checkpoint compressing what is read back once). The scratch is never reopened, so a file
        # bought nothing.
        self.con = duckdb.connect(":memory:")
        for setting in (f"memory_limit='{memory_limit}'", "threads=1", "preserve_insertion_order=false",
                        f"temp_directory='{workdir / 'spill'}'", "TimeZone='UTC'"):
            self.con.execute(f"SET {setting}")
        schemas = {t: contract.schemas[t].append(pa.field("copy_no", pa.int64())) for t in DATA_TABLES + ("load_issues",)}
        # The staged rows and copies are Parquet files (`sourcekit.staging`), read by this database as
        # the views `stg_<table>` and `copies`; only the small tables of the decision live in it.
        self.staging = ParquetStaging(workdir / "staged", {**{f"stg_{t}": s for t, s in schemas.items()}, "copies": COPIES})
        self.shapes = RowShapes(schemas, contract.json_columns, now)
        self._create("files", _FILES)
        self.files: List[Tuple[int, str]] = []
        self.file_no = self.chunk_no = 0

    def _create(self, name: str, schema: pa.Schema) -> None:
        empty = schema.empty_table()  # noqa: F841 (read by DuckDB by name)
        self.con.execute(f"CREATE TABLE {name} AS SELECT * FROM empty")

    def read(self, files: Iterable[ArchiveFile], fresh: bool) -> Iterator[FileRead]:
        """Stage every copy in `files` (each read once per load), and say what each file held, in order.

        Args:
            files: the files, in the order of their paths.
            fresh: whether they are new or changed (their objects' runs and threads are re-emitted).
        """
        for chunk in self._chunks(files, fresh):
            result = read_chunk(chunk, self.shapes)
            for table, batch in result.tables.items():
                self.staging.append(table if table == "copies" else f"stg_{table}", batch)
            yield from result.reads

    def _chunks(self, files: Iterable[ArchiveFile], fresh: bool) -> Iterator[Chunk]:
        batch: List[Tuple[ArchiveFile, int]] = []
        for file in files:
            self.file_no += 1
            self.files.append((self.file_no, file.path))
            if len(self.files) >= FILE_ROWS:
                self._flush_files()
            batch.append((file, self.file_no))
            if len(batch) >= CHUNK_FILES:
                yield self._chunk(batch, fresh)
                batch = []
        if batch:
            yield self._chunk(batch, fresh)

    def _chunk(self, files: List[Tuple[ArchiveFile, int]], fresh: bool) -> Chunk:
        # Each chunk numbers its copies in a range of its own.
        self.chunk_no += 1
        return Chunk(files, fresh, self.chunk_no << 32)

    def _issue(self, object_type: str, object_id: Any, thread_id: Any, run_id: Any, message: str) -> Dict[str, Any]:
        from .rows import issue_row

        return issue_row(object_type, object_id, thread_id, run_id, message, self.now)

    def flush(self) -> None:
        """DuckDB sees every file numbered and every copy staged so far."""
        self._flush_files()
        self.staging.view_in(self.con, prefix="")

    def _flush_files(self) -> None:
        files, self.files = self.files, []
        if files:
            batch = pa.table({"file_no": [f[0] for f in files], "path": [f[1] for f in files]}, schema=_FILES)  # noqa: F841
            self.con.execute("INSERT INTO files SELECT * FROM batch")

    def touched(self) -> str:
        """A table `(kind, owner)` in this database of the runs and threads that fresh files name (their
        owners in the per-file state), kept here rather than in Python (167k runs at a million steps).
        The caller adds those a changed file held before (`archive_changes.add_held_before`), and
        `decide` emits them too."""
        self.flush()
        self.con.execute("""
            CREATE OR REPLACE TABLE touched AS
            SELECT DISTINCT 'run' AS kind, run_id AS owner FROM copies WHERE fresh AND run_id IS NOT NULL
            UNION ALL
            SELECT DISTINCT 'thread', thread_id FROM copies WHERE fresh AND thread_id IS NOT NULL""")
        self.con.execute("CREATE OR REPLACE TABLE held_before (kind VARCHAR, owner VARCHAR)")
        return "touched"

    def decide(self) -> None:
        """Pick the winning copy of every object, and what to emit: every run a fresh file names (whole),
        and every thread a fresh file or an emitted run names."""
        self.flush()
        # Most objects have one copy: only those with several are ranked (a sort of the few, not of all).
        self.con.execute("""
            CREATE OR REPLACE TABLE losers AS SELECT copy_no FROM (
                SELECT c.copy_no, row_number() OVER (
                    PARTITION BY c.kind, c.id
                    ORDER BY terminal DESC, fullness DESC, ended_at DESC, touched_at DESC, f.path DESC, ordinal DESC) AS n
                FROM copies c JOIN files f USING (file_no)
                JOIN (SELECT kind, id FROM copies GROUP BY kind, id HAVING count(*) > 1) d USING (kind, id))
            WHERE n > 1""")
        self.con.execute("""
            CREATE OR REPLACE TABLE winners AS
            SELECT * FROM copies c WHERE NOT EXISTS (SELECT 1 FROM losers l WHERE l.copy_no = c.copy_no)""")
        self.con.execute("""
            CREATE OR REPLACE TABLE touched_runs AS
            SELECT DISTINCT run_id AS id FROM copies WHERE fresh AND run_id IS NOT NULL
            UNION SELECT owner FROM held_before WHERE kind = 'run'""")
        # A run known only from its steps gets a row of its own, from its earliest step.
        self.con.execute("""
            CREATE OR REPLACE TABLE eff_runs AS
            SELECT id, thread_id, assistant_id, copy_no FROM winners
            WHERE kind = 'run' AND id IN (SELECT id FROM touched_runs)
            UNION ALL
            SELECT run_id, min_by(thread_id, created_at), min_by(assistant_id, created_at), NULL FROM winners
            WHERE kind = 'step' AND run_id IN (SELECT id FROM touched_runs)
              AND run_id NOT IN (SELECT id FROM winners WHERE kind = 'run')
            GROUP BY run_id""")
        self.con.execute("""
            CREATE OR REPLACE TABLE touched_threads AS
            SELECT DISTINCT id FROM copies WHERE fresh AND kind = 'thread'
            UNION SELECT DISTINCT thread_id FROM eff_runs WHERE thread_id IS NOT NULL
            UNION SELECT owner FROM held_before WHERE kind = 'thread'
              AND owner IN (SELECT id FROM winners WHERE kind = 'thread')""")  # no stub over a loaded thread

    def batches(self, batch_rows: int) -> Iterator[Tuple[str, pa.Table]]:
        """(table, Arrow batch) of the winning rows of what is emitted, then the issues found in them."""
        now = self.now
        queries = {
            "threads": f"""
                SELECT s.* EXCLUDE (copy_no) FROM stg_threads s JOIN winners w USING (copy_no)
                WHERE w.id IN (SELECT id FROM touched_threads)
                UNION ALL BY NAME
                SELECT id, 'export' AS discovered_via, TIMESTAMPTZ '{now.isoformat()}' AS first_seen_at
                FROM touched_threads WHERE id NOT IN (SELECT id FROM winners WHERE kind = 'thread')""",
            "runs": """
                SELECT s.* EXCLUDE (copy_no) FROM stg_runs s JOIN eff_runs e USING (copy_no)
                UNION ALL BY NAME
                SELECT id, thread_id, assistant_id FROM eff_runs WHERE copy_no IS NULL""",
            "run_steps": """
                SELECT s.* EXCLUDE (copy_no) REPLACE (coalesce(e.thread_id, s.thread_id) AS thread_id,
                                                      coalesce(s.assistant_id, e.assistant_id) AS assistant_id)
                FROM stg_run_steps s JOIN winners w USING (copy_no) JOIN eff_runs e ON e.id = s.run_id""",
            "load_issues": """
                SELECT s.* EXCLUDE (copy_no) FROM stg_load_issues s JOIN winners w USING (copy_no)
                JOIN touched_runs t ON t.id = w.run_id""",
        }
        for table in CHILD_TABLES:
            queries[table] = f"""
                SELECT s.* EXCLUDE (copy_no) REPLACE (coalesce(e.thread_id, s.thread_id) AS thread_id)
                FROM stg_{table} s JOIN winners w USING (copy_no) JOIN eff_runs e ON e.id = s.run_id"""
        for table, sql in queries.items():
            schema = self.contract.schemas[table]
            names = ", ".join(f'"{n}"' for n in schema.names)
            reader = self.con.sql(f"SELECT {names} FROM ({sql})").to_arrow_reader(batch_rows)
            for batch in reader:
                yield table, pa.Table.from_batches([batch]).cast(schema)
        # A step whose thread is not its run's: loaded under the run's, and said so.
        mismatched = self.con.execute("""
            SELECT w.id, w.thread_id, w.run_id, e.thread_id FROM winners w JOIN eff_runs e ON e.id = w.run_id
            WHERE w.kind = 'step' AND e.thread_id IS NOT NULL AND w.thread_id IS NOT NULL
              AND w.thread_id <> e.thread_id ORDER BY w.id""").fetchall()
        if mismatched:
            rows = [self._issue("run step", sid, run_thread, run_id,
                                f"step names thread_id {own!r} but its run {run_id!r} belongs to {run_thread!r}; "
                                "loaded under the latter") for sid, own, run_id, run_thread in mismatched]
            yield "load_issues", self.contract.to_arrow("load_issues", rows)

    def locations(self) -> Iterator[pa.Table]:
        """Rows of `archive_locations` for every run and thread emitted: each file holding copies of it
        (winning or not, so that a file rewritten without one still leads to the others)."""
        sql = """
            SELECT kind, owner, path, objects FROM (
                SELECT 'run' AS kind, run_id AS owner, file_no, count(*) AS objects FROM copies
                WHERE kind IN ('run', 'step') AND run_id IN (SELECT id FROM eff_runs) GROUP BY ALL
                UNION ALL
                SELECT 'thread', id, file_no, count(*) FROM copies
                WHERE kind = 'thread' AND id IN (SELECT id FROM touched_threads) GROUP BY ALL
            ) JOIN files USING (file_no)"""
        for batch in self.con.sql(sql).to_arrow_reader(50_000):
            yield pa.Table.from_batches([batch])

    def counts(self) -> Dict[str, int]:
        """Runs and steps emitted (for the summary line)."""
        runs = self.con.execute("SELECT count(*) FROM eff_runs").fetchone()[0]
        steps = self.con.execute("SELECT count(*) FROM winners WHERE kind = 'step' AND run_id IN "
                                 "(SELECT id FROM eff_runs)").fetchone()[0]
        return {"runs": int(runs), "steps": int(steps)}

    def close(self) -> None:
        self.staging.close()
        self.con.close()
