"""Loading an archive of Responses and Conversations objects, streaming, in bounded memory.

1. list the files (`openai_assistants.archive_files.list_archive`: a folder or a `.zip`, `*.json`,
   `*.jsonl`, `*.ndjson`, each optionally gzipped), one at a time;
2. read each file (`archive_reader`), flatten every object as it comes and stage its rows with its
   rank (`archive_index`); a problem becomes a load issue naming the file and line;
3. pick the most complete copy of every object and stream the winning rows out as Arrow batches.

Files are classified by what they hold, not by their names (items excepted: they belong to the
conversation their place names, see `archive_reader`), so any layout works: `runsteps emulate --api
responses --export`'s, SDK objects saved by a script, or the `--archive` files of a live load.
Every load reads the whole archive (the Assistants archive's per-file state is not kept here yet);
the tables come out the same, since every row is merged by its key.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple, Union

import dlt
import pyarrow as pa

from openai_assistants.archive_files import SUFFIXES_TEXT, Skipped, list_archive
from openai_assistants.export import check_export_root
from sourcekit.arrow import RowBuffer, TableContract
from sourcekit.errors import ConfigError

from .archive_index import ResponsesArchiveIndex
from .archive_reader import FileReader, Found
from .rows import issue_row

BATCH_ROWS = 5000


@dataclass
class ReadStats:
    """What one archive load opened and found: for the tests and the log."""

    opened: List[str] = field(default_factory=list)
    input_items: int = 0  # recognized, not loaded: no table holds them yet
    objects: Dict[str, int] = field(default_factory=dict)  # winning copies emitted, by kind


def _issue(path: str, where: str, reason: str, now: datetime) -> Dict[str, Any]:
    place = f"{path} {where}".strip()
    return issue_row("file", path, f"export file {place}: {reason}", now)


def read_archive(root: Union[str, Path], contract: TableContract, now: datetime,
                 stats: ReadStats) -> Iterator[Tuple[str, Any]]:
    """(table, rows) of everything an archive load writes: Arrow tables of the winning rows, or
    lists of dict rows for `load_issues`.

    Raises:
        ConfigError: `root` is missing or holds no archive file at all.
    """
    root = check_export_root(root)
    with tempfile.TemporaryDirectory(prefix="runsteps-responses-archive-") as workdir:
        index = ResponsesArchiveIndex(Path(workdir), contract)
        try:
            seen_any = False
            for item in list_archive(root):
                seen_any = True
                if isinstance(item, Skipped):
                    yield "load_issues", [_issue(item.path, "", item.reason, now)]
                    continue
                stats.opened.append(item.path)
                issues: List[Dict[str, Any]] = []
                for ordinal, found in enumerate(FileReader(item)):
                    if isinstance(found, Found):
                        if found.kind == "input_item":
                            stats.input_items += 1
                            continue
                        why = index.add(found.kind, found.obj, found.parent, item.path, ordinal)
                        if why is None:
                            continue
                        issues.append(_issue(item.path, found.where, why, now))
                    else:
                        issues.append(_issue(item.path, found.where, found.reason, now))
                    if len(issues) >= 1000:
                        yield "load_issues", issues
                        issues = []
                if issues:
                    yield "load_issues", issues
            if not seen_any:
                raise ConfigError(f"--from-export {str(root)!r} holds no archive file (any of {SUFFIXES_TEXT})")
            index.decide()
            yield from index.batches(BATCH_ROWS)
            stats.objects = index.counts()
        finally:
            index.close()


def export_rows(export_dir: Any, buffer: RowBuffer, now: datetime, stats: ReadStats) -> Iterator[Any]:
    """Rows of every table from an archive: Arrow batches of the winning rows go to dlt as they are;
    load issues go through `buffer`."""
    for table, rows in read_archive(export_dir, buffer.contract, now, stats):
        if isinstance(rows, list):
            buffer.add(table, rows)
            yield from buffer.drain()
        elif isinstance(rows, pa.Table) and rows.num_rows:
            buffer.seen.add(table)
            yield dlt.mark.with_table_name(rows, table)
