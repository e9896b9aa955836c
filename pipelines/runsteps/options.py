"""The options of the app's commands, as typed, frozen objects: the CLI builds them once, the library
(`runsteps.commands`) takes them, and a program can build them just as well.

Values left as None are not passed on: dlt resolves them from its config (environment, `.dlt/`), then
the source's defaults apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from sourcekit.shards import Shard

DEFAULT_DB = Path("runsteps.duckdb")
DEFAULT_DATASET = "assistants"
DEFAULT_PIPELINE = "runsteps"


@dataclass(frozen=True)
class Warehouse:
    """Where the data goes, and how long to wait for a busy warehouse.

    Attributes:
        db: the DuckDB file (ignored for other destinations).
        destination: any dlt destination name instead of DuckDB (credentials the dlt way).
        dataset: the schema of the raw tables.
        pipeline_name: dlt's pipeline name; a shard gets its own, suffixed.
        pipelines_dir: dlt's working folder (default: beside the DuckDB file).
        shard: a load of one shard keeps a pipeline and a staging dataset of its own.
        wait: seconds to wait for another load or a process holding the database.
    """

    db: Path = DEFAULT_DB
    destination: Optional[str] = None
    dataset: str = DEFAULT_DATASET
    pipeline_name: str = DEFAULT_PIPELINE
    pipelines_dir: Optional[Path] = None
    shard: Optional[Shard] = None
    wait: float = 0.0

    def describe(self) -> str:
        """Where this is, for messages."""
        if self.destination and self.destination != "duckdb":
            return f"{self.destination} dataset {self.dataset}"
        return f"{self.db} (dataset {self.dataset})"


@dataclass(frozen=True)
class ApiSettings:
    """How to reach the API (each None: dlt's config, then the source's default)."""

    provider: Optional[str] = None
    base_url: Optional[str] = None
    api_key: Optional[str] = field(default=None, repr=False)
    api_version: Optional[str] = None
    allow_insecure_http: Optional[bool] = None
    concurrency: Optional[int] = None
    timeout: Optional[float] = None
    max_retries: Optional[int] = None
    max_pages: Optional[int] = None
    include_file_search_content: Optional[bool] = None
    list_threads: Optional[bool] = None
    azure_credential: Optional[bool] = None  # sign in with azure-identity instead of a static token

    def given(self) -> Dict[str, Any]:
        """The settings that were given, as keyword arguments of the source."""
        return {name: value for name, value in self.__dict__.items() if value is not None}


@dataclass(frozen=True)
class ThreadInputs:
    """Which threads to poll, besides the known ones.

    Attributes:
        thread_ids: ids given one by one.
        threads_file: one id per line, or a CSV with a `thread_id` column.
        threads_sql: a query on the destination returning a `thread_id` column.
        poll_known_threads: also poll every thread loaded before (the nightly path).
    """

    thread_ids: Tuple[str, ...] = ()
    threads_file: Optional[Path] = None
    threads_sql: Optional[str] = None
    poll_known_threads: bool = True


# Which API a load reads (`--api`): each is a dlt source of its own, into the same dataset.
APIS = ("assistants", "responses")
# ApiSettings fields only the Assistants source takes.
ASSISTANTS_ONLY_SETTINGS = {"api_version": "--api-version", "include_file_search_content": "--include-file-search-content",
                            "list_threads": "--list-threads"}


@dataclass(frozen=True)
class ResponseInputs:
    """Which responses and conversations to load (`--api responses`), besides the known open ones.

    Attributes:
        response_ids: ids given one by one; each one's `previous_response_id` chain is walked back.
        response_ids_file: one id per line, or a CSV with a `response_id` column.
        response_ids_sql: a query on the destination returning a `response_id` column.
        conversation_ids: conversations to load with their items.
        agent_name: list only this agent's responses (Foundry).
        list_responses: also load what `GET /responses` lists (None: where the provider has it).
    """

    response_ids: Tuple[str, ...] = ()
    response_ids_file: Optional[Path] = None
    response_ids_sql: Optional[str] = None
    conversation_ids: Tuple[str, ...] = ()
    agent_name: Optional[str] = None
    list_responses: Optional[bool] = None

    def given(self) -> bool:
        return bool(self.response_ids or self.response_ids_file or self.response_ids_sql or self.conversation_ids
                    or self.agent_name or self.list_responses is not None)


@dataclass(frozen=True)
class LoadOptions:
    """One load: from the API (`api`, `threads` or `responses`) or from an archive (`from_export`).

    `source_api` picks the API: `assistants` (threads → runs → steps) or `responses` (responses and
    conversations); both load into the same dataset. `archive` keeps a raw copy of every page fetched
    from the API in that folder.
    """

    warehouse: Warehouse = Warehouse()
    api: ApiSettings = ApiSettings()
    threads: ThreadInputs = ThreadInputs()
    from_export: Optional[Path] = None
    archive: Optional[Path] = None
    source_api: str = "assistants"
    responses: ResponseInputs = ResponseInputs()


@dataclass(frozen=True)
class ReportOptions:
    """The HTML report: where it goes and how many days it charts."""

    out: Path = Path("runsteps-report.html")
    days: int = 30


@dataclass(frozen=True)
class ModelsOptions:
    """The SQL models: price overrides, deployment names, and whether to run the data tests."""

    price_overrides: Optional[Path] = None
    test: bool = False
    deployments: Optional[Path] = None
