"""S7: loading an archive of a million steps (issue 14), against DuckDB's own `read_json`.

Each measurement is a fresh child process (peak RSS from the kernel: `measure.run_measured`), into a
fresh DuckDB file. For the big and the small archive: `runsteps load --from-export` (median of
`--repeat`), then one reload of the unchanged archive into the same database; the baseline
(`s7_duckdb_baseline.py`) on the archives named by `--baseline`. Prints a markdown table of medians
and ratios; archives missing are exported first with `runsteps emulate --export` (timed).

    .venv/bin/python benchmarks/s7_archives.py --workdir /tmp/s7 --threads 8400 --small-threads 840
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.measure import Measured, run_measured  # noqa: E402

RUNSTEPS = str(Path(sys.executable).with_name("runsteps"))


def export(directory: Path, threads: int) -> float:
    """Export the emulator's world of `threads` threads, unless it is there; returns seconds (0 if kept)."""
    if directory.exists():
        return 0.0
    started = time.perf_counter()
    subprocess.run([RUNSTEPS, "emulate", "--export", str(directory), "--threads", str(threads)], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def steps_in(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM assistants.run_steps").fetchone()[0])


def runsteps_load(archive: Path, db: Path, log: Path) -> Measured:
    cmd = [RUNSTEPS, "load", "--from-export", str(archive), "--db", str(db), "--progress", "none"]
    m = run_measured(cmd, cwd=REPO, log_to=log, timeout=7200)
    if not m.ok:
        raise SystemExit(f"runsteps load failed:\n{m.tail()}")
    return m


def baseline(archive: Path, db: Path, log: Path) -> Measured:
    cmd = [sys.executable, str(REPO / "benchmarks" / "s7_duckdb_baseline.py"), str(archive), str(db)]
    m = run_measured(cmd, cwd=REPO, log_to=log, timeout=7200)
    if not m.ok:
        raise SystemExit(f"baseline failed:\n{m.tail()}")
    return m


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=8400, help="threads of the big archive (~120 steps each)")
    parser.add_argument("--small-threads", type=int, default=840)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", default="small,big", help="archives the DuckDB baseline runs on")
    args = parser.parse_args(argv)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    archives = {"big": (work / f"x{args.threads}", args.threads), "small": (work / f"x{args.small_threads}", args.small_threads)}
    facts: Dict[str, Dict] = {}
    for name, (directory, threads) in archives.items():
        seconds = export(directory, threads)
        size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
        files = sum(1 for p in directory.rglob("*") if p.is_file())
        facts[name] = {"dir": directory, "threads": threads, "export_s": seconds, "mb": size / 1e6, "files": files}
        print(f"{name}: {threads} threads, {files} files, {size / 1e6:.0f} MB"
              + (f", exported in {seconds:.0f}s" if seconds else " (kept from before)"), flush=True)
    rows: List[Dict] = []
    for name in ("small", "big"):
        directory = facts[name]["dir"]
        runs = []
        for i in range(args.repeat):
            db = work / f"{name}-{i}.duckdb"
            for p in (db, Path(f"{db}.wal")):
                p.unlink(missing_ok=True)
            shutil.rmtree(Path(f"{db}.dlt"), ignore_errors=True)
            m = runsteps_load(directory, db, work / f"{name}-{i}")
            steps = steps_in(db)
            runs.append((m.wall_s, m.peak_rss_mb, steps, m.cpu_s, os.getloadavg()[0]))
            print(f"  runsteps {name} #{i}: {m.wall_s:.1f}s ({m.cpu_s:.1f}s CPU), {m.peak_rss_mb:.0f} MB, {steps} steps, "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
        again = runsteps_load(directory, db, work / f"{name}-reload")
        print(f"  runsteps {name} reload (unchanged): {again.wall_s:.1f}s, {again.peak_rss_mb:.0f} MB", flush=True)
        rows.append({"contender": "runsteps", "archive": name, "wall": statistics.median(r[0] for r in runs),
                     "rss": statistics.median(r[1] for r in runs), "steps": runs[0][2], "n": len(runs),
                     "cpu": statistics.median(r[3] for r in runs), "load": statistics.median(r[4] for r in runs),
                     "reload": again.wall_s})
        for i in range(args.repeat):
            (work / f"{name}-{i}.duckdb").unlink(missing_ok=True)
            shutil.rmtree(work / f"{name}-{i}.duckdb.dlt", ignore_errors=True)
        if name in args.baseline.split(","):
            db = work / f"{name}-duckdb.duckdb"
            db.unlink(missing_ok=True)
            m = baseline(directory, db, work / f"{name}-duckdb")
            res = json.loads(m.stdout.strip().splitlines()[-1])
            print(f"  duckdb read_json {name}: {m.wall_s:.1f}s ({m.cpu_s:.1f}s CPU), {m.peak_rss_mb:.0f} MB, "
                  f"{res['steps']} steps", flush=True)
            rows.append({"contender": "duckdb read_json", "archive": name, "wall": m.wall_s, "rss": m.peak_rss_mb,
                         "steps": res["steps"], "n": 1, "cpu": m.cpu_s, "load": os.getloadavg()[0], "reload": None})
            db.unlink(missing_ok=True)
    print()
    print(render(rows, facts))
    return 0


def render(rows: List[Dict], facts: Dict[str, Dict]) -> str:
    lines = ["| contender | archive | steps | wall (median) | steps/s | CPU s (user+sys) | steps per CPU-s | peak RSS "
             "| reload unchanged | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        f = facts[r["archive"]]
        lines.append(f"| {r['contender']} | {r['archive']} ({f['files']} files, {f['mb']:.0f} MB) | {r['steps']:,} | "
                     f"{r['wall']:.1f} s (n={r['n']}) | {r['steps'] / r['wall']:,.0f} | {r['cpu']:.1f} | "
                     f"{r['steps'] / r['cpu']:,.0f} | {r['rss']:.0f} MB | "
                     + (f"{r['reload']:.1f} s" if r["reload"] is not None else "-") + f" | {r['load']:.1f} |")
    by = {(r["contender"], r["archive"]): r for r in rows}
    rs_big, rs_small = by.get(("runsteps", "big")), by.get(("runsteps", "small"))
    if rs_big and rs_small:
        lines.append("")
        lines.append(f"runsteps peak RSS big/small: {rs_big['rss'] / rs_small['rss']:.2f}x (target < 1.5x); "
                     f"big: {rs_big['rss']:.0f} MB (target <= 500 MB); {rs_big['steps'] / rs_big['wall']:,.0f} steps/s "
                     f"(target >= 30,000); {rs_big['steps'] / rs_big['cpu']:,.0f} steps per CPU-second")
    for name in ("small", "big"):
        a, b = by.get(("runsteps", name)), by.get(("duckdb read_json", name))
        if a and b:
            lines.append(f"{name}: runsteps time / duckdb read_json time = {a['wall'] / b['wall']:.2f}x; "
                         f"RSS {a['rss'] / b['rss']:.2f}x")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
