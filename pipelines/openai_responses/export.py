"""Loading an archive of Responses and Conversations objects, streaming, in bounded memory, incrementally.

1. list the files (`openai_assistants.archive_files.list_archive`: a folder or a `.zip`, `*.json`,
   `*.jsonl`, `*.ndjson`, each optionally gzipped) into the scratch database and compare them with
   what earlier loads read (`archive_changes`): only new or changed files are read;
2. read each of those files (`archive_reader`), flatten every object as it comes and stage its rows
   with its rank (`archive_index`); a problem becomes a load issue naming the file and line;
3. read again the older files holding copies of the responses and conversations those files touch
   (`responses_archive_locations`), so that the most complete copy still wins and a conversation's
   items keep the numbering a fresh load gives them;
4. pick the most complete copy of every touched object and stream the winning rows out as Arrow
   batches, with the new per-file state and locations (`responses_archive_files`,
   `responses_archive_locations`, through `openai_assistants.archive_state`), in the same load: a
   crash leaves the old state with the old data.

So loading the same folder again opens nothing that did not change, and the tables equal a fresh
load of the whole archive. Files are classified by what they hold, not by their names (items excepted:
they belong to the conversation their place names, see `archive_reader`), so any layout works:
`runsteps emulate --api responses --export`'s, SDK objects saved by a script, or the `--archive`
files of a live load. Archives are taken as append-only: what a file no longer holds, or a file
removed, is not taken out of the tables.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import dlt
import pyarrow as pa

from openai_assistants.archive_files import SUFFIXES_TEXT, ArchiveFile
from openai_assistants import archive_changes
from openai_assistants.archive_state import copy_prior
from openai_assistants.export import check_export_root
from sourcekit.archive_progress import ArchiveProgress
from sourcekit.arrow import RowBuffer, TableContract
from sourcekit.errors import ConfigError

from .archive_index import ResponsesArchiveIndex
from .archive_reader import FileReader, Found
from .rows import issue_row
from .settings import FILES_TABLE, LOCATIONS_TABLE

BATCH_ROWS = 5000


@dataclass
class ReadStats:
    """What one archive load opened and found: for the tests and the log."""

    opened: List[str] = field(default_factory=list)  # every file read, fresh or read again, in order
    skipped_unchanged: int = 0  # readable files not read as new or changed
    input_items: int = 0  # recognized, not loaded: no table holds them yet
    objects: Dict[str, int] = field(default_factory=dict)  # winning copies emitted, by kind
    progress: ArchiveProgress = field(default_factory=lambda: ArchiveProgress("responses"))
    own_objects: int = 0  # in new or changed files: this API's objects, and the Assistants API's
    other_api: int = 0


def _issue(path: str, where: str, reason: str, now: datetime) -> Dict[str, Any]:
    place = f"{path} {where}".strip()
    return issue_row("file", path, f"export file {place}: {reason}", now)


def read_archive(root: Union[str, Path], contract: TableContract, now: datetime, stats: ReadStats,
                 on_progress: Optional[Callable[[ArchiveProgress], None]] = None) -> Iterator[Tuple[str, Any]]:
    """(table, rows) of everything an archive load writes: Arrow tables of the winning rows and of
    the locations, or lists of dict rows for `load_issues` and the files read.

    Raises:
        ConfigError: `root` is missing or holds no archive file at all.
    """
    root = check_export_root(root)
    with tempfile.TemporaryDirectory(prefix="runsteps-responses-archive-") as workdir:
        index = ResponsesArchiveIndex(Path(workdir), contract)
        try:
            yield from _load(root, index, now, stats, on_progress or (lambda _: None))
        finally:
            index.close()


def _load(root: Path, index: ResponsesArchiveIndex, now: datetime, stats: ReadStats,
          on_progress: Callable[[ArchiveProgress], None]) -> Iterator[Tuple[str, Any]]:
    con = index.con
    copy_prior(con, "prior_files", FILES_TABLE)
    if not archive_changes.list_into(con, root):
        raise ConfigError(f"--from-export {str(root)!r} holds no archive file (any of {SUFFIXES_TEXT})")
    files = _FilesRead(index.contract.schemas[FILES_TABLE], now)
    # A skipped file is reported once: its path goes into the state like a read file's.
    for path, reason in archive_changes.new_skipped(con):
        yield "load_issues", [_issue(path, "", reason, now)]
        yield from files.add(path, None, None, None, 0, 1)

    same: List[str] = []  # touched but the same bytes: rare, so kept in Python (the fresh stay in DuckDB)
    first_load = not con.execute("SELECT count(*) FROM prior_files").fetchall()[0][0]
    progress = stats.progress
    progress.files_total = archive_changes.candidate_count(con)
    for file, prior in archive_changes.candidates(con):
        if prior and archive_changes.same_bytes(file, prior.sha256):
            yield from files.add(file.path, file.size, file.mtime, prior.sha256, prior.objects, prior.problems)
            same.append(file.path)
            progress.files_read += 1
            continue
        yield from _read_file(file, index, now, stats, files)
        on_progress(progress)
    yield from files.flush()
    if first_load and stats.other_api and not stats.own_objects:  # nothing is committed: the extract fails
        raise ConfigError(f"--from-export {str(root)!r} holds {stats.other_api} Assistants API object(s) and no "
                          "Responses one: load it without --api responses")
    fresh = archive_changes.keep_fresh(con, same)
    stats.skipped_unchanged = archive_changes.readable_count(con) - fresh
    if not fresh:
        return
    # The units the fresh files hold, and those an earlier load found in a file that changed since
    # (it may no longer hold them), then the older files holding the rest of their copies.
    copy_prior(con, "prior_locations", LOCATIONS_TABLE)  # not needed until now: an unchanged reload skips it
    touched = index.touched()
    archive_changes.add_held_before(con, touched)
    for file in archive_changes.located(con, touched):
        yield from _read_file(file, index, now, stats, None)

    index.decide()
    yield from index.batches(BATCH_ROWS)
    for table in index.locations():
        yield LOCATIONS_TABLE, table
    stats.objects = index.counts()


class _FilesRead:
    """Rows of the files table, sent as Arrow batches (a dict row per file through the row buffer
    cost half a second at 66k files)."""

    def __init__(self, schema: pa.Schema, now: datetime) -> None:
        self.schema = schema
        self.now = now
        self.rows: List[Tuple[Any, ...]] = []

    def add(self, path: str, size: Optional[int], mtime: Optional[float], sha256: Optional[str], objects: int,
            problems: int) -> Iterator[Tuple[str, pa.Table]]:
        self.rows.append((path, size, mtime, sha256, objects, problems, self.now))
        if len(self.rows) >= BATCH_ROWS:
            yield from self.flush()

    def flush(self) -> Iterator[Tuple[str, pa.Table]]:
        rows, self.rows = self.rows, []
        if rows:
            yield FILES_TABLE, pa.Table.from_arrays(
                [pa.array(column, field.type) for column, field in zip(zip(*rows), self.schema)], schema=self.schema)


def _read_file(file: ArchiveFile, index: ResponsesArchiveIndex, now: datetime, stats: ReadStats,
               files: Optional[_FilesRead]) -> Iterator[Tuple[str, Any]]:
    """Stage one file's objects. A fresh file (`files` given) has its problems become load issues and
    its row of the files table written; an older file read again for the units fresh ones touch
    reported them when it was new."""
    fresh = files is not None
    stats.opened.append(file.path)
    reader = FileReader(file)
    objects = problems = responses = 0
    issues: List[Dict[str, Any]] = []
    for ordinal, found in enumerate(reader):
        if isinstance(found, Found):
            if found.kind == "input_item":
                stats.input_items += fresh
                continue
            why = index.add(found.kind, found.obj, found.parent, file.path, ordinal, fresh)
            if why is None:
                objects += found.kind != "page"
                responses += found.kind == "response"
                continue
            where = found.where
        else:
            where, why = found.where, found.reason
            stats.other_api += fresh and found.other_api
        problems += 1
        if fresh:
            issues.append(_issue(file.path, where, why, now))
            if len(issues) >= 1000:
                yield "load_issues", issues
                issues = []
    if issues:
        yield "load_issues", issues
    if files is not None:
        yield from files.add(file.path, file.size, file.mtime, reader.sha256, objects, problems)
        stats.progress.file_read(responses, problems)
        stats.own_objects += objects


def export_rows(export_dir: Any, buffer: RowBuffer, now: datetime, stats: ReadStats,
                on_progress: Optional[Callable[[ArchiveProgress], None]] = None) -> Iterator[Any]:
    """Rows of every table from an archive: Arrow batches of the winning rows and the locations go to
    dlt as they are (in the contract's types); load issues and the files read go through `buffer`."""
    for table, rows in read_archive(export_dir, buffer.contract, now, stats, on_progress):
        if isinstance(rows, list):
            buffer.add(table, rows)
            yield from buffer.drain()
        elif isinstance(rows, pa.Table) and rows.num_rows:
            buffer.seen.add(table)
            yield dlt.mark.with_table_name(rows.cast(buffer.contract.schemas[table]), table)
