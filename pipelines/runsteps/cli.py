"""The `runsteps` command: load, models, report, nightly, notebook, demo, emulate.

Exit codes: 0 success; 1 an unexpected error (a bug: please report it); 2 a configuration or input
problem (bad key, id, flag, warehouse path or credentials, nothing to poll); 3 the provider failed
(quota, outage past the retry budget, a broken API, a listing that never ends); 4 busy: another load
holds the lock, or another process the DuckDB file; 5 data tests failed; 6 the warehouse failed
(server unreachable, disk full).

Each command builds its typed options once and calls the library (`runsteps.commands`); errors become
exit codes here only (`runsteps.exit_codes`). Heavy packages are imported when a command runs, so
that `--help` answers at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from sourcekit.config import PROVIDERS
from sourcekit.errors import RunstepsError
from sourcekit.shards import Shard

from . import exit_codes
from .dlt_logs import quiet_dlt_loader
from .errors import DataTestsFailed
from .options import (APIS, DEFAULT_DATASET, DEFAULT_DB, DEFAULT_PIPELINE, ApiSettings, LoadOptions, ModelsOptions,
                      ReportOptions, ResponseInputs, ThreadInputs, Warehouse)
from .warehouse_errors import classify_warehouse_error

FMT = argparse.RawDescriptionHelpFormatter


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


# --- options shared by several commands: each group defined once, read back into one options object


def _add_warehouse_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("warehouse")
    group.add_argument("--db", default=os.environ.get("RUNSTEPS_DB", str(DEFAULT_DB)), metavar="PATH",
                       help="DuckDB file to load into (default: ./runsteps.duckdb, or $RUNSTEPS_DB)")
    group.add_argument("--destination", metavar="NAME",
                       help="any dlt destination instead of DuckDB (postgres, motherduck, bigquery, snowflake...); "
                            "credentials are read the dlt way, e.g. DESTINATION__POSTGRES__CREDENTIALS")
    group.add_argument("--dataset", default=DEFAULT_DATASET, metavar="NAME",
                       help="dataset (schema) of the raw tables (default: assistants)")
    group.add_argument("--pipeline-name", default=DEFAULT_PIPELINE, metavar="NAME",
                       help="dlt pipeline name; each shard gets its own (default: runsteps)")
    group.add_argument("--pipelines-dir", metavar="DIR", default=os.environ.get("RUNSTEPS_PIPELINES_DIR"),
                       help="dlt's working folder (state, load packages); default: beside the DuckDB file "
                            "(PATH.dlt), or ~/.dlt/pipelines for other destinations")
    group.add_argument("--wait", type=float, default=0.0, metavar="S",
                       help="wait up to S seconds for a DuckDB file another process has open (a notebook, the "
                            "duckdb CLI) and, for load and nightly, for another load of the same pipeline "
                            "(default: exit at once, code 4)")


def _warehouse(args: argparse.Namespace) -> Warehouse:
    return Warehouse(
        db=Path(args.db), destination=args.destination, dataset=args.dataset, pipeline_name=args.pipeline_name,
        pipelines_dir=Path(args.pipelines_dir) if args.pipelines_dir else None,
        shard=Shard.parse(getattr(args, "shard", None)), wait=args.wait,
    )


def _add_load_args(parser: argparse.ArgumentParser) -> None:
    api = parser.add_argument_group("API (each also settable as sources.openai_assistants.<name>, or "
                                    "sources.openai_responses.<name>, the dlt way)")
    api.add_argument("--api", choices=list(APIS), default="assistants",
                     help="which API to load: assistants (threads, runs, steps) or responses (responses and "
                          "conversations); both go to the same dataset (default: assistants)")
    api.add_argument("--provider", choices=list(PROVIDERS),
                     help="provider profile: auth header, api-version and envelope quirks (default: openai)")
    api.add_argument("--base-url", metavar="URL", help="API root, e.g. https://my-res.openai.azure.com/openai")
    api.add_argument("--api-version", metavar="V", help="api-version query value (azure, foundry)")
    api.add_argument("--allow-insecure-http", action="store_true", default=None,
                     help="allow plain http:// to a host other than loopback (the key travels unencrypted)")
    api.add_argument("--concurrency", type=int, metavar="N", help="most requests in flight (default: 32; adapts to 429s and rate-limit headers)")
    api.add_argument("--timeout", type=float, metavar="S", help="seconds per request (default: 30)")
    api.add_argument("--max-retries", type=int, metavar="N", help="retries per request after transient faults (default: 8)")
    api.add_argument("--max-pages", type=int, metavar="N",
                     help="pages one listing may take before it counts as never-ending, exit 3 (default: 100000)")
    api.add_argument("--azure-credential", action="store_true", default=None,
                     help="sign in with azure-identity's DefaultAzureCredential (az login, managed identity, "
                          "AZURE_CLIENT_* ...) instead of a static token; tokens are refreshed during the load "
                          "(foundry, azure; pip install 'runsteps[azure]')")
    threads = parser.add_argument_group("threads (known threads from earlier loads are always polled again)")
    threads.add_argument("--thread-id", action="append", default=[], metavar="ID", help="a thread to poll (repeatable)")
    threads.add_argument("--threads-file", metavar="FILE", help="one thread id per line, or a CSV with a thread_id column")
    threads.add_argument("--threads-sql", metavar="QUERY", help="a query on the destination returning a thread_id column")
    threads.add_argument("--list-threads", action=argparse.BooleanOptionalAction, default=None,
                         help="also poll every thread GET /threads lists (Foundry only; on by default there)")
    threads.add_argument("--no-known-threads", action="store_true", help="poll only the threads given now")
    threads.add_argument("--shard", metavar="K/N", help="load only shard K of N (stable hash of the thread id)")
    responses = parser.add_argument_group("responses and conversations (--api responses; the responses loaded "
                                          "while still open are fetched again)")
    responses.add_argument("--response-id", action="append", default=[], metavar="ID",
                           help="a response to load (repeatable); its previous_response_id chain is walked back to "
                                "a response already loaded, so the last id of each conversation is enough")
    responses.add_argument("--response-ids-file", metavar="FILE", help="one response id per line, or a CSV with a response_id column")
    responses.add_argument("--response-ids-sql", metavar="QUERY", help="a query on the destination returning a response_id column")
    responses.add_argument("--conversation-id", action="append", default=[], metavar="ID",
                           help="a conversation to load with all its items (repeatable)")
    responses.add_argument("--agent-name", metavar="NAME", help="list only this agent's responses (Foundry)")
    responses.add_argument("--list-responses", action=argparse.BooleanOptionalAction, default=None,
                           help="also load every response GET /responses lists (Foundry only; on by default there)")
    what = parser.add_argument_group("what to load")
    what.add_argument("--include-file-search-content", action="store_true", default=None,
                      help="also load file-search result text (can be large)")
    what.add_argument("--from-export", metavar="DIR", help="read an archive of saved responses instead of the API: a folder "
                      "or .zip of *.json, *.jsonl, *.ndjson (optionally .gz); a reload reads only new or changed files. "
                      "With --api responses: responses, conversations and their items (item pages under a path "
                      "naming their conv_ id); every load reads every file")
    what.add_argument("--archive", metavar="DIR", help="also write every page fetched from the API, as received, to a "
                      "gzipped JSONL file in DIR (one per load), which --from-export DIR reads back")
    run = parser.add_argument_group("run")
    run.add_argument("--progress", choices=["auto", "bar", "log", "none"], default="auto",
                     help="progress display on stderr (default: bar on a terminal, log lines otherwise)")


def _load_options(args: argparse.Namespace) -> LoadOptions:
    return LoadOptions(
        warehouse=_warehouse(args),
        api=ApiSettings(
            provider=args.provider, base_url=args.base_url, api_version=args.api_version,
            allow_insecure_http=args.allow_insecure_http, concurrency=args.concurrency, timeout=args.timeout,
            max_retries=args.max_retries, max_pages=args.max_pages,
            include_file_search_content=args.include_file_search_content, list_threads=args.list_threads,
            azure_credential=args.azure_credential,
        ),
        threads=ThreadInputs(thread_ids=tuple(args.thread_id), threads_sql=args.threads_sql,
                             threads_file=Path(args.threads_file) if args.threads_file else None,
                             poll_known_threads=not args.no_known_threads),
        from_export=Path(args.from_export) if args.from_export else None,
        archive=Path(args.archive) if getattr(args, "archive", None) else None,
        source_api=args.api,
        responses=ResponseInputs(
            response_ids=tuple(args.response_id), response_ids_sql=args.response_ids_sql,
            response_ids_file=Path(args.response_ids_file) if args.response_ids_file else None,
            conversation_ids=tuple(args.conversation_id), agent_name=args.agent_name,
            list_responses=args.list_responses,
        ),
    )


def _add_models_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--price-overrides", metavar="CSV", help="negotiated/Azure prices that win over genai-prices "
                        "(default: sql/seeds/price_overrides.csv; format in the README)")
    parser.add_argument("--deployments", metavar="CSV", help="deployment,model rows: Foundry/Azure deployment names "
                        "priced as their model (default: sql/seeds/deployments.csv)")


def _add_report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runsteps-report.html", metavar="FILE", help="HTML file to write")
    parser.add_argument("--days", type=int, default=30, metavar="N", help="days of history to chart (default: 30)")


# --- the commands: a few lines of orchestration each


def cmd_load(args: argparse.Namespace) -> int:
    from .commands import load
    from .progress import Progress

    with Progress(args.progress) as progress:
        summary = load(_load_options(args), on_progress=progress)
    print(summary.describe())
    _warn_about_issues(args, summary.issues)
    return exit_codes.EXIT_OK


def _warn_about_issues(args: argparse.Namespace, issues: int) -> None:
    if issues:
        print(f"runsteps {args.command}: warning: {issues} object(s) could not be used as they are; "
              f"see {args.dataset}.load_issues (the rest loaded)", file=sys.stderr)


def cmd_models(args: argparse.Namespace) -> int:
    from .commands import build

    summary = build(_warehouse(args), ModelsOptions(
        price_overrides=Path(args.price_overrides) if args.price_overrides else None, test=args.test,
        deployments=Path(args.deployments) if args.deployments else None))
    print(summary.describe())
    if args.test:
        for test in summary.failures:
            sample = f"; e.g. {test.sample[0]}" if test.sample else ""
            print(f"FAIL {test.name}: {test.failing_rows} offending row(s){sample}", file=sys.stderr)
        if summary.failures:
            raise DataTestsFailed(f"{len(summary.failures)} of {len(summary.tests)} data tests failed (see above)")
        print(f"all {len(summary.tests)} data tests passed")
    return exit_codes.EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .commands import report

    print(report(_warehouse(args), ReportOptions(out=Path(args.out), days=args.days)))
    print(f"report written to {Path(args.out).resolve()}")
    return exit_codes.EXIT_OK


def cmd_nightly(args: argparse.Namespace) -> int:
    from .commands import build, load, pipeline_for, report
    from .progress import Progress

    from .warehouse_hold import hold_warehouse

    options = _load_options(args)
    pipeline = pipeline_for(options.warehouse)
    with Progress(args.progress) as progress:
        summary = load(options, on_progress=progress, pipeline=pipeline)
    print(summary.describe())
    _warn_about_issues(args, summary.issues)
    overrides = Path(args.price_overrides) if args.price_overrides else None
    with hold_warehouse(pipeline, options.warehouse.wait):  # models and report in one hold: no reader in between
        deployments = Path(args.deployments) if args.deployments else None
        print(build(options.warehouse, ModelsOptions(price_overrides=overrides, deployments=deployments),
                    pipeline=pipeline).describe())
        print(report(options.warehouse, ReportOptions(out=Path(args.out), days=args.days), pipeline=pipeline))
    print(f"report written to {Path(args.out).resolve()}")
    if args.publish:
        from .commands import publish_snapshot

        print(f"snapshot published to {publish_snapshot(options.warehouse, Path(args.publish))}")
    return exit_codes.EXIT_OK


def cmd_notebook(args: argparse.Namespace) -> int:
    from .report.notebook import open_notebook

    return open_notebook(Path(args.db), args.mode, args.marimo_args)


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(Path(args.dir), threads=args.threads, seed=args.seed)


def cmd_emulate(args: argparse.Namespace) -> int:
    from .emulator import cli as emulator_cli

    parser = argparse.ArgumentParser(prog="runsteps emulate", formatter_class=FMT, description=EMULATE_DESCRIPTION)
    emulator_cli.add_arguments(parser)
    flags = args.emulator_args[1:] if args.emulator_args[:1] == ["--"] else args.emulator_args
    return emulator_cli.run(parser.parse_args(flags))


EMULATE_DESCRIPTION = "Serve the Assistants API emulator on a local port (or export its world as JSON and exit)."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runsteps",
        description="Load Assistants API v2 runs and run steps into DuckDB (or any dlt destination), "
                    "build SQL models of tokens, cost and failures, and report on them.",
        formatter_class=FMT,
        epilog=_examples("runsteps demo", "runsteps load --thread-id thread_abc123", "runsteps nightly",
                         "runsteps <command> --help") + "\n\n" + textwrap.dedent(__doc__.split("\n\n", 1)[1].split("\n\n")[0]),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str, examples: List[str],
                description: Optional[str] = None) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=description or help, formatter_class=FMT,
                           epilog=_examples(*examples))
        p.set_defaults(func=func)
        return p

    p = command("load", cmd_load, "extract and load, incrementally", [
        "OPENAI_API_KEY=sk-... runsteps load --thread-id thread_abc --thread-id thread_def",
        "runsteps load --threads-file threads.csv --db warehouse.duckdb",
        "runsteps load --provider foundry --base-url https://acct.services.ai.azure.com/api/projects/p",
        "runsteps load --from-export ./archive",
        "runsteps load --api responses --response-id resp_abc --conversation-id conv_def",
        "runsteps load --api responses --response-id resp_abc --archive ./raw   # and keep a raw copy",
        "runsteps load --api responses --from-export ./raw   # saved responses and conversations",
        "runsteps load --api responses --provider foundry --azure-credential --base-url https://acct.services.ai.azure.com/api/projects/p",
        "runsteps load --destination postgres --shard 1/3"],
        "Poll threads → runs → steps and load them; only new runs and runs that were open last time get "
        "their steps fetched.")
    _add_warehouse_args(p)
    _add_load_args(p)

    p = command("models", cmd_models, "build the SQL models (and run the data tests)",
                ["runsteps models", "runsteps models --test --db warehouse.duckdb"],
                "Build the views of sql/ in the `analytics` schema, in dependency order, and snapshot model prices.")
    _add_warehouse_args(p)
    p.add_argument("--test", action="store_true", help="also run the data tests of sql/tests (exit 5 if any fails)")
    _add_models_args(p)

    p = command("report", cmd_report, "write the HTML report and print a text summary",
                ["runsteps report", "runsteps report --out /var/www/costs.html --days 60"])
    _add_warehouse_args(p)
    _add_report_args(p)

    p = command("nightly", cmd_nightly, "load + models + report, for cron",
                ["15 3 * * * cd /srv/runsteps && runsteps nightly --progress none >> nightly.log 2>&1",
                 "runsteps nightly --publish /srv/bi/runsteps.duckdb   # a read-only copy for BI tools"])
    _add_warehouse_args(p)
    _add_load_args(p)
    _add_report_args(p)
    _add_models_args(p)
    p.add_argument("--publish", metavar="PATH", help="after a successful run, write a snapshot of the DuckDB file "
                   "to PATH (atomically), for tools that keep a file open")

    p = command("notebook", cmd_notebook, "open the exploration notebook (marimo) on the database", [
        "runsteps notebook --db runsteps.duckdb", "runsteps notebook --mode run   # as a read-only app",
        "runsteps notebook --marimo-arg=--headless --marimo-arg=--port=2719"],
        "Open the marimo notebook that ships with runsteps on a database. It opens the file read-only for "
        "each query, so it can stay open while the nightly load writes. Needs the extra: "
        "pip install 'runsteps[notebook]'.")
    p.add_argument("--db", default=os.environ.get("RUNSTEPS_DB", str(DEFAULT_DB)), metavar="PATH",
                   help="DuckDB file to explore (default: ./runsteps.duckdb, or $RUNSTEPS_DB)")
    p.add_argument("--mode", choices=["edit", "run"], default="edit",
                   help="edit: explore and change cells in the browser (default); run: serve as a read-only app")
    p.add_argument("--marimo-arg", dest="marimo_args", action="append", default=[], metavar="ARG",
                   help="an option for marimo itself (repeatable), e.g. --marimo-arg=--headless")

    p = command("demo", cmd_demo, "run everything against a built-in emulator, offline",
                ["runsteps demo", "runsteps demo --dir /tmp/runsteps-demo --threads 100"])
    p.add_argument("--dir", default="runsteps-demo", metavar="DIR", help="where the demo database and report go")
    p.add_argument("--threads", type=int, default=40, metavar="N", help="threads in the sample org (default: 40)")
    p.add_argument("--seed", type=int, default=7, help="seed of the sample org (default: 7)")

    # The emulator's own parser reads its flags (`runsteps emulate --help` shows them), so that the
    # server's packages are imported only when it runs.
    p = command("emulate", cmd_emulate, "serve the Assistants API emulator on a local port", [
        "runsteps emulate --port 8765 --threads 100 --flavour openai", "runsteps emulate --export ./archive --threads 50",
        "runsteps emulate --api responses --export ./responses-archive",
        "runsteps emulate --help   # every flag of the emulator"], EMULATE_DESCRIPTION)
    p.add_argument("emulator_args", nargs=argparse.REMAINDER, metavar="...", help="the emulator's flags")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulate"]:  # every flag after it, --help included, is the emulator's
        argv = ["emulate", "--", *argv[1:]] if len(argv) > 1 else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        quiet_dlt_loader()  # a failed load is told in one line below, not in dlt's job tracebacks
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"runsteps {args.command}: interrupted; nothing half-done was committed, rerun to continue",
              file=sys.stderr)
        return exit_codes.EXIT_INTERRUPTED
    except Exception as exc:
        # Ours, or a warehouse fault dlt wrapped: one line. Anything else is a bug: its traceback.
        error = exc if isinstance(exc, RunstepsError) else classify_warehouse_error(exc)
        if error is None:
            raise
        print(f"runsteps {args.command}: error: {error}", file=sys.stderr)
        return exit_codes.exit_code_for(error)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
