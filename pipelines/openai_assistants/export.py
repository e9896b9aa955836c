"""Loading an archive of API responses, streaming, in bounded memory, incrementally.

The steps of one load (each in a module of its own):

1. list the files (`archive_files`) into the scratch database and compare them with what earlier
   loads read (`archive_changes`, with the state of `archive_state`): only new or changed files are read;
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

from sourcekit.archive_progress import ArchiveProgress
from sourcekit.arrow import TableContract
from sourcekit.errors import ConfigError

from . import archive_changes
from .archive_files import SUFFIXES_TEXT, ArchiveFile
from .archive_index import ArchiveIndex
from .archive_stage import FileRead
from .archive_state import FILES_TABLE, LOCATIONS_TABLE, copy_prior, file_row



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
    copy_prior(con, "prior_files", FILES_TABLE)
    if not archive_changes.list_into(con, root):
        raise ConfigError(f"--from-export {str(root)!r} holds no *.json files (nor any of {SUFFIXES_TEXT})")
    # A skipped file is reported once: its path goes into the state like a read file's.
    for path, reason in archive_changes.new_skipped(con):
        yield "load_issues", [_issue(path, "", reason, now)]
        yield FILES_TABLE, [file_row(path, None, None, None, 0, 1, now)]

    # Same size and mtime: unchanged, not opened. Same size, other mtime: hashed, read if the bytes differ.
    progress = stats.progress
    progress.files_total = archive_changes.candidate_count(con)
    same: List[str] = []  # touched but the same bytes: rare, so kept in Python (the fresh stay in DuckDB)
    same_rows: List[dict] = []

    def fresh_files() -> Iterator[ArchiveFile]:
        for file, prior in archive_changes.candidates(con):
            if prior and archive_changes.same_bytes(file, prior.sha256):
                same_rows.append(file_row(file.path, file.size, file.mtime, prior.sha256, prior.objects, prior.problems, now))
                same.append(file.path)
                continue
            yield file

    first_load = not con.execute("SELECT count(*) FROM prior_files").fetchall()[0][0]
    own = other = 0
    for read in index.read(fresh_files(), fresh=True):
        own, other = own + read.objects, other + read.other_api
        yield from _reported(read, stats, now)
        progress.file_read(read.steps, len(read.problems))
        on_progress(progress)
    if same_rows:  # touched, the same bytes: counted as read
        yield FILES_TABLE, same_rows
        progress.files_read += len(same_rows)
        on_progress(progress)
    fresh = archive_changes.keep_fresh(con, same)
    stats.skipped_unchanged = archive_changes.readable_count(con) - fresh
    if first_load and other and not own:  # nothing is committed: the extract fails
        raise ConfigError(f"--from-export {str(root)!r} holds {other} Responses API object(s) and no Assistants one: "
                          "load it with --api responses")
    if not fresh:
        return

    # The older files holding the rest of the runs and threads the fresh files touch (and those they
    # held before). The locations are copied only now: an unchanged reload never reads them.
    copy_prior(con, "prior_locations", LOCATIONS_TABLE)
    touched = index.touched()
    archive_changes.add_held_before(con, touched)
    for read in index.read(archive_changes.located(con, touched), fresh=False):
        stats.opened.append(read.file.path)

    index.decide()
    yield from index.batches(batch_rows=5000)
    for table in index.locations():
        yield LOCATIONS_TABLE, table


def _reported(read: FileRead, stats: ReadStats, now: datetime) -> Iterator[Tuple[str, Any]]:
    """A fresh file's problems as load issues, and its row of the per-file state."""
    file = read.file
    stats.opened.append(file.path)
    for start in range(0, len(read.problems), 1000):
        yield "load_issues", [_issue(file.path, where, reason, now) for where, reason in read.problems[start:start + 1000]]
    yield FILES_TABLE, [file_row(file.path, file.size, file.mtime, read.sha256, read.objects, len(read.problems), now)]
