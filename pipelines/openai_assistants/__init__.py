"""A dlt source for Assistants API v2 runs and run steps (OpenAI, Azure, Microsoft Foundry,
compatible servers) and for archives of their responses.

Use it in any dlt pipeline, like dlt's verified sources:

    import dlt
    from openai_assistants import openai_assistants

    pipeline = dlt.pipeline("runsteps", destination="duckdb", dataset_name="assistants")
    pipeline.run(openai_assistants(thread_ids=["thread_abc"]), loader_file_format="parquet")

The API key comes from `sources.openai_assistants.api_key` (env `SOURCES__OPENAI_ASSISTANTS__API_KEY`
or `.dlt/secrets.toml`), else from `OPENAI_API_KEY` (`AZURE_OPENAI_API_KEY` for azure).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import dlt
import orjson
import pyarrow as pa
from dlt.sources import DltResource

from . import flatten, incremental, settings
from .client import AssistantsClient, check_base_url, items_of_pages, validate_id
from .errors import ApiError, ConfigError, NotFoundError
from .export import read_export
from .extract import ThreadJob, ThreadResult, iterate_in_background, list_thread_ids, poll_threads

__all__ = ["openai_assistants", "export_source", "resolve_api_key", "parse_shard", "in_shard", "settings"]

# Rows are buffered per table and handed to dlt in batches of Arrow tables: dlt normalizes dict
# rows one by one in Python (two thirds of a load's time, measured), while Arrow batches go to
# parquet as they are.
_BATCH_ROWS = 5000

# The CLI sets this to show progress; library users may too. Called with a dict of counters.
progress_hook: Optional[Callable[[Dict[str, Any]], None]] = None


def resolve_api_key(provider: str, api_key: Optional[str]) -> Optional[str]:
    """The configured key, else the environment variable people expect for the provider."""
    if api_key:
        return api_key
    for name in settings.PROVIDERS.get(provider, settings.PROVIDERS["openai"])["key_env"]:
        if os.environ.get(name):
            return os.environ[name]
    return None


def parse_shard(shard: Optional[str]) -> Optional[Tuple[int, int]]:
    """`"K/N"` (1-based) to `(K, N)`; None for no sharding."""
    if not shard:
        return None
    try:
        k, n = (int(x) for x in str(shard).split("/"))
    except ValueError:
        raise ConfigError(f"invalid --shard {shard!r}: expected K/N, e.g. 1/3") from None
    if not (n >= 1 and 1 <= k <= n):
        raise ConfigError(f"invalid --shard {shard!r}: need 1 <= K <= N")
    return k, n


def in_shard(thread_id: str, shard: Optional[Tuple[int, int]]) -> bool:
    """A stable hash of the thread id picks its shard, the same on every machine and run."""
    if shard is None:
        return True
    k, n = shard
    digest = hashlib.blake2b(thread_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n == k - 1


def _table_hints(table: str) -> Any:
    spec = settings.TABLES[table]
    return dlt.mark.make_hints(
        table_name=table,
        write_disposition=spec["write_disposition"],
        primary_key=spec.get("primary_key"),
        merge_key=spec.get("merge_key"),
        columns=spec["columns"],
    )


_ARROW_TYPES = {
    "text": pa.string(),
    "json": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


class _ExpectedArrowHintsFilter(logging.Filter):
    """JSON columns travel as Arrow strings under a `json` hint on purpose; dlt warns about every
    batch of them. The warning says nothing a user can act on, so it is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema" not in record.getMessage()


logging.getLogger("dlt").addFilter(_ExpectedArrowHintsFilter())

_ARROW_SCHEMAS = {
    table: pa.schema([(name, _ARROW_TYPES[col["data_type"]]) for name, col in spec["columns"].items()])
    for table, spec in settings.TABLES.items()
}
_JSON_COLUMNS = {
    table: [name for name, col in spec["columns"].items() if col["data_type"] == "json"]
    for table, spec in settings.TABLES.items()
}


def _dump_json(value: Any) -> Optional[str]:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def to_arrow(table: str, rows: List[Dict[str, Any]]) -> pa.Table:
    """Rows of one table as an Arrow table with the contract's types (json columns as JSON text)."""
    for column in _JSON_COLUMNS[table]:
        for row in rows:
            row[column] = _dump_json(row[column])
    return pa.Table.from_pylist(rows, schema=_ARROW_SCHEMAS[table])


