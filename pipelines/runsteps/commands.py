"""What each `runsteps` command does, given its parsed arguments."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import dlt

import openai_assistants
from openai_assistants import export_source, parse_shard
from openai_assistants.errors import RunstepsError

from .loading import build_pipeline, run_load
from .warehouse_hold import hold_warehouse
from .progress import Progress
from .thread_inputs import collect_thread_ids


class DataTestsFailed(RunstepsError):
    exit_code = 5


def pipeline_for(args: argparse.Namespace) -> dlt.Pipeline:
    """The pipeline the warehouse options name; a shard gets a pipeline (and state) of its own."""
    name = args.pipeline_name
    shard = parse_shard(getattr(args, "shard", None))
    suffix = f"shard_{shard[0]}_of_{shard[1]}" if shard else None
    return build_pipeline(args.db, args.destination, dataset_name=args.dataset,
                          pipeline_name=f"{name}_{suffix}" if suffix else name,
                          pipelines_dir=getattr(args, "pipelines_dir", None), staging_suffix=suffix)


def _where(args: argparse.Namespace) -> str:
    return f"{args.destination} dataset {args.dataset}" if args.destination else f"{args.db} (dataset {args.dataset})"


def make_source(args: argparse.Namespace, pipeline: dlt.Pipeline) -> Any:
    """The dlt source for `load`: an export folder, or the API with the threads given."""
    if args.from_export:
        return export_source(args.from_export)
    ids = collect_thread_ids(args.thread_id, args.threads_file, args.threads_sql, pipeline)
    # Only what was given on the command line is passed; the rest dlt resolves from its config.
    options = {
        "provider": args.provider,
        "base_url": args.base_url,
        "api_version": args.api_version,
        "include_file_search_content": args.include_file_search_content,
        "list_threads": args.list_threads,
        "concurrency": args.concurrency,
        "timeout": args.timeout,
        "max_retries": args.max_retries,
        "allow_insecure_http": args.allow_insecure_http,
        "shard": args.shard,
        "poll_known_threads": False if args.no_known_threads else None,
    }
    return openai_assistants.openai_assistants(thread_ids=ids, **{k: v for k, v in options.items() if v is not None})


def do_load(args: argparse.Namespace, pipeline: Optional[dlt.Pipeline] = None, out: Any = None) -> Dict[str, int]:
    """Run one load and print a short summary; returns the rows loaded per table."""
    out = out or sys.stdout
    pipeline = pipeline or pipeline_for(args)
    if args.threads_sql:  # reads the DuckDB file before the load holds it
        with hold_warehouse(pipeline, args.wait):
            source = make_source(args, pipeline)
    else:
        source = make_source(args, pipeline)
    progress = Progress(args.progress)
    last: Dict[str, Any] = {}

    def hook(counters: Dict[str, Any]) -> None:
        last.update(counters)
        progress(counters)

    openai_assistants.progress_hook = hook
    started = time.monotonic()
    try:
        run_load(pipeline, source, wait=args.wait)
    finally:
        openai_assistants.progress_hook = None
        progress.close()
    rows = _row_counts(pipeline)
    elapsed = time.monotonic() - started
    issues = rows.get("load_issues", 0)
    print(
        f"loaded into {_where(args)} in {elapsed:.1f}s: "
        f"{rows.get('runs', 0)} runs, {rows.get('run_steps', 0)} steps, "
        f"{rows.get('run_step_tool_calls', 0)} tool calls from {rows.get('threads', 0)} threads"
        + (f"; {last.get('requests', 0)} requests ({last.get('retries', 0)} retried)" if last else "")
        + (f"; {issues} problem(s) recorded in {args.dataset}.load_issues" if issues else ""),
        file=out,
    )
    return rows


def _row_counts(pipeline: dlt.Pipeline) -> Dict[str, int]:
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace else None
    return dict(info.row_counts) if info else {}


def cmd_load(args: argparse.Namespace) -> int:
    do_load(args)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from .models import run_data_tests

    pipeline = pipeline_for(args)
    with hold_warehouse(pipeline, args.wait):
        _build(args, pipeline)
        if args.test:
            results = run_data_tests(pipeline)
            failures = [t for t in results if t.failing_rows]
            if failures:
                for test in failures:
                    sample = f"; e.g. {test.sample[0]}" if test.sample else ""
                    print(f"FAIL {test.name}: {test.failing_rows} offending row(s){sample}", file=sys.stderr)
                raise DataTestsFailed(f"{len(failures)} of {len(results)} data tests failed (see above)")
            print(f"all {len(results)} data tests passed")
    return 0


def _build(args: argparse.Namespace, pipeline: dlt.Pipeline) -> None:
    from .models import build_models

    overrides = getattr(args, "price_overrides", None)
    if overrides and not Path(overrides).is_file():
        raise RunstepsError(f"--price-overrides {overrides!r} is not a file")
    result = build_models(pipeline, price_overrides=Path(overrides) if overrides else None)
    unpriced = sorted({m for m, _ in result.prices.unpriced}) if result.prices else []
    print(f"built {len(result.models)} models in schema analytics of {_where(args)} in {result.seconds:.2f}s"
          + (f"; no price for: {', '.join(map(str, unpriced))} (see analytics.unpriced_models)" if unpriced else ""))


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    pipeline = pipeline_for(args)
    with hold_warehouse(pipeline, args.wait):
        summary = write_report(pipeline, Path(args.out), days=args.days)
    print(summary)
    print(f"report written to {Path(args.out).resolve()}")
    return 0


def cmd_nightly(args: argparse.Namespace) -> int:
    pipeline = pipeline_for(args)
    do_load(args, pipeline)
    with hold_warehouse(pipeline, args.wait):  # models and report in one hold: no notebook in between
        _build(args, pipeline)
        return cmd_report(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(Path(args.dir), threads=args.threads, seed=args.seed)
