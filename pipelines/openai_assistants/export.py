"""Loading an archive of API responses, streaming, in bounded memory, incrementally.

The steps of one load (each in a module of its own):

1. list the files (`archive_files`) into the scratch database and compare them with what earlier
   loads read (`archive_state`): only new or changed files are read;
2. read each of those files (`archive_reader`), flatten every object as it comes and stage its rows
   with its rank (`archive_index`); a problem becomes a load issue naming the file and line;
3. read again the older files that hold the rest of the runs and threads those files touch
   (`archive_locations`), so that every such run is emitted whole;
4. pick the most complete copy of every object and stream the winning rows out as Arrow batches,
   with the new per-file state and locations, in the same load.

Files are classified by what they hold, not by their names, so any layout works: the emulator's
(`threads/`, `runs/`, `steps/`), a dump made with curl, SDK objects saved by a script, or the
`--archive` files of a live load.
"""

from __future__ import annotations

import gc
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

import pyarrow as pa

from sourcekit.archive_progress import ArchiveProgress
from sourcekit.arrow import TableContract
from sourcekit.errors import ConfigError

from .archive_files import SUFFIXES_TEXT, ArchiveFile, Skipped, list_archive
from .archive_index import ArchiveIndex
from .archive_stage import FileRead
from .archive_state import FILES_TABLE, LOCATIONS_TABLE, copy_prior_state, file_row

_LISTING = pa.schema([("path", pa.string()), ("size", pa.int64()), ("mtime", pa.float64()), ("fmt", pa.string()),
                      ("gzipped", pa.bool_()), ("location", pa.string()), ("member", pa.string())])
LIST_ROWS = 20_000