def _empty_table(table: str) -> pa.Table:
    return _ARROW_SCHEMAS[table].empty_table()


class _RowBuffer:
    """Collects rows per table and releases them to dlt in batches."""

    def __init__(self) -> None:
        self.rows: Dict[str, List[Dict[str, Any]]] = {t: [] for t in settings.TABLES}
        self.seen: set = set()

    def add(self, table: str, rows: List[Dict[str, Any]]) -> None:
        if rows:
            self.rows[table].extend(rows)
            self.seen.add(table)

    def drain(self, force: bool = False) -> Iterator[Any]:
        for table, rows in self.rows.items():
            if rows and (force or len(rows) >= _BATCH_ROWS):
                yield dlt.mark.with_table_name(to_arrow(table, rows), table)
                self.rows[table] = []


def _declare_tables() -> Iterator[Any]:
    """Hints (keys, merge keys, column types) for every table, before any row arrives."""
    for table in settings.TABLES:
        yield dlt.mark.with_hints([], _table_hints(table), create_table_variant=True)


def _create_missing_tables(buffer: _RowBuffer) -> Iterator[Any]:
    """Tables that got no rows yet are still created, with every column typed, by an empty batch."""
    schema = dlt.current.source_schema()
    for table in settings.TABLES:
        if table in buffer.seen:
            continue
        if schema.tables.get(table, {}).get("x-normalizer", {}).get("seen-data"):
            continue
        yield dlt.mark.with_table_name(_empty_table(table), table)


def _issue(object_type: str, object_id: Optional[str], thread_id: Optional[str], run_id: Optional[str],
           error: Optional[Exception], message: str, seen_at: datetime) -> Dict[str, Any]:
    return {
        "object_type": object_type,
        "object_id": object_id,
        "thread_id": thread_id,
        "run_id": run_id,
        "http_status": getattr(error, "status", None),
        "error_code": getattr(error, "code", None),
        "message": message,
        "request_id": getattr(error, "request_id", None),
        "seen_at": seen_at,
    }


def _emit_run(buffer: _RowBuffer, run: Dict[str, Any], steps: List[Dict[str, Any]], now: datetime) -> bool:
    """Flatten one run into the buffer; an object that cannot be parsed becomes a load issue."""
    try:
        rows = flatten.run_rows(run, steps)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        run_id = run.get("id") if isinstance(run, dict) else None
        thread_id = run.get("thread_id") if isinstance(run, dict) else None
        message = f"could not parse run or its steps: {type(exc).__name__}: {exc}"
        buffer.add("load_issues", [_issue("run", run_id, thread_id, run_id, None, message, now)])
        return False
    for table, table_rows in rows.items():
        buffer.add(table, table_rows)
    return True


