"""Thread ids from the command line: `--thread-id`, `--threads-file` and `--threads-sql`.

This is where those ids enter, so this is where they are checked (once): a bad one stops the load
with an error naming it and where it came from. Duplicates are dropped (first occurrence wins).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, List, Optional

from sourcekit.errors import ConfigError
from sourcekit.ids import CheckedIds, check_ids

from .options import ThreadInputs


def read_threads_file(path: Path) -> CheckedIds:
    """One id per line (blank lines and `#` comments ignored), or a CSV with a `thread_id` column."""
    where = f"--threads-file {str(path)!r}"
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {where}: {exc}") from None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ConfigError(f"{where} holds no thread ids")
    if "," not in lines[0] and lines[0].strip().lower() != "thread_id":
        return check_ids((line.strip() for line in lines), f"thread id in {where}")
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "thread_id" not in fields:
        raise ConfigError(f"{where} looks like a CSV but has no thread_id column "
                          f"(columns: {', '.join(reader.fieldnames or [])})")
    column = (reader.fieldnames or [])[fields.index("thread_id")]
    ids: List[str] = [(row.get(column) or "").strip() for row in reader]
    return check_ids((i for i in ids if i), f"thread id in {where}")


def read_threads_sql(pipeline: Any, query: str) -> CheckedIds:
    """Run `query` on the destination; it must return a `thread_id` column."""
    try:
        with pipeline.sql_client() as client:
            with client.execute_query(query) as cursor:
                columns = [d[0].lower() for d in (cursor.description or [])]
                rows = cursor.fetchall()
    except Exception as exc:  # any driver's error: report it in one line
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"--threads-sql failed: {message}") from None
    if "thread_id" not in columns:
        raise ConfigError(f"--threads-sql must return a thread_id column (it returned: {', '.join(columns) or 'none'})")
    index = columns.index("thread_id")
    return check_ids((row[index] for row in rows if row[index] is not None), "thread id from --threads-sql")


def collect_thread_ids(inputs: ThreadInputs, pipeline: Optional[Any] = None) -> CheckedIds:
    """All thread ids the inputs name, checked and deduplicated."""
    ids = check_ids(inputs.thread_ids, "--thread-id")
    if inputs.threads_file:
        ids = CheckedIds((*ids, *read_threads_file(inputs.threads_file)))
    if inputs.threads_sql:
        ids = CheckedIds((*ids, *read_threads_sql(pipeline, inputs.threads_sql)))
    return ids
