"""The runsteps benchmark: `make bench`, i.e. `.venv/bin/python benchmarks/run_all.py`.

Runs the scenarios of issue 7 against the emulator (a separate process on 127.0.0.1), each contender
as a fresh child process, and prints a markdown comparison table; also writes it, with the machine it
was taken on, to benchmarks/results/latest.md (raw samples in latest.json). See docs/benchmarks.md.

    .venv/bin/python benchmarks/run_all.py --quick            # a small smoke run, a few minutes
    .venv/bin/python benchmarks/run_all.py                    # the full run, ~40 minutes
    .venv/bin/python benchmarks/run_all.py --scenarios S1,S3 --repeat 5
    .venv/bin/python benchmarks/run_all.py --s8-only                   # S8 alone (history at scale)
    .venv/bin/python benchmarks/run_all.py --responses-only            # R1-R4 alone (the Responses path)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import report  # noqa: E402
from benchmarks.scenarios import FULL, QUICK, Bench  # noqa: E402

ORDER = ("S3", "S1", "S2", "S4", "S5", "R3", "R1", "R2", "R4", "S8")
RESPONSES = ("R3", "R1", "R2", "R4")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run_all.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small worlds, one repeat: a smoke run of a few minutes")
    parser.add_argument("--scenarios", default=",".join(ORDER),
                        help="comma-separated subset of S1,S2,S3,S4,S5,S8 and R1-R4 (S1-S4 of the Responses path; "
                             "S5 includes the models build); default all")
    parser.add_argument("--s8-only", action="store_true", help="run S8 (history at scale) alone: --scenarios S8")
    parser.add_argument("--responses-only", action="store_true",
                        help="run the Responses path alone (runsteps load --api responses on a Foundry project): "
                             "--scenarios R1,R2,R3,R4")
    parser.add_argument("--postgres-dsn", default=os.environ.get("RUNSTEPS_BENCH_POSTGRES_DSN")
                        or os.environ.get("RUNSTEPS_TEST_POSTGRES_DSN"),
                        help="a PostgreSQL server for S8 (it creates and drops databases s8_*; needs CREATEDB); "
                             "default $RUNSTEPS_BENCH_POSTGRES_DSN, else $RUNSTEPS_TEST_POSTGRES_DSN; none: DuckDB only")
    parser.add_argument("--s8-sizes", help="S8 DuckDB warehouse sizes in steps, smallest first (default 100k,10M)")
    parser.add_argument("--s8-postgres-sizes", help="S8 PostgreSQL warehouse sizes (default 100k,10M; '' for none)")
    parser.add_argument("--s8-repeat", type=int, help="repeats of each S8 incremental load (default 3 full, 1 quick)")
    parser.add_argument("--s8-timeout", type=float, help="seconds before an S8 load is killed (default 1800)")
    parser.add_argument("--repeat", type=int, help="repeats of each runsteps measurement (default: 3 full, 1 quick)")
    parser.add_argument("--baseline-repeat", type=int,
                        help="repeats of each baseline measurement (default 1: the SDK loop alone takes minutes)")
    parser.add_argument("--concurrency", type=int, help="runsteps --concurrency (default: the loader's default, 32)")
    parser.add_argument("--no-models", action="store_true", help="skip the models build after S5")
    parser.add_argument("--no-s3-baselines", action="store_true",
                        help="do not run the baselines (on the S1 subset, no latency) in S3")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results",
                        help="where latest.md and latest.json go (latest-quick.* with --quick; default: benchmarks/results)")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs of every child)")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="only re-render the table from a saved latest.json (no measurement)")
    args = parser.parse_args(argv)
    if args.s8_only and args.responses_only:
        parser.error("--s8-only and --responses-only exclude each other")
    if args.s8_only:
        args.scenarios = "S8"
    if args.responses_only:
        args.scenarios = ",".join(RESPONSES)
    wanted = [s.strip().upper() for s in args.scenarios.split(",") if s.strip()]
    bad = [s for s in wanted if s not in ORDER]
    if bad:
        parser.error(f"unknown scenario(s) {', '.join(bad)}; choose from {', '.join(ORDER)}")
    args.wanted = [s for s in ORDER if s in wanted]  # S3 first: it measures the standard-world RSS S5 compares to
    return args


def render_saved(path: Path) -> int:
    """Print the report of a saved run again (e.g. after the report's layout changed)."""
    import json

    from benchmarks.scenarios import Sample

    raw = json.loads(path.read_text())
    fields = {f.name for f in dataclasses.fields(Sample)}
    samples = [Sample(**{k: v for k, v in s.items() if k in fields}) for s in raw["samples"]]
    mach = raw["machine"]
    print(report.render(samples, raw["facts"], mach, raw.get("elapsed_s", 0.0), loadavg_end=mach.get("loadavg_end")))
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.render:
        return render_saved(args.render)
    plan = QUICK if args.quick else FULL
    changes = {}
    if args.repeat:
        changes["repeat"] = args.repeat
    if args.baseline_repeat:
        changes["baseline_repeat"] = args.baseline_repeat
    if args.concurrency:
        changes["concurrency"] = args.concurrency
    if args.no_s3_baselines:
        changes["s3_baselines"] = False
    from benchmarks.history import parse_size

    if args.s8_sizes:
        changes["s8_sizes"] = tuple(parse_size(x) for x in args.s8_sizes.split(",") if x.strip())
    if args.s8_postgres_sizes is not None:
        changes["s8_pg_sizes"] = tuple(parse_size(x) for x in args.s8_postgres_sizes.split(",") if x.strip())
    if args.s8_repeat:
        changes["s8_repeat"] = args.s8_repeat
    if args.s8_timeout:
        changes["s8_timeout_s"] = args.s8_timeout
    changes["postgres_dsn"] = args.postgres_dsn or None
    plan = dataclasses.replace(plan, **changes)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="runsteps-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    mach = report.machine()
    print(f"runsteps benchmark ({plan.name}): {', '.join(args.wanted)}; scratch in {workdir}", flush=True)
    print(f"machine: {mach['nproc']} × {mach['cpu']}, Python {mach['python']}, dlt {mach['dlt']}, "
          f"duckdb {mach['duckdb']}; load average {mach['loadavg_start']}", flush=True)
    bench = Bench(plan, workdir, log=lambda line: print(line, flush=True))
    started = time.perf_counter()
    interrupted = False
    try:
        for scenario in args.wanted:
            t0 = time.perf_counter()
            if scenario == "S5":
                bench.s5(models=not args.no_models)
            else:
                getattr(bench, scenario.lower())()
            print(f"  ({scenario} took {time.perf_counter() - t0:.0f}s)", flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: reporting what was measured so far", flush=True)
    elapsed = time.perf_counter() - started
    # A smoke run never overwrites the full run's results, nor does S8 alone.
    only = "-s8" if args.wanted == ["S8"] else ("-responses" if set(args.wanted) <= set(RESPONSES) else "")
    stem = ("latest-quick" if args.quick else "latest") + only
    md = report.write(args.out, bench.samples, bench.facts, mach, elapsed, stem)
    print()
    print(md.read_text())
    print(f"written to {md} (raw samples in {md.with_suffix('.json')})")
    if args.keep:
        print(f"scratch kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    failed = [s for s in bench.samples if not s.ok]
    return 130 if interrupted else (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main())
