"""A dlt source for Assistants API v2 runs and run steps (OpenAI, Azure, Microsoft Foundry,
compatible servers) and for archives of their responses.

Use it in any dlt pipeline, like dlt's verified sources:

    import dlt
    from openai_assistants import openai_assistants

    pipeline = dlt.pipeline("runsteps", destination="duckdb", dataset_name="assistants")
    pipeline.run(openai_assistants(thread_ids=["thread_abc"]), loader_file_format="parquet")

The API key comes from `api_key`, else `sources.openai_assistants.api_key` (env
`SOURCES__OPENAI_ASSISTANTS__API_KEY` or `.dlt/secrets.toml`), else the provider's usual environment
variable (`OPENAI_API_KEY`; `sourcekit.config.PROVIDERS` lists them).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Optional, Sequence

import dlt
from dlt.sources import DltResource

from sourcekit.archive_progress import ArchiveProgress
from sourcekit.arrow import RowBuffer, TableContract, quiet_expected_arrow_warnings
from sourcekit.background import iterate_in_background
from sourcekit.config import ClientConfig, azure_default_credential, resolve_client_config
from sourcekit.errors import ConfigError
from sourcekit.ids import check_ids
from sourcekit.retries import MAX_RETRIES
from sourcekit.shards import Shard

from . import settings
from .client import AssistantsClient
from .archive_writer import ArchiveWriter
from .export import ReadStats, check_export_root
from . import extract
from .planner import plan_polls
from .rows import LoadProgress, apply_result, export_rows, issue_row
from .thread_state import CURSOR_TABLE, migrate_legacy_state, read_cursors

__all__ = ["openai_assistants", "assistants_api", "export_source", "export_files", "LoadProgress"]

CONTRACT = TableContract(settings.TABLES)


@dlt.source(name="openai_assistants", section=settings.SECTION, max_table_nesting=0)
def openai_assistants(
    thread_ids: Optional[Sequence[str]] = None,
    provider: str = "openai",
    base_url: Optional[str] = None,
    api_key: Optional[str] = dlt.secrets.value,
    api_version: Optional[str] = None,
    include_file_search_content: bool = False,
    list_threads: Optional[bool] = None,
    poll_known_threads: bool = True,
    concurrency: int = settings.DEFAULT_CONCURRENCY,
    timeout: float = settings.DEFAULT_TIMEOUT_S,
    max_retries: int = MAX_RETRIES,
    max_pages: int = 100_000,
    allow_insecure_http: bool = False,
    shard: Optional[str] = None,
    on_progress: Optional[Callable[[LoadProgress], None]] = None,
    archive_dir: Optional[str] = None,
    credential: Optional[Any] = None,
    azure_credential: bool = False,
) -> DltResource:
    """Runs and run steps of the given threads, and of every thread loaded before, incrementally.

    Every setting is checked here, once; the HTTP client takes the result as it is.

    Args:
        thread_ids: threads to poll, besides those already known from earlier loads.
        provider: a name from `sourcekit.config.PROVIDERS` (`openai`, `azure`, `foundry`).
        base_url: the API root; the provider's default when None (required for azure and foundry).
        api_key: key or bearer token (a secret; the provider's environment variables as fallback).
        api_version: the `api-version` query value; the provider's default otherwise.
        include_file_search_content: ask for file-search result `content` (can be large).
        list_threads: also poll every thread `GET /threads` lists (default: on where the provider has it).
        poll_known_threads: poll the threads loaded before (the nightly path).
        concurrency: the most requests in flight; it adapts down on 429s.
        timeout: seconds per request.
        max_retries: retries of one request after transient faults.
        max_pages: pages one listing may take before it counts as never-ending.
        allow_insecure_http: allow plain http:// to hosts other than loopback.
        shard: `K/N` to poll only the K-th of N stable shards of the threads.
        on_progress: called with a `LoadProgress` after each thread.
        archive_dir: also write every page fetched, as received, to a gzipped JSONL file there
            (`--from-export` reads it back into the same tables).
        credential: a token credential (`get_token(scope)`, azure-identity's protocol) instead of a
            key (azure, foundry); its tokens are refreshed before they expire.
        azure_credential: sign in with azure-identity's `DefaultAzureCredential` (extra `azure`).

    Returns:
        The `assistants_api` resource, which fills every table of `settings.TABLES`.
    """
    if credential is None and azure_credential:
        credential = azure_default_credential()
    config = resolve_client_config(
        provider=provider, profiles=settings.API_PROFILES, key_setting=f"sources.{settings.SECTION}.api_key",
        base_url=base_url, api_key=api_key, api_version=api_version, concurrency=concurrency, timeout=timeout,
        max_retries=max_retries, max_pages=max_pages, allow_insecure_http=allow_insecure_http, credential=credential,
    )
    quiet_expected_arrow_warnings()
    return assistants_api(
        config,
        check_ids(thread_ids or (), "thread id"),
        include_file_search_content,
        provider in settings.LISTS_THREADS if list_threads is None else list_threads,
        poll_known_threads,
        shard if isinstance(shard, Shard) else Shard.parse(shard),
        on_progress,
        archive_dir,
    )


@dlt.resource(name="assistants_api", max_table_nesting=0)
def assistants_api(
    config: ClientConfig,
    thread_ids: Sequence[str],
    include_content: bool,
    list_threads: bool,
    poll_known_threads: bool,
    shard: Optional[Shard],
    on_progress: Optional[Callable[[LoadProgress], None]] = None,
    archive_dir: Optional[str] = None,
) -> Iterator[Any]:
    """Polls threads and yields rows for every table; one cursor per thread in `thread_cursors`."""
    now = datetime.now(timezone.utc)
    buffer = RowBuffer(CONTRACT)
    yield from CONTRACT.declare()
    cursors = read_cursors()
    # Cursors to write at the end, once each: the ones moved out of an old state blob, and the ones
    # that changed (a table row per thread, never the whole state).
    changed = {c.thread_id for c in migrate_legacy_state(dlt.current.resource_state(), cursors)}
    progress = LoadProgress()
    writer = ArchiveWriter(archive_dir) if archive_dir else None
    client = AssistantsClient(config, on_page=writer.write if writer else None)

    async def produce():
        async with client:
            listed, unusable = await extract.list_threads(client) if list_threads else ([], [])
            jobs = plan_polls(thread_ids, listed, cursors, poll_known_threads, shard, now)
            if not jobs and not cursors and not unusable:
                raise ConfigError(
                    "nothing to poll: no thread was given and none is known from earlier loads. Name threads "
                    "with --thread-id, --threads-file or --threads-sql (or --list-threads where the provider lists them)")
            yield len(jobs), unusable
            async for result in extract.poll_threads(client, jobs, include_content, window=max(8, config.concurrency * 2)):
                yield result

    try:
        for item in iterate_in_background(produce, buffer=settings.RESULT_BUFFER):
            if isinstance(item, tuple):
                progress.threads_total, unusable = item
                for thread, problem in unusable:
                    buffer.add("load_issues", [issue_row("thread", thread.get("id") if isinstance(thread, dict) else None,
                                                         None, None, f"listed thread skipped: {problem}", now)])
                progress.issues += len(unusable)
                continue
            if apply_result(item, cursors[item.job.thread_id], buffer, now, progress):
                changed.add(item.job.thread_id)
            progress.requests, progress.retries = client.stats.requests, client.stats.retries
            if on_progress is not None:
                on_progress(progress)
            yield from buffer.drain()
    except BaseException:
        if writer is not None:
            writer.discard()  # a failed extract leaves no partial archive file
        raise
    if writer is not None:
        writer.commit()
    buffer.add(CURSOR_TABLE, [cursors[thread_id].row() for thread_id in sorted(changed)])
    yield from buffer.finish()


@dlt.source(name="openai_assistants", section=settings.SECTION, max_table_nesting=0)
def export_source(export_dir: str = dlt.config.value, stats: Optional[ReadStats] = None,
                  on_progress: Optional[Callable[[ArchiveProgress], None]] = None) -> DltResource:
    """The same tables from an archive: list pages or objects in `*.json`, `*.jsonl`, `*.ndjson`
    (each optionally gzipped), in a folder or a `.zip`. Loading the same archive again reads only the
    files that are new or changed (state in `archive_files` and `archive_locations`).

    Args:
        export_dir: the folder or .zip file to read (recursively).
        stats: learns which files the load opened (for tests and tools).
        on_progress: called with the load's `ArchiveProgress` after each new or changed file.
    """
    quiet_expected_arrow_warnings()
    return export_files(str(check_export_root(export_dir)), stats, on_progress)


@dlt.resource(name="assistants_api", max_table_nesting=0)
def export_files(export_dir: str, stats: Optional[ReadStats] = None,
                 on_progress: Optional[Callable[[ArchiveProgress], None]] = None) -> Iterator[Any]:
    """Rows of every table from an archive, streamed; `stats` (optional) learns which files were opened."""
    buffer = RowBuffer(CONTRACT)
    yield from CONTRACT.declare()
    yield from export_rows(export_dir, buffer, datetime.now(timezone.utc), stats, on_progress)
    yield from buffer.finish()
