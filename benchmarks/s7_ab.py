"""S7 before and after: two builds of runsteps load the same archive, interleaved, on a shared machine.

Each round runs every build once (a fresh child process into a fresh DuckDB file, measured by
`measure.run_measured`), so a busy spell of the machine falls on both; prints a table of medians and
the ratio to the first build.

    .venv/bin/python benchmarks/s7_ab.py /tmp/s7/x8400 --build main=/work/wt/main/.venv/bin/runsteps \\
        --build branch=.venv/bin/runsteps --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.measure import Measured, run_measured  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive", type=Path)
    parser.add_argument("--build", action="append", required=True, help="NAME=path/to/runsteps (twice or more)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    builds = dict(b.split("=", 1) for b in args.build)
    runs: Dict[str, List[Measured]] = {name: [] for name in builds}
    for round_no in range(args.rounds):
        for name, exe in builds.items():
            with tempfile.TemporaryDirectory(prefix="s7ab-") as tmp:
                m = run_measured([exe, "load", "--from-export", str(args.archive), "--db", str(Path(tmp) / "w.duckdb"),
                                  "--progress", "none"])
            if not m.ok:
                raise SystemExit(f"{name} failed:\n{m.tail()}")
            runs[name].append(m)
            print(f"round {round_no + 1} {name}: {m.wall_s:.1f} s, {m.cpu_s:.1f} s CPU, {m.peak_rss_mb:.0f} MB "
                  f"(all processes {m.peak_tree_mb:.0f} MB PSS)", flush=True)
    first = statistics.median(m.wall_s for m in next(iter(runs.values())))
    print("\n| build | wall (median) | x first | CPU s (median) | peak RSS (max) |\n|---|---:|---:|---:|---:|")
    for name, ms in runs.items():
        wall = statistics.median(m.wall_s for m in ms)
        print(f"| {name} | {wall:.1f} s | {wall / first:.2f} | {statistics.median(m.cpu_s for m in ms):.1f} | "
              f"{max(m.peak_rss_mb for m in ms):.0f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