def check_export_root(root: Union[str, Path]) -> Path:
    """The archive's root, checked before a load starts (a folder or a .zip file)."""
    path = Path(root)
    if not (path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip")):
        raise ConfigError(f"--from-export {str(root)!r} is not a directory or a .zip file")
    return path


@dataclass
class ReadStats:
    """What one archive load opened (the names of the files read, for the tests and the log), and the
    counters of its progress line, updated after each new or changed file."""

    opened: List[str]
    skipped_unchanged: int = 0
    progress: ArchiveProgress = field(default_factory=lambda: ArchiveProgress("steps"))


def read_archive(root: Union[str, Path], contract: TableContract, now: datetime, stats: ReadStats,
                 on_progress: Optional[Callable[[ArchiveProgress], None]] = None) -> Iterator[Tuple[str, Any]]:
    """(table, rows) of everything an archive load writes: Arrow tables, or lists of dict rows for
    `load_issues` and the state tables.

    Args:
        root: a folder or a .zip file.
        contract: the tables' contract.
        now: the load's time.
        stats: filled with what was opened.
        on_progress: called with `stats.progress` after each new or changed file.

    Raises:
        ConfigError: `root` is missing, holds no archive file at all, or (on its first load) only
            Responses API objects.
    """
    root = check_export_root(root)
    with tempfile.TemporaryDirectory(prefix="runsteps-archive-") as workdir, _fewer_collections():
        index = ArchiveIndex(Path(workdir), contract, now)
        try:
            yield from _load(root, index, now, stats, on_progress or (lambda _: None))
        finally:
            index.close()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector, tuned for a stream of short-lived parsed objects: the objects alive
    now (the imports: dlt, pyarrow, duckdb) are moved out of its reach while the archive is read
    (`gc.freeze`, undone at the end, so that nothing alive now is kept from the collector for good),
    and it runs after 50,000 new objects instead of 700. Parsed JSON holds no cycles, so memory is
    freed by reference counting as before; the collector still runs, less often and over fewer
    objects."""
    if os.environ.get("RUNSTEPS_GC_DEFAULT"):  # to measure the difference
        yield
        return
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _issue(path: str, where: str, reason: str, now: datetime) -> dict:
    from .rows import issue_row

    place = f"{path} {where}".strip()
    return issue_row("file", path, None, None, f"export file {place}: {reason}", now)


def _load(root: Path, index: ArchiveIndex, now: datetime, stats: ReadStats,
          on_progress: Callable[[ArchiveProgress], None]) -> Iterator[Tuple[str, Any]]:
    con = index.con
    copy_prior_state(con)
    empty = _LISTING.empty_table()  # noqa: F841
    con.execute("CREATE TABLE listing AS SELECT * FROM empty")
    rows: List[dict] = []
    seen_any = False
    skipped: List[dict] = []
    for item in list_archive(root):
        seen_any = True
        if isinstance(item, Skipped):
            skipped.append({"path": item.path, "size": None, "mtime": None, "fmt": None, "gzipped": None,
                            "location": None, "member": item.reason})
        else:
            rows.append({"path": item.path, "size": item.size, "mtime": item.mtime, "fmt": item.fmt,
                         "gzipped": item.gzipped, "location": item.location, "member": item.member})
        if len(rows) + len(skipped) >= LIST_ROWS:
            _insert_listing(con, rows + skipped)
            rows, skipped = [], []
    _insert_listing(con, rows + skipped)
    if not seen_any:
        raise ConfigError(f"--from-export {str(root)!r} holds no *.json files (nor any of {SUFFIXES_TEXT})")

    # A skipped file is reported once: its path goes into the state like a read file's.
    new_skipped = con.execute("""
        SELECT path, member FROM listing l WHERE fmt IS NULL
        AND NOT EXISTS (SELECT 1 FROM prior_files p WHERE p.path = l.path)""").fetchall()
    for path, reason in new_skipped:
        yield "load_issues", [_issue(path, "", reason, now)]
        yield FILES_TABLE, [file_row(path, None, None, None, 0, 1, now)]

    # Same size and mtime: unchanged, not opened. Same size, other mtime: hashed, read if the bytes differ.
    candidate_sql = """
        SELECT l.*, p.sha256 AS prior_sha, p.size IS NOT DISTINCT FROM l.size AS same_size FROM listing l
        LEFT JOIN prior_files p USING (path)
        WHERE l.fmt IS NOT NULL AND (p.path IS NULL OR p.size IS DISTINCT FROM l.size OR p.mtime IS DISTINCT FROM l.mtime)"""
    progress = stats.progress
    progress.files_total = con.execute(f"SELECT count(*) FROM ({candidate_sql})").fetchall()[0][0]
    candidates = _pages(con, candidate_sql)
    readable = con.execute("SELECT count(*) FROM listing WHERE fmt IS NOT NULL").fetchone()[0]
    same: List[str] = []  # touched but the same bytes: rare, so kept in Python (the fresh are in `pages`)
    same_rows: List[dict] = []

    def fresh_files() -> Iterator[ArchiveFile]:
        for rows in candidates:
            for row in rows:
                file = _file_of(row)
                if row["same_size"] and row["prior_sha"] and _same_bytes(file, row["prior_sha"]):
                    same_rows.append(file_row(file.path, file.size, file.mtime, row["prior_sha"], 0, 0, now))
                    same.append(file.path)
                    continue
                yield file

    first_load = not con.execute("SELECT count(*) FROM prior_files").fetchall()[0][0]
    fresh = own = other = 0
    for read in index.read(fresh_files(), fresh=True):
        fresh, own, other = fresh + 1, own + read.objects, other + read.other_api
        yield from _reported(read, stats, now)
        progress.file_read(read.steps, len(read.problems))
        on_progress(progress)
    if same_rows:  # touched, the same bytes: counted as read
        yield FILES_TABLE, same_rows
        progress.files_read += len(same_rows)
        on_progress(progress)
    stats.skipped_unchanged = readable - fresh
    if first_load and other and not own:  # nothing is committed: the extract fails
        raise ConfigError(f"--from-export {str(root)!r} holds {other} Responses API object(s) and no Assistants one: "
                          "load it with --api responses")
    if not fresh:
        return
    con.register("same_bytes", pa.table({"path": pa.array(same, pa.string())}))
    con.execute("CREATE OR REPLACE TABLE fresh AS SELECT path FROM pages WHERE path NOT IN (SELECT path FROM same_bytes)")

    # The older files holding the rest of the runs and threads the fresh files touch.
    touched = index.touched()
    again = _pages(con, f"""
        SELECT DISTINCT l.* FROM prior_locations p JOIN {touched} t USING (kind, owner) JOIN listing l USING (path)
        WHERE l.fmt IS NOT NULL AND p.path NOT IN (SELECT path FROM fresh)""")
    for read in index.read((_file_of(row) for rows in again for row in rows), fresh=False):
        stats.opened.append(read.file.path)

    index.decide()
    yield from index.batches(batch_rows=5000)
    for table in index.locations():
        yield LOCATIONS_TABLE, table


def _pages(con: Any, sql: str) -> Iterator[List[dict]]:
    """The rows of `sql` sorted by path, a page at a time. The result is kept in a table and read by
    ranges of its row number, so that no query stays open (pinning its sorted result in the scratch
    database's small memory) while the files it lists are read and staged."""
    con.execute(f"CREATE OR REPLACE TABLE pages AS SELECT row_number() OVER (ORDER BY path) AS page_row, * FROM ({sql})")
    total = con.execute("SELECT count(*) FROM pages").fetchall()[0][0]
    for start in range(0, total, LIST_ROWS):
        page = con.sql(f"SELECT * EXCLUDE (page_row) FROM pages WHERE page_row > {int(start)} "
                       f"AND page_row <= {int(start + LIST_ROWS)} ORDER BY page_row").to_arrow_table()
        yield page.to_pylist()


def _insert_listing(con: Any, rows: List[dict]) -> None:
    if rows:
        batch = pa.Table.from_pylist(rows, schema=_LISTING)  # noqa: F841
        con.execute("INSERT INTO listing SELECT * FROM batch")


def _file_of(row: dict) -> ArchiveFile:
    return ArchiveFile(row["path"], row["size"], row["mtime"], row["fmt"], row["gzipped"], row["location"], row["member"])


def _same_bytes(file: ArchiveFile, sha256: str) -> bool:
    import hashlib

    digest = hashlib.sha256()
    try:
        with file.opener() as raw:
            while chunk := raw.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == sha256


def _reported(read: FileRead, stats: ReadStats, now: datetime) -> Iterator[Tuple[str, Any]]:
    """A fresh file's problems as load issues, and its row of the per-file state."""
    file = read.file
    stats.opened.append(file.path)
    for start in range(0, len(read.problems), 1000):
        yield "load_issues", [_issue(file.path, where, reason, now) for where, reason in read.problems[start:start + 1000]]
    yield FILES_TABLE, [file_row(file.path, file.size, file.mtime, read.sha256, read.objects, len(read.problems), now)]
