"""The `runsteps` command: load, models, report, nightly, demo, emulate.

Exit codes: 0 success; 1 an unexpected error (a bug: please report it); 2 a configuration or input
problem (bad key, bad id, bad flag, bad warehouse path or credentials); 3 the provider failed (quota,
outage past the retry budget, a broken API); 4 busy: another load holds the lock, or another process
the DuckDB file; 5 data tests failed; 6 the warehouse failed (server unreachable, disk full).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from typing import Any, Callable, Dict, List, Optional, Sequence

from openai_assistants.errors import RunstepsError

from . import commands
from .dlt_logs import quiet_dlt_loader
from .exit_codes import EXIT_BUG, EXIT_INTERRUPTED, exit_code_for
from .warehouse_errors import classify_warehouse_error


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _add_warehouse_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("warehouse")
    group.add_argument("--db", default=os.environ.get("RUNSTEPS_DB", "runsteps.duckdb"), metavar="PATH",
                       help="DuckDB file to load into (default: ./runsteps.duckdb, or $RUNSTEPS_DB)")
    group.add_argument("--destination", metavar="NAME",
                       help="any dlt destination instead of DuckDB (postgres, motherduck, bigquery, snowflake...); "
                            "credentials are read the dlt way, e.g. DESTINATION__POSTGRES__CREDENTIALS")
    group.add_argument("--dataset", default="assistants", metavar="NAME",
                       help="dataset (schema) of the raw tables (default: assistants)")
    group.add_argument("--pipeline-name", default="runsteps", metavar="NAME",
                       help="dlt pipeline name; each shard gets its own (default: runsteps)")
    group.add_argument("--pipelines-dir", metavar="DIR", default=os.environ.get("RUNSTEPS_PIPELINES_DIR"),
                       help="dlt's working folder (state, load packages); default: beside the DuckDB file "
                            "(PATH.dlt), or ~/.dlt/pipelines for other destinations")
    group.add_argument("--wait", type=float, default=0.0, metavar="S",
                       help="wait up to S seconds for a DuckDB file another process has open (a notebook, the "
                            "duckdb CLI) and, for load and nightly, for another load of the same pipeline "
                            "(default: exit at once, code 4)")


def _add_load_args(parser: argparse.ArgumentParser) -> None:
    api = parser.add_argument_group("API (each also settable as sources.openai_assistants.<name> the dlt way)")
    api.add_argument("--provider", choices=["openai", "azure", "foundry"],
                     help="provider profile: auth header, api-version and envelope quirks (default: openai)")
    api.add_argument("--base-url", metavar="URL", help="API root, e.g. https://my-res.openai.azure.com/openai")
    api.add_argument("--api-version", metavar="V", help="api-version query value (azure, foundry)")
    api.add_argument("--allow-insecure-http", action="store_true", default=None,
                     help="allow plain http:// to a host other than loopback (the key travels unencrypted)")
    api.add_argument("--concurrency", type=int, metavar="N", help="most requests in flight (default: 32; adapts to 429s and rate-limit headers)")
    api.add_argument("--timeout", type=float, metavar="S", help="seconds per request (default: 30)")
    api.add_argument("--max-retries", type=int, metavar="N", help="retries per request after transient faults (default: 8)")
    threads = parser.add_argument_group("threads (known threads from earlier loads are always polled again)")
    threads.add_argument("--thread-id", action="append", default=[], metavar="ID", help="a thread to poll (repeatable)")
    threads.add_argument("--threads-file", metavar="FILE", help="one thread id per line, or a CSV with a thread_id column")
    threads.add_argument("--threads-sql", metavar="QUERY", help="a query on the destination returning a thread_id column")
    threads.add_argument("--list-threads", action=argparse.BooleanOptionalAction, default=None,
                         help="also poll every thread GET /threads lists (Foundry only; on by default there)")
    threads.add_argument("--no-known-threads", action="store_true", help="poll only the threads given now")
    threads.add_argument("--shard", metavar="K/N", help="load only shard K of N (stable hash of the thread id)")
    what = parser.add_argument_group("what to load")
    what.add_argument("--include-file-search-content", action="store_true", default=None,
                      help="also load file-search result text (can be large)")
    what.add_argument("--from-export", metavar="DIR", help="read a folder of saved JSON responses instead of the API")
    run = parser.add_argument_group("run")
    run.add_argument("--progress", choices=["auto", "bar", "log", "none"], default="auto",
                     help="progress display on stderr (default: bar on a terminal, log lines otherwise)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runsteps",
        description="Load Assistants API v2 runs and run steps into DuckDB (or any dlt destination), "
                    "build SQL models of tokens, cost and failures, and report on them.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples("runsteps demo", "runsteps load --thread-id thread_abc123", "runsteps nightly",
                         "runsteps <command> --help") + "\n\n" + textwrap.dedent(__doc__.split("\n\n", 1)[1]),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    fmt = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser("load", help="extract and load, incrementally", formatter_class=fmt,
                       description="Poll threads → runs → steps and load them; only new runs and runs that "
                                   "were open last time get their steps fetched.",
                       epilog=_examples(
                           "OPENAI_API_KEY=sk-... runsteps load --thread-id thread_abc --thread-id thread_def",
                           "runsteps load --threads-file threads.csv --db warehouse.duckdb",
                           "runsteps load --provider foundry --base-url https://acct.services.ai.azure.com/api/projects/p",
                           "runsteps load --from-export ./archive",
                           "runsteps load --destination postgres --shard 1/3"))
    _add_warehouse_args(p)
    _add_load_args(p)
    p.set_defaults(func=commands.cmd_load)

    p = sub.add_parser("models", help="build the SQL models (and run the data tests)", formatter_class=fmt,
                       description="Build the views of sql/ in the `analytics` schema, in dependency order, "
                                   "and snapshot model prices.",
                       epilog=_examples("runsteps models", "runsteps models --test --db warehouse.duckdb"))
    _add_warehouse_args(p)
    p.add_argument("--test", action="store_true", help="also run the data tests of sql/tests (exit 5 if any fails)")
    p.add_argument("--price-overrides", metavar="CSV", help="negotiated/Azure prices that win over genai-prices "
                   "(default: sql/seeds/price_overrides.csv; format in the README)")
    p.set_defaults(func=commands.cmd_models)

    p = sub.add_parser("report", help="write the HTML report and print a text summary", formatter_class=fmt,
                       epilog=_examples("runsteps report", "runsteps report --out /var/www/costs.html --days 60"))
    _add_warehouse_args(p)
    p.add_argument("--out", default="runsteps-report.html", metavar="FILE", help="HTML file to write")
    p.add_argument("--days", type=int, default=30, metavar="N", help="days of history to chart (default: 30)")
    p.set_defaults(func=commands.cmd_report)

    p = sub.add_parser("nightly", help="load + models + report, for cron", formatter_class=fmt,
                       epilog=_examples("15 3 * * * cd /srv/runsteps && runsteps nightly --progress none >> nightly.log 2>&1"))
    _add_warehouse_args(p)
    _add_load_args(p)
    p.add_argument("--out", default="runsteps-report.html", metavar="FILE", help="HTML report to write")
    p.add_argument("--days", type=int, default=30, metavar="N", help="days of history to chart (default: 30)")
    p.add_argument("--price-overrides", metavar="CSV", help="negotiated/Azure prices that win over genai-prices")
    p.set_defaults(func=commands.cmd_nightly)

    p = sub.add_parser("demo", help="run everything against a built-in emulator, offline", formatter_class=fmt,
                       epilog=_examples("runsteps demo", "runsteps demo --dir /tmp/runsteps-demo --threads 100"))
    p.add_argument("--dir", default="runsteps-demo", metavar="DIR", help="where the demo database and report go")
    p.add_argument("--threads", type=int, default=40, metavar="N", help="threads in the sample org (default: 40)")
    p.add_argument("--seed", type=int, default=7, help="seed of the sample org (default: 7)")
    p.set_defaults(func=commands.cmd_demo)

    p = sub.add_parser("emulate", help="serve the Assistants API emulator on a local port", formatter_class=fmt)
    try:
        from .emulator import cli as emulator_cli

        emulator_cli.add_arguments(p)
        p.epilog = p.epilog or _examples("runsteps emulate --port 8765 --threads 100 --flavour openai")
        p.set_defaults(func=lambda args: emulator_cli.run(args))
    except ImportError:  # pragma: no cover - the emulator ships with the package
        p.set_defaults(func=lambda args: EXIT_BUG)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
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
        return EXIT_INTERRUPTED
    except Exception as exc:
        # Ours, or a warehouse fault dlt wrapped: one line. Anything else is a bug: its traceback.
        error = exc if isinstance(exc, RunstepsError) else classify_warehouse_error(exc)
        if error is None:
            raise
        print(f"runsteps {args.command}: error: {error}", file=sys.stderr)
        return exit_code_for(error)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