@dlt.source(name="openai_assistants", section=settings.SECTION, max_table_nesting=0)
def openai_assistants(
    thread_ids: Optional[List[str]] = None,
    provider: str = "openai",
    base_url: Optional[str] = None,
    api_key: Optional[str] = dlt.secrets.value,
    api_version: Optional[str] = None,
    include_file_search_content: bool = False,
    list_threads: Optional[bool] = None,
    poll_known_threads: bool = True,
    concurrency: int = settings.DEFAULT_CONCURRENCY,
    timeout: float = settings.DEFAULT_TIMEOUT_S,
    max_retries: int = settings.MAX_RETRIES,
    allow_insecure_http: bool = False,
    shard: Optional[str] = None,
) -> DltResource:
    """Runs and run steps of the given threads, and of every thread loaded before, incrementally.

    Args:
        thread_ids: threads to poll, besides those already known from earlier loads.
        provider: `openai`, `azure` or `foundry`: auth header, `api-version`, envelope quirks.
        base_url: the API root; defaults to OpenAI's for `openai`, required for the others.
        api_key: key or bearer token (a secret; `OPENAI_API_KEY` / `AZURE_OPENAI_API_KEY` as fallback).
        api_version: the `api-version` query value (azure, foundry); the provider's default otherwise.
        include_file_search_content: ask for file-search result `content` (can be large).
        list_threads: also poll every thread `GET /threads` lists (Foundry only; default on there).
        poll_known_threads: poll the threads loaded before (the nightly path).
        concurrency: the most requests in flight; it adapts down on 429s.
        timeout: seconds per request.
        max_retries: retries of one request after transient faults.
        allow_insecure_http: allow plain http:// to hosts other than loopback.
        shard: `K/N` to poll only the K-th of N stable shards of the threads.

    Returns:
        The `assistants_api` resource, which fills every table of `settings.TABLES`.
    """
    if provider not in settings.PROVIDERS:
        raise ConfigError(f"unknown provider {provider!r}: choose one of {', '.join(settings.PROVIDERS)}")
    profile = settings.PROVIDERS[provider]
    url = base_url or profile["base_url"]
    if not url:
        raise ConfigError(f"provider {provider!r} needs --base-url (e.g. {_example_url(provider)})")
    check_base_url(url, allow_insecure_http)
    key = resolve_api_key(provider, api_key)
    if not key:
        env = " or ".join(profile["key_env"])
        raise ConfigError(f"no API key: set {env}, or sources.openai_assistants.api_key in .dlt/secrets.toml")
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"--concurrency must be a whole number of at least 1 (got {concurrency!r})")
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"--timeout must be a positive number of seconds (got {timeout!r})")
    if not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigError(f"--max-retries must be 0 or more (got {max_retries!r})")
    ids = list(dict.fromkeys(validate_id(t, "thread id") for t in (thread_ids or [])))
    shard_spec = parse_shard(shard)
    if list_threads is None:
        list_threads = bool(profile["lists_threads"])

    def make_client() -> AssistantsClient:
        return AssistantsClient(url, key, provider=provider, api_version=api_version, concurrency=concurrency,
                                timeout=timeout, max_retries=max_retries, allow_insecure_http=allow_insecure_http)

    make_client()  # validates the whole configuration before anything is sent
    return assistants_api(ids, make_client, include_file_search_content, list_threads, poll_known_threads,
                          shard_spec, concurrency)


def _example_url(provider: str) -> str:
    return {
        "azure": "https://my-resource.openai.azure.com/openai",
        "foundry": "https://my-account.services.ai.azure.com/api/projects/my-project",
    }.get(provider, "https://api.openai.com/v1")


@dlt.resource(name="assistants_api", max_table_nesting=0)
def assistants_api(
    thread_ids: Sequence[str],
    make_client: Callable[[], AssistantsClient],
    include_content: bool,
    list_threads: bool,
    poll_known_threads: bool,
    shard: Optional[Tuple[int, int]],
    concurrency: int,
) -> Iterator[Any]:
    """Polls threads and yields rows for every table; keeps one cursor per thread in resource state."""
    state = dlt.current.resource_state()
    known: Dict[str, Dict[str, Any]] = state.setdefault("threads", {})
    buffer = _RowBuffer()
    yield from _declare_tables()
    now = datetime.now(timezone.utc)
    now_s = int(now.timestamp())
    counters = {"threads_total": 0, "threads_done": 0, "runs": 0, "steps": 0, "requests": 0, "retries": 0}
    client_box: Dict[str, AssistantsClient] = {}

    def plan(listed_threads: List[Dict[str, Any]]) -> List[ThreadJob]:
        wanted: Dict[str, Tuple[str, Optional[Dict[str, Any]]]] = {}
        for tid in thread_ids:
            wanted.setdefault(tid, ("input", None))
        for thread in listed_threads:
            tid = thread.get("id")
            if isinstance(tid, str) and settings.ID_PATTERN.match(tid):
                wanted.setdefault(tid, ("listed", thread))
        if poll_known_threads:
            for tid, entry in known.items():
                if not entry.get("x"):
                    wanted.setdefault(tid, ("known", None))
        jobs = []
        for tid, (via, thread) in wanted.items():
            if not in_shard(tid, shard):
                continue
            entry = known.get(tid)
            if entry is not None and entry.get("x") and via == "known":
                continue
            if entry is None:
                entry = {**incremental.new_cursor(), "v": via, "f": now_s}
                if thread is not None:
                    entry.update(c=thread.get("created_at"), m=thread.get("metadata"))
                known[tid] = entry
                fetch_thread = thread is None
            else:
                fetch_thread = False
            jobs.append(ThreadJob(tid, {"w": entry.get("w"), "d": list(entry.get("d") or [])}, fetch_thread))
        return jobs

    async def produce():
        client = make_client()
        client_box["client"] = client
        async with client:
            listed = await list_thread_ids(client) if list_threads else []
            jobs = plan(listed)
            yield len(jobs)
            async for result in poll_threads(client, jobs, include_content, window=max(8, concurrency * 2)):
                yield result

    for item in iterate_in_background(produce, buffer=settings.RESULT_BUFFER):
        if isinstance(item, int):
            counters["threads_total"] = item
            continue
        _apply(item, known, buffer, now, counters)
        client = client_box["client"]
        counters["requests"], counters["retries"] = client.stats.requests, client.stats.retries
        if progress_hook is not None:
            progress_hook(dict(counters))
        yield from buffer.drain()
    yield from buffer.drain(force=True)
    yield from _create_missing_tables(buffer)


