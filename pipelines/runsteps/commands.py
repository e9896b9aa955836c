"""What each `runsteps` command does, as library functions that take typed options.

The CLI (`runsteps.cli`) only builds the options, shows progress and prints what these return; a
program (or `runsteps demo`) calls them the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import dlt

from openai_assistants import LoadProgress, export_source, openai_assistants
from sourcekit.arrow import TableContract
from sourcekit.errors import ConfigError
from sourcekit.ids import check_ids

from .loading import build_pipeline, run_load
from .merge_indexes import ensure_merge_indexes
from .options import APIS, ASSISTANTS_ONLY_SETTINGS, LoadOptions, ModelsOptions, ReportOptions, Warehouse
from .warehouse_hold import hold_warehouse
from .id_inputs import collect_response_ids, collect_thread_ids


def pipeline_for(warehouse: Warehouse) -> dlt.Pipeline:
    """The pipeline the warehouse options name; a shard gets a pipeline (and state) of its own."""
    shard = warehouse.shard
    return build_pipeline(
        warehouse.db, warehouse.destination, dataset_name=warehouse.dataset,
        pipeline_name=f"{warehouse.pipeline_name}_{shard.suffix}" if shard else warehouse.pipeline_name,
        pipelines_dir=warehouse.pipelines_dir, staging_suffix=shard.suffix if shard else None,
    )


def make_source(options: LoadOptions, pipeline: dlt.Pipeline,
                on_progress: Optional[Callable[[LoadProgress], None]] = None) -> Any:
    """The dlt source of a load: an archive, or the API (`options.source_api`) with the ids given."""
    if options.source_api not in APIS:
        raise ConfigError(f"unknown --api {options.source_api!r}: choose one of {', '.join(APIS)}")
    if options.source_api == "responses":
        return _responses_source(options, pipeline, on_progress)
    if options.responses.given():
        raise ConfigError("--response-id, --response-ids-file, --response-ids-sql, --conversation-id, --agent-name and "
                          "--list-responses go with --api responses")
    if options.from_export:
        if options.archive:
            raise ConfigError("--archive keeps a copy of the pages fetched from the API; a load --from-export fetches none")
        return export_source(str(options.from_export), on_progress=on_progress)
    inputs = options.threads
    if inputs.threads_sql:  # reads the database before the load holds it: wait for it the same way
        with hold_warehouse(pipeline, options.warehouse.wait):
            thread_ids = collect_thread_ids(inputs, pipeline)
    else:
        thread_ids = collect_thread_ids(inputs, pipeline)
    return openai_assistants(
        thread_ids=thread_ids,
        poll_known_threads=inputs.poll_known_threads,
        shard=options.warehouse.shard,
        on_progress=on_progress,
        archive_dir=str(options.archive) if options.archive else None,
        **options.api.given(),
    )


def _responses_source(options: LoadOptions, pipeline: dlt.Pipeline, on_progress: Optional[Callable[[Any], None]]) -> Any:
    """The Responses / Conversations source with the ids given (`--api responses`)."""
    from openai_responses import openai_responses

    given = options.api.given()
    wrong = [flag for name, flag in ASSISTANTS_ONLY_SETTINGS.items() if name in given]
    threads = options.threads
    if threads.thread_ids or threads.threads_file or threads.threads_sql:
        wrong.append("--thread-id/--threads-file/--threads-sql")
    if options.warehouse.shard:
        wrong.append("--shard")
    if wrong:
        raise ConfigError(f"{', '.join(wrong)} go with --api assistants, not --api responses")
    inputs = options.responses
    if options.from_export:
        if options.archive:
            raise ConfigError("--archive keeps a copy of the pages fetched from the API; a load --from-export fetches none")
        if inputs.given():
            raise ConfigError("--response-id, --response-ids-file, --response-ids-sql, --conversation-id, --agent-name and "
                              "--list-responses name what to fetch from the API; a load --from-export reads files only")
        from openai_responses import export_source as responses_export_source

        return responses_export_source(str(options.from_export), on_progress=on_progress)
    return openai_responses(
        response_ids=collect_response_ids(inputs, pipeline),
        conversation_ids=check_ids(inputs.conversation_ids, "--conversation-id"),
        list_responses=inputs.list_responses,
        agent_name=inputs.agent_name,
        poll_known=threads.poll_known_threads,
        on_progress=on_progress,
        archive_dir=str(options.archive) if options.archive else None,
        **given,
    )


def contract_of(api: str) -> TableContract:
    """The tables the source of `api` writes."""
    if api == "responses":
        from openai_responses import CONTRACT

        return CONTRACT
    from openai_assistants import CONTRACT

    return CONTRACT


@dataclass
class LoadSummary:
    """What one load did."""

    where: str
    seconds: float
    rows: Dict[str, int]
    progress: Optional[LoadProgress]
    dataset: str

    @property
    def issues(self) -> int:
        """Rows this load added to `load_issues`."""
        return self.rows.get("load_issues", 0)

    def describe(self) -> str:
        rows, p = self.rows, self.progress
        issues = rows.get("load_issues", 0)
        if "responses" in rows or "conversations" in rows:
            what = (f"{rows.get('responses', 0)} responses, {rows.get('response_items', 0)} output items, "
                    f"{rows.get('conversations', 0)} conversations with {rows.get('conversation_items', 0)} items")
        else:
            what = (f"{rows.get('runs', 0)} runs, {rows.get('run_steps', 0)} steps, "
                    f"{rows.get('run_step_tool_calls', 0)} tool calls from {rows.get('threads', 0)} threads")
        return (
            f"loaded into {self.where} in {self.seconds:.1f}s: {what}"
            + (f"; {p.requests} requests ({p.retries} retried)" if p and p.requests else "")
            + (f"; {issues} problem(s) recorded in {self.dataset}.load_issues" if issues else "")
        )


def load(options: LoadOptions, on_progress: Optional[Callable[[LoadProgress], None]] = None,
         pipeline: Optional[dlt.Pipeline] = None) -> LoadSummary:
    """Run one load (incremental): extract, normalize and load under the pipeline's lock."""
    pipeline = pipeline or pipeline_for(options.warehouse)
    last: List[LoadProgress] = []

    def remember(progress: LoadProgress) -> None:
        last[:] = [progress]
        if on_progress is not None:
            on_progress(progress)

    started = time.monotonic()
    run_load(pipeline, make_source(options, pipeline, remember), wait=options.warehouse.wait)
    ensure_merge_indexes(pipeline, contract_of(options.source_api).delete_keys())
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace else None
    return LoadSummary(options.warehouse.describe(), time.monotonic() - started,
                       dict(info.row_counts) if info else {}, last[0] if last else None, options.warehouse.dataset)


