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
from sourcekit.errors import ConfigError

from .loading import build_pipeline, run_load
from .options import LoadOptions, ModelsOptions, ReportOptions, Warehouse
from .thread_inputs import collect_thread_ids


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
    """The dlt source of a load: an archive, or the API with the threads given."""
    if options.from_export:
        if options.archive:
            raise ConfigError("--archive keeps a copy of the pages fetched from the API; a load --from-export fetches none")
        return export_source(str(options.from_export))
    inputs = options.threads
    return openai_assistants(
        thread_ids=collect_thread_ids(inputs, pipeline),
        poll_known_threads=inputs.poll_known_threads,
        shard=options.warehouse.shard,
        on_progress=on_progress,
        archive_dir=str(options.archive) if options.archive else None,
        **options.api.given(),
    )


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
        return (
            f"loaded into {self.where} in {self.seconds:.1f}s: "
            f"{rows.get('runs', 0)} runs, {rows.get('run_steps', 0)} steps, "
            f"{rows.get('run_step_tool_calls', 0)} tool calls from {rows.get('threads', 0)} threads"
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
                + (f"; no price for: {', '.join(unpriced)} (see analytics.unpriced_models)" if unpriced else ""))


def build(warehouse: Warehouse, options: ModelsOptions = ModelsOptions(),
          pipeline: Optional[dlt.Pipeline] = None) -> ModelsSummary:
    """Build the SQL models (and run the data tests when asked: see `ModelsSummary.failures`)."""
    from .models import build_models, run_data_tests

    overrides = options.price_overrides
    if overrides and not Path(overrides).is_file():
        raise ConfigError(f"--price-overrides {str(overrides)!r} is not a file")
    pipeline = pipeline or pipeline_for(warehouse)
    summary = ModelsSummary(warehouse.describe(), build_models(pipeline, price_overrides=overrides))
    if options.test:
        summary.tests = run_data_tests(pipeline)
    return summary


def report(warehouse: Warehouse, options: ReportOptions = ReportOptions(),
           pipeline: Optional[dlt.Pipeline] = None) -> str:
    """Write the HTML report; returns the text summary."""
    from .report import write_report

    return write_report(pipeline or pipeline_for(warehouse), Path(options.out), days=options.days)