def _apply(result: ThreadResult, known: Dict[str, Dict[str, Any]], buffer: _RowBuffer, now: datetime,
           counters: Dict[str, int]) -> None:
    """Turn one thread's result into rows, and move its cursor (state is committed with the load)."""
    tid = result.job.thread_id
    entry = known[tid]
    counters["threads_done"] += 1
    if result.deleted is not None:
        entry["x"] = int(now.timestamp())
        buffer.add("load_issues", [_issue("thread", tid, tid, None, result.deleted,
                                          f"thread not found (deleted?); it will no longer be polled: "
                                          f"{result.deleted.api_message}", now)])
    else:
        if result.thread is not None:
            entry.update(c=result.thread.get("created_at"), m=result.thread.get("metadata"))
        for run, pages in result.fetched:
            steps = items_of_pages(pages)
            if _emit_run(buffer, run, steps, now):
                counters["runs"] += 1
                counters["steps"] += len(steps)
        for run_id, error in result.gone_runs:
            buffer.add("load_issues", [_issue("run", run_id, tid, run_id, error,
                                              f"run not found while fetching its steps: {error.api_message}", now)])
        cursor = incremental.advance(entry, result.listed, gone=[rid for rid, _ in result.gone_runs])
        entry.update(cursor)
    buffer.add("threads", [flatten.thread_row(
        {"id": tid, "created_at": entry.get("c"), "metadata": entry.get("m")},
        discovered_via=entry.get("v", "input"),
        first_seen_at=flatten.to_timestamp(entry.get("f")),
        last_polled_at=now,
        deleted_at=flatten.to_timestamp(entry.get("x")),
    )])


@dlt.source(name="openai_assistants", section=settings.SECTION, max_table_nesting=0)
def export_source(export_dir: str = dlt.config.value) -> DltResource:
    """The same tables from an archive: a folder of JSON list pages or single objects.

    Args:
        export_dir: the folder to read (recursively, every `*.json`).
    """
    contents = read_export(export_dir)
    return export_files(contents)


@dlt.resource(name="assistants_api", max_table_nesting=0)
def export_files(contents: Any) -> Iterator[Any]:
    """Rows of every table from the objects read from an export folder."""
    buffer = _RowBuffer()
    yield from _declare_tables()
    now = datetime.now(timezone.utc)
    for name, reason in contents.problems:
        buffer.add("load_issues", [_issue("file", name, None, None, None, f"export file {name}: {reason}", now)])
    steps_by_run: Dict[str, List[Dict[str, Any]]] = {}
    for step in contents.steps.values():
        steps_by_run.setdefault(str(step.get("run_id")), []).append(step)
    thread_ids = set(contents.threads)
    runs = dict(contents.runs)
    for run_id, steps in steps_by_run.items():
        # Steps whose run object is not in the archive still load, keyed by their own run_id.
        runs.setdefault(run_id, {"id": run_id, "thread_id": steps[0].get("thread_id"),
                                 "assistant_id": steps[0].get("assistant_id"), "object": "thread.run"})
    for run in sorted(runs.values(), key=lambda r: (r.get("created_at") or 0, r["id"])):
        steps = sorted(steps_by_run.get(run["id"], []), key=lambda s: (s.get("created_at") or 0, s["id"]))
        _emit_run(buffer, run, steps, now)
        if run.get("thread_id"):
            thread_ids.add(run["thread_id"])
        yield from buffer.drain()
    for tid in sorted(t for t in thread_ids if isinstance(t, str)):
        thread = contents.threads.get(tid, {"id": tid})
        buffer.add("threads", [flatten.thread_row(thread, "export", first_seen_at=now, last_polled_at=None)])
    yield from buffer.drain(force=True)
    yield from _create_missing_tables(buffer)