@dataclass
class ModelsSummary:
    """What building the models did, and the data tests' results when they ran."""

    where: str
    result: Any
    tests: List[Any] = field(default_factory=list)

    @property
    def failures(self) -> List[Any]:
        """The data tests that returned offending rows."""
        return [t for t in self.tests if t.failing_rows]

    def describe(self) -> str:
        prices = self.result.prices
        unpriced = sorted({str(m) for m, _ in prices.unpriced}) if prices else []
        return (f"built {len(self.result.models)} models in schema analytics of {self.where} in {self.result.seconds:.2f}s"
                + (f"; no price for: {', '.join(unpriced)} (see analytics.unpriced_models)" if unpriced else "")
                + "".join(f"\nwarning: {w}" for w in self.result.warnings))


def build(warehouse: Warehouse, options: ModelsOptions = ModelsOptions(),
          pipeline: Optional[dlt.Pipeline] = None) -> ModelsSummary:
    """Build the SQL models (and run the data tests when asked: see `ModelsSummary.failures`)."""
    from .models import build_models, run_data_tests

    overrides = options.price_overrides
    if overrides and not Path(overrides).is_file():
        raise ConfigError(f"--price-overrides {str(overrides)!r} is not a file")
    deployments = options.deployments
    if deployments and not Path(deployments).is_file():
        raise ConfigError(f"--deployments {str(deployments)!r} is not a file")
    pipeline = pipeline or pipeline_for(warehouse)
    with hold_warehouse(pipeline, warehouse.wait):
        summary = ModelsSummary(warehouse.describe(),
                                build_models(pipeline, price_overrides=overrides, deployments=deployments))
        if options.test:
            summary.tests = run_data_tests(pipeline)
    return summary


def report(warehouse: Warehouse, options: ReportOptions = ReportOptions(),
           pipeline: Optional[dlt.Pipeline] = None) -> str:
    """Write the HTML report; returns the text summary."""
    from .report import write_report

    pipeline = pipeline or pipeline_for(warehouse)
    with hold_warehouse(pipeline, warehouse.wait):
        return write_report(pipeline, Path(options.out), days=options.days)


def publish_snapshot(warehouse: Warehouse, target: Path) -> Path:
    """Copy the DuckDB file to `target` for tools that keep a file open (BI tools, the DuckDB CLI).

    The copy is written beside `target` and renamed over it, so a reader sees the old snapshot or the
    new one, never half of one; a reader holding the old file open keeps reading it undisturbed.
    """
    import os
    import shutil

    import duckdb

    if warehouse.destination and warehouse.destination != "duckdb":
        raise ConfigError("--publish copies a DuckDB file; with another destination, point your tools at it directly")
    source = Path(warehouse.db).resolve()
    target = Path(target).expanduser().resolve()
    if target == source:
        raise ConfigError("--publish PATH must differ from --db: the snapshot is a separate file")
    with duckdb.connect(str(source)) as con:
        con.execute("CHECKPOINT")  # everything in the file itself, nothing left in the WAL
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(f"cannot publish the snapshot to {target}: {exc.strerror or exc}") from None
    return target
