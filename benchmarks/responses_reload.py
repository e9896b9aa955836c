"""Reloading a Responses archive (issue 14's incremental archive loads), this checkout against named git refs.

The archive is the emulator's Responses world as `runsteps emulate --api responses --export` writes it,
less the files of one response in twenty, held back. For each contender, in fresh child processes
(`measure.run_measured`) into a fresh DuckDB file: the first load, the reload of the unchanged archive
(median of `--repeat`), then the held-back files are added and the archive loaded again. The rows of
every Responses table must be the same for every contender after each step (else it stops). A ref is
run from `git archive REF` unpacked under the workdir, with this checkout's virtualenv.

    .venv/bin/python benchmarks/responses_reload.py --workdir /tmp/rr --baseline main --conversations 800
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.measure import Measured, run_measured  # noqa: E402

TABLES = ("responses", "response_items", "response_file_search_results", "response_code_interpreter_outputs",
          "conversations", "conversation_items")


def checkout(ref: str, work: Path) -> Path:
    """The tree of `ref`, unpacked once under `work`; its `pipelines/` goes first on PYTHONPATH."""
    sha = subprocess.run(["git", "rev-parse", "--short", ref], cwd=REPO, check=True, capture_output=True,
                         text=True).stdout.strip()
    tree = work / f"tree-{sha}"
    if not tree.exists():
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", sha], cwd=REPO, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def runsteps(tree: Path, *args: str, log: Path) -> Measured:
    env = {**os.environ, "PYTHONPATH": str(tree / "pipelines")}
    cmd = [sys.executable, "-c", "import sys; from runsteps.cli import main; sys.exit(main())", *args]
    m = run_measured(cmd, env=env, cwd=tree, log_to=log, timeout=3600)
    if not m.ok:
        raise SystemExit(f"{' '.join(args)} failed:\n{m.tail()}")
    return m


def counts(db: Path) -> Dict[str, int]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return {t: int(con.execute(f"SELECT count(*) FROM assistants.{t}").fetchall()[0][0]) for t in TABLES}


def digest(db: Path) -> str:
    """A hash of every Responses table's rows (without dlt's ids and the load's times)."""
    import hashlib

    from tests.helpers import snapshot
    from tests.responses_truth import TABLE_KEYS

    return hashlib.sha256(repr(snapshot(db, table_keys=TABLE_KEYS)).encode()).hexdigest()[:12]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--baseline", action="append", default=[], help="a git ref to compare with (repeatable)")
    parser.add_argument("--conversations", type=int, default=800, help="sessions of the emulator's world")
    parser.add_argument("--repeat", type=int, default=3, help="reloads of the unchanged archive per contender")
    args = parser.parse_args(argv)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    full = work / f"export-{args.conversations}"
    if not full.exists():
        runsteps(REPO, "emulate", "--api", "responses", "--export", str(full), "--conversations",
                 str(args.conversations), log=work / "export")
    responses = sorted(p.stem for p in (full / "responses").glob("*.json"))
    held = set(responses[::20])
    held_files = [p for r in sorted(held) for p in (full / "responses" / f"{r}.json",
                                                    full / "responses" / r / "input_items.json") if p.exists()]
    skip = {full / "responses" / f"{r}.json" for r in held} | {full / "responses" / r for r in held}
    files = sum(1 for p in full.rglob("*") if p.is_file())
    print(f"archive: {len(responses)} responses, {files} files, {len(held_files)} held back until the last load",
          flush=True)
    contenders = {ref: checkout(ref, work) for ref in args.baseline}
    contenders["this checkout"] = REPO
    rows = []
    want: Dict[str, str] = {}
    for name, tree in contenders.items():
        archive = work / "archive"
        shutil.rmtree(archive, ignore_errors=True)
        shutil.copytree(full, archive, ignore=lambda d, names: [n for n in names if Path(d, n) in skip])
        db = work / "reload.duckdb"
        for p in (db, Path(f"{db}.wal")):
            p.unlink(missing_ok=True)
        shutil.rmtree(Path(f"{db}.dlt"), ignore_errors=True)
        load = ("load", "--api", "responses", "--from-export", str(archive), "--db", str(db), "--progress", "none")
        first = runsteps(tree, *load, log=work / f"{name}-first")
        results = {"first": first.wall_s}
        check = {"first": digest(db)}
        again = [runsteps(tree, *load, log=work / f"{name}-again-{i}").wall_s for i in range(args.repeat)]
        check["unchanged"] = digest(db)
        for p in held_files:
            target = archive / p.relative_to(full)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, target)
        grown = runsteps(tree, *load, log=work / f"{name}-grown")
        check["grown"] = digest(db)
        for step, value in check.items():
            if want.setdefault(step, value) != value:
                raise SystemExit(f"{name}: the tables after the {step} load differ from the first contender's")
        rows.append({"name": name, "first": first.wall_s, "again": statistics.median(again), "n": len(again),
                     "grown": grown.wall_s, "rss": max(first.peak_rss_mb, grown.peak_rss_mb), "load": os.getloadavg()[0]})
        print(f"  {name}: first {first.wall_s:.2f}s, unchanged {', '.join(f'{s:.2f}' for s in again)}s, "
              f"grown {grown.wall_s:.2f}s; {counts(db)}", flush=True)
    print()
    print("| contender | first load | reload unchanged (median) | reload after adding 5% | peak RSS | load avg |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['first']:.2f} s | {r['again']:.2f} s (n={r['n']}) | {r['grown']:.2f} s | "
              f"{r['rss']:.0f} MB | {r['load']:.1f} |")
    mine = rows[-1]
    for r in rows[:-1]:
        print(f"\nthis checkout / {r['name']}: unchanged reload {mine['again'] / r['again']:.2f}x "
              f"({r['again'] / mine['again']:.1f}x faster), grown reload {mine['grown'] / r['grown']:.2f}x, "
              f"first load {mine['first'] / r['first']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
