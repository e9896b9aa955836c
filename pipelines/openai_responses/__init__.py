"""A dlt source for the Responses and Conversations APIs (OpenAI, Azure OpenAI, Microsoft Foundry):
responses with their output items, tool results and usage, and conversations with their items.

Use it in any dlt pipeline, like dlt's verified sources:

    import dlt
    from openai_responses import openai_responses

    pipeline = dlt.pipeline("runsteps", destination="duckdb", dataset_name="assistants")
    pipeline.run(openai_responses(response_ids=["resp_abc"]), loader_file_format="parquet")

OpenAI lists no responses: name them (the last response of each conversation is enough: its
`previous_response_id` chain is walked back). Foundry lists the project's responses. The key comes
from `api_key`, else `sources.openai_responses.api_key`, else the provider's usual environment variable
(`sourcekit.config.PROVIDERS`); or pass a token `credential` (azure-identity's `get_token` protocol).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Optional, Sequence

import dlt
from dlt.sources import DltResource

from sourcekit.archive_progress import ArchiveProgress
from sourcekit.arrow import RowBuffer, quiet_expected_arrow_warnings
from sourcekit.config import ClientConfig, azure_default_credential, resolve_client_config
from sourcekit.errors import ConfigError
from sourcekit.ids import check_ids
from sourcekit.retries import MAX_RETRIES

from . import settings
from .export import ReadStats, check_export_root, export_rows
from .load import CONTRACT, load_rows
from .rows import LoadProgress

__all__ = ["openai_responses", "responses_api", "export_source", "export_files", "LoadProgress"]


@dlt.source(name="openai_responses", section=settings.SECTION, max_table_nesting=0)
def openai_responses(
    response_ids: Optional[Sequence[str]] = None,
    conversation_ids: Optional[Sequence[str]] = None,
    provider: str = "openai",
    base_url: Optional[str] = None,
    api_key: Optional[str] = dlt.secrets.value,
    list_responses: Optional[bool] = None,
    agent_name: Optional[str] = None,
    poll_known: bool = True,
    credential: Optional[Any] = None,
    azure_credential: bool = False,
    concurrency: int = settings.DEFAULT_CONCURRENCY,
    timeout: float = settings.DEFAULT_TIMEOUT_S,
    max_retries: int = MAX_RETRIES,
    max_pages: int = 100_000,
    allow_insecure_http: bool = False,
    on_progress: Optional[Callable[[LoadProgress], None]] = None,
    archive_dir: Optional[str] = None,
) -> DltResource:
    """Responses (with their chains) and conversations, incrementally.

    Every setting is checked here, once; the HTTP client takes the result as it is.

    Args:
        response_ids: responses to load; each one's `previous_response_id` chain is walked back to a
            response already loaded, or to its start.
        conversation_ids: conversations to load with all their items.
        provider: `openai`, `azure` or `foundry` (`sourcekit.config.PROVIDERS`).
        base_url: the API root; for Foundry the project endpoint (`/openai/v1` is added).
        api_key: key or bearer token (a secret; the provider's environment variables as fallback).
        list_responses: also load what `GET /responses` lists (default: on where the provider has it).
        agent_name: list only this agent's responses (Foundry).
        poll_known: fetch again the responses loaded while still open, and read the new items of the
            conversations loaded before that a response of this load began or ended in.
        credential: a token credential (`get_token(scope)`) instead of a key (azure, foundry).
        azure_credential: sign in with azure-identity's `DefaultAzureCredential` (extra `azure`).
        concurrency: the most requests in flight; it adapts down on 429s.
        timeout: seconds per request.
        max_retries: retries of one request after transient faults.
        max_pages: pages one listing may take before it counts as never-ending.
        allow_insecure_http: allow plain http:// to hosts other than loopback.
        on_progress: called with a `LoadProgress` after each object.
        archive_dir: also write every page fetched, as received, to a gzipped JSONL file there
            (`export_source` reads it back into the same tables).
    """
    if credential is None and azure_credential:
        credential = azure_default_credential()
    config = resolve_client_config(
        provider=provider, profiles=settings.API_PROFILES, key_setting=f"sources.{settings.SECTION}.api_key",
        base_url=base_url, api_key=api_key, concurrency=concurrency, timeout=timeout, max_retries=max_retries,
        max_pages=max_pages, allow_insecure_http=allow_insecure_http, credential=credential,
    )
    lists = provider in settings.LISTS_RESPONSES if list_responses is None else list_responses
    if agent_name is not None and not (isinstance(agent_name, str) and agent_name.strip()):
        raise ConfigError(f"--agent-name must be a non-empty name (got {agent_name!r})")
    if agent_name and not lists:
        raise ConfigError("--agent-name filters the GET /responses listing, which only Foundry has (--provider foundry)")
    quiet_expected_arrow_warnings()
    return responses_api(
        config,
        check_ids(response_ids or (), "response id"),
        check_ids(conversation_ids or (), "conversation id"),
        lists,
        agent_name,
        poll_known,
        on_progress,
        archive_dir,
    )


@dlt.resource(name="responses_api", max_table_nesting=0)
def responses_api(
    config: ClientConfig,
    response_ids: Sequence[str],
    conversation_ids: Sequence[str],
    list_responses: bool,
    agent_name: Optional[str],
    poll_known: bool,
    on_progress: Optional[Callable[[LoadProgress], None]] = None,
    archive_dir: Optional[str] = None,
) -> Iterator[Any]:
    """Fetches responses and conversations and yields rows for every table of `settings.TABLES`
    (one load: `load.load_rows`)."""
    yield from load_rows(config, response_ids, conversation_ids, list_responses, agent_name, poll_known, on_progress,
                         archive_dir)


@dlt.source(name="openai_responses", section=settings.SECTION, max_table_nesting=0)
def export_source(export_dir: str = dlt.config.value, stats: Optional[ReadStats] = None,
                  on_progress: Optional[Callable[[ArchiveProgress], None]] = None) -> DltResource:
    """The same tables from an archive: responses, conversations and their items as list pages or
    objects in `*.json`, `*.jsonl`, `*.ndjson` (each optionally gzipped), in a folder or a `.zip`
    (`export` says how; `archive_index` which copy wins).

    Args:
        export_dir: the folder or .zip file to read (recursively).
        stats: learns which files the load opened (for tests and tools).
        on_progress: called with the load's `ArchiveProgress` after each new or changed file.
    """
    quiet_expected_arrow_warnings()
    return export_files(str(check_export_root(export_dir)), stats, on_progress)


@dlt.resource(name="responses_api", max_table_nesting=0)
def export_files(export_dir: str, stats: Optional[ReadStats] = None,
                 on_progress: Optional[Callable[[ArchiveProgress], None]] = None) -> Iterator[Any]:
    """Rows of every table from an archive, streamed."""
    buffer = RowBuffer(CONTRACT)
    yield from CONTRACT.declare()
    yield from export_rows(export_dir, buffer, datetime.now(timezone.utc), stats if stats is not None else ReadStats(),
                           on_progress)
    yield from buffer.finish()
