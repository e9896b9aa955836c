"""Object ids from the command line: given one by one, in a file, or by a query on the destination
(`--thread-id`/`--threads-file`/`--threads-sql`, `--response-id`/`--response-ids-file`/`--response-ids-sql`).

This is where those ids enter, so this is where they are checked (once): a bad one stops the load
with an error naming it and where it came from. Duplicates are dropped (first occurrence wins).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable, Optional

from sourcekit.errors import ConfigError
from sourcekit.ids import CheckedIds, check_ids

from .options import ResponseInputs, ThreadInputs


def read_ids_file(path: Path, kind: str, flag: str) -> CheckedIds:
    """One id per line (blank lines and `#` comments ignored), or a CSV with a `<kind>_id` column."""
    where, column = f"{flag} {str(path)!r}", f"{kind}_id"
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {where}: {exc}") from None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ConfigError(f"{where} holds no {kind} ids")
    if "," not in lines[0] and lines[0].strip().lower() != column:
        return check_ids((line.strip() for line in lines), f"{kind} id in {where}")
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if column not in fields:
        raise ConfigError(f"{where} looks like a CSV but has no {column} column "
                          f"(columns: {', '.join(reader.fieldnames or [])})")
    name = (reader.fieldnames or [])[fields.index(column)]
    values = ((row.get(name) or "").strip() for row in reader)
    return check_ids((v for v in values if v), f"{kind} id in {where}")


def read_ids_sql(pipeline: Any, query: str, kind: str, flag: str) -> CheckedIds:
    """Run `query` on the destination; it must return a `<kind>_id` column."""
    column = f"{kind}_id"
    try:
        with pipeline.sql_client() as client:
            with client.execute_query(query) as cursor:
                columns = [d[0].lower() for d in (cursor.description or [])]
                rows = cursor.fetchall()
    except Exception as exc:  # any driver's error: report it in one line
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{flag} failed: {message}") from None
    if column not in columns:
        raise ConfigError(f"{flag} must return a {column} column (it returned: {', '.join(columns) or 'none'})")
    index = columns.index(column)
    return check_ids((row[index] for row in rows if row[index] is not None), f"{kind} id from {flag}")


def _collect(given: Iterable[str], given_flag: str, kind: str, file: Optional[Path], file_flag: str,
             sql: Optional[str], sql_flag: str, pipeline: Any) -> CheckedIds:
    ids = check_ids(given, given_flag)
    if file:
        ids = CheckedIds((*ids, *read_ids_file(file, kind, file_flag)))
    if sql:
        ids = CheckedIds((*ids, *read_ids_sql(pipeline, sql, kind, sql_flag)))
    return ids


def collect_thread_ids(inputs: ThreadInputs, pipeline: Optional[Any] = None) -> CheckedIds:
    """All thread ids the inputs name, checked and deduplicated."""
    return _collect(inputs.thread_ids, "--thread-id", "thread", inputs.threads_file, "--threads-file",
                    inputs.threads_sql, "--threads-sql", pipeline)


def collect_response_ids(inputs: ResponseInputs, pipeline: Optional[Any] = None) -> CheckedIds:
    """All response ids the inputs name, checked and deduplicated."""
    return _collect(inputs.response_ids, "--response-id", "response", inputs.response_ids_file, "--response-ids-file",
                    inputs.response_ids_sql, "--response-ids-sql", pipeline)
