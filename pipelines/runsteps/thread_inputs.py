"""Thread ids from the command line: `--thread-id`, `--threads-file` and `--threads-sql`.

Every id is validated before anything is sent; a bad one stops the load with an error naming it.
Duplicates are dropped (first occurrence wins).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable, List, Optional

from openai_assistants.client import validate_id
from openai_assistants.errors import ConfigError


def read_threads_file(path: str | Path) -> List[str]:
    """One id per line (blank lines and `#` comments ignored), or a CSV with a `thread_id` column."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read --threads-file {str(path)!r}: {exc}") from None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ConfigError(f"--threads-file {str(path)!r} holds no thread ids")
    first = lines[0]
    if "," in first or first.strip().lower() == "thread_id":
        reader = csv.DictReader(io.StringIO("\n".join(lines)))
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "thread_id" not in fields:
            raise ConfigError(
                f"--threads-file {str(path)!r} looks like a CSV but has no thread_id column "
                f"(columns: {', '.join(reader.fieldnames or [])})"
            )
        column = (reader.fieldnames or [])[fields.index("thread_id")]
        ids = [(row.get(column) or "").strip() for row in reader]
        where = f"--threads-file {str(path)!r}"
        return dedupe(validate_id(i, f"thread id in {where}") for i in ids if i)
    return dedupe(validate_id(line.strip(), f"thread id in --threads-file {str(path)!r}") for line in lines)


def read_threads_sql(pipeline: Any, query: str) -> List[str]:
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
    return dedupe(validate_id(row[index], "thread id from --threads-sql") for row in rows if row[index] is not None)


def dedupe(ids: Iterable[str]) -> List[str]:
    return list(dict.fromkeys(ids))


def collect_thread_ids(
    thread_ids: Optional[Iterable[str]] = None,
    threads_file: Optional[str] = None,
    threads_sql: Optional[str] = None,
    pipeline: Any = None,
) -> List[str]:
    """All thread ids given on the command line, validated and deduplicated."""
    ids = [validate_id(t, "--thread-id") for t in (thread_ids or [])]
    if threads_file:
        ids += read_threads_file(threads_file)
    if threads_sql:
        ids += read_threads_sql(pipeline, threads_sql)
    return dedupe(ids)
