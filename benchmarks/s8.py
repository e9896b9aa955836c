"""S8, history at scale (issue 13): does the nightly load's cost follow the new rows, or the history?

For each destination (DuckDB; PostgreSQL when a server is given):

1. a real first load of the S8 world (2,000 threads with a short past) by `runsteps load`, which
   gives the tables, dlt's schema and the pipeline state;
2. per warehouse size, a copy of that warehouse grown to N steps with SQL copies of its rows
   (`history.py`: a 10M-step DuckDB warehouse takes about a minute);
3. the emulator's clock moves 22 hours: ~10,000 runs are new or finished since;
4. per size and repeat, the incremental `runsteps load` on a fresh copy of the grown warehouse, as a
   child process: its wall time, dlt's own timing of the load step (from the pipeline's trace), the
   size of the row it wrote to `_dlt_pipeline_state`, and the join the child tables' DELETE uses.

Sizes alternate within a repeat, so a busy minute on the shared machine hits both alike.

Then the re-merge of an unchanged archive (issue 13's report): `runsteps emulate --export` of a
~100k-step world and `runsteps load --from-export` twice into one DuckDB file.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from .contenders import REPO, child_env, command_for, runsteps_seconds
from .emulator_proc import API_KEY, EmulatorProcess, WorldSpec, api_requests
from .history import Grown, sizes_label
from .measure import run_measured

if TYPE_CHECKING:
    from .scenarios import Bench, Sample

PIPELINE = "runsteps"
DATASET = "assistants"
CHILD = "run_step_tool_calls"  # the table whose DELETE plan is recorded (the example)
PAIRWISE = {"NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "PIECEWISE_MERGE_JOIN", "CROSS_PRODUCT", "Nested Loop"}


@dataclass(frozen=True)
class S8Plan:
    world: WorldSpec
    advance_s: int
    sizes: Tuple[int, ...]  # DuckDB warehouse sizes in steps, the smallest is the reference
    pg_sizes: Tuple[int, ...]
    repeat: int
    timeout_s: float
    remerge_threads: int  # `runsteps emulate --export --threads N` (defaults otherwise): ~92 steps per thread
    postgres_dsn: Optional[str] = None


@dataclass
class Warehouse:
    """A warehouse the loader writes to: a DuckDB file, or a PostgreSQL database (dataset `assistants`)."""

    dest: str
    name: str
    root: Path  # DuckDB file's folder, and dlt's working folder
    dsn: Optional[str] = None
    steps: Optional[int] = None
    grow_s: Optional[float] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        return self.root / f"{self.name}.duckdb"

    @property
    def pipelines_dir(self) -> Path:
        return self.root / f"{self.name}.dlt"

    @property
    def target(self) -> Any:
        return self.db if self.dest == "duckdb" else self.dsn

    def load_args(self) -> List[str]:
        if self.dest == "duckdb":
            return ["--pipelines-dir", str(self.pipelines_dir)]
        return ["--destination", "postgres", "--dataset", DATASET, "--pipelines-dir", str(self.pipelines_dir)]

    def env(self) -> Dict[str, str]:
        env = child_env(API_KEY)
        if self.dest == "postgres":
            env["DESTINATION__POSTGRES__CREDENTIALS"] = self.dsn or ""
        return env


# --- PostgreSQL databases ------------------------------------------------------------------------


def _dsn_for(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def _pg_admin(dsn: str, *statements: str) -> None:
    import psycopg2

    con = psycopg2.connect(_dsn_for(dsn, "postgres"))
    con.autocommit = True
    try:
        with con.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
    finally:
        con.close()


def _pg_drop(dsn: str, database: str) -> None:
    # FORCE ends the sessions on this database only: a load killed at its timeout leaves its DELETE
    # running on the server, which would otherwise go on for hours.
    _pg_admin(dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


# --- copies --------------------------------------------------------------------------------------


def copy_warehouse(src: Warehouse, name: str) -> Warehouse:
    """A copy of `src` under `name`: the data and dlt's working folder (state, schema, packages)."""
    dst = Warehouse(src.dest, name, src.root, steps=src.steps)
    remove_warehouse(dst, src.dsn)
    if src.dest == "duckdb":
        shutil.copy2(src.db, dst.db)
        wal = src.db.with_name(src.db.name + ".wal")
        if wal.exists():
            shutil.copy2(wal, dst.db.with_name(dst.db.name + ".wal"))
    else:
        assert src.dsn
        source_db = urlsplit(src.dsn).path.lstrip("/")
        # FILE_COPY: a file-level copy, without writing the whole database to the WAL
        _pg_admin(src.dsn, f'CREATE DATABASE "{name}" TEMPLATE "{source_db}" STRATEGY FILE_COPY')
        dst.dsn = _dsn_for(src.dsn, name)
    shutil.copytree(src.pipelines_dir, dst.pipelines_dir)
    return dst


def remove_warehouse(wh: Warehouse, dsn: Optional[str] = None) -> None:
    if wh.dest == "duckdb":
        for path in (wh.db, wh.db.with_name(wh.db.name + ".wal")):
            path.unlink(missing_ok=True)
    else:
        _pg_drop(dsn or wh.dsn or "", wh.name)
    shutil.rmtree(wh.pipelines_dir, ignore_errors=True)


def disk_bytes(wh: Warehouse) -> Optional[int]:
    if wh.dest == "duckdb":
        return wh.db.stat().st_size if wh.db.exists() else None
    try:
        return int(_query(wh, f"select pg_database_size('{wh.name}')")[0][0])
    except Exception:
        return None


# --- reading a warehouse -------------------------------------------------------------------------


def _query(wh: Warehouse, sql: str) -> List[tuple]:
    if wh.dest == "duckdb":
        import duckdb

        # not read-only: DuckDB refuses EXPLAIN of a DELETE there (nothing here writes)
        with duckdb.connect(str(wh.db)) as con:
            return con.execute(sql).fetchall()
    import psycopg2

    con = psycopg2.connect(wh.dsn)
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        con.close()


def count_steps(wh: Warehouse) -> int:
    return int(_query(wh, f"select count(*) from {DATASET}.run_steps")[0][0])


def state_row_bytes(wh: Warehouse, load_id: Optional[str]) -> Optional[int]:
    """Bytes of the row the load wrote to `_dlt_pipeline_state` (all columns as text); 0 if it wrote none."""
    if not load_id:
        return None
    cols = [r[0] for r in _query(wh, "select column_name from information_schema.columns where table_schema = "
                                     f"'{DATASET}' and table_name = '_dlt_pipeline_state'")]
    nbytes = "strlen" if wh.dest == "duckdb" else "octet_length"  # bytes of the UTF-8 text in both
    size = " + ".join(f'coalesce({nbytes}(cast("{c}" as varchar)), 0)' for c in cols)
    rows = _query(wh, f"select {size} from {DATASET}._dlt_pipeline_state where _dlt_load_id = '{load_id}'")
    return int(sum(r[0] for r in rows)) if rows else 0


def staging_counts(wh: Warehouse) -> Dict[str, int]:
    """Rows of the last load (dlt keeps them in the staging dataset until the next load)."""
    out = {}
    for table in ("runs", "run_steps"):
        try:
            out[table] = int(_query(wh, f"select count(*) from {DATASET}_staging.{table}")[0][0])
        except Exception:
            out[table] = None
    return out


def last_package_deletes(wh: Warehouse, table: str) -> List[str]:
    """The DELETE statements dlt ran for `table` in its newest load package (one statement per line)."""
    packages = sorted(glob.glob(str(wh.pipelines_dir / PIPELINE / "load" / "loaded" / "*")))
    if not packages:
        return []
    out = []
    for job in sorted(glob.glob(os.path.join(packages[-1], "completed_jobs", f"{table}.*.sql"))):
        out += [line.strip().rstrip(";") for line in Path(job).read_text().splitlines()
                if line.lstrip().upper().startswith("DELETE")]
    return out


def plan_joins(wh: Warehouse, sql: str) -> List[str]:
    """The join operators of `sql`'s plan (EXPLAIN, not run), e.g. `HASH_JOIN SEMI` or `Hash Semi Join`."""
    if wh.dest == "duckdb":
        (_, plan), = _query(wh, "EXPLAIN (FORMAT JSON) " + sql)
        out: List[str] = []

        def walk(node: Dict[str, Any]) -> None:
            name = node.get("name", "")
            if "JOIN" in name or name in PAIRWISE:
                join_type = node.get("extra_info", {}).get("Join Type", "")
                out.append(f"{name} {join_type}".strip())
            for child in node.get("children", []):
                walk(child)

        for node in json.loads(plan):
            walk(node)
        return out
    (plan,), = _query(wh, "EXPLAIN (FORMAT JSON) " + sql)
    plan = json.loads(plan) if isinstance(plan, str) else plan
    out = []

    def walk_pg(node: Dict[str, Any]) -> None:
        if "Join" in node["Node Type"] or node["Node Type"] == "Nested Loop":
            out.append(f"{node['Node Type']} {node.get('Join Type', '')}".strip())
        for child in node.get("Plans", []):
            walk_pg(child)

    walk_pg(plan[0]["Plan"])
    return out


def read_trace(wh: Warehouse) -> Dict[str, Any]:
    """dlt's timing of the last run's steps (extract, normalize, load) and its load id."""
    import dlt

    try:
        pipeline = dlt.attach(pipeline_name=PIPELINE, pipelines_dir=str(wh.pipelines_dir))
        trace = pipeline.last_trace
    except Exception as exc:  # no trace: the load did not get that far
        return {"error": f"{type(exc).__name__}: {exc}"}
    if trace is None:
        return {}
    out: Dict[str, Any] = {}
    for step in trace.steps:
        if step.finished_at and step.started_at:
            out[f"{step.step}_s"] = (step.finished_at - step.started_at).total_seconds()
            out[f"{step.step}_finished_at"] = step.finished_at.timestamp()
    info = trace.last_load_info
    if info is not None and info.loads_ids:
        out["load_id"] = info.loads_ids[-1]
        # where the load step went: copying files into (staging) tables, and the merge SQL jobs
        jobs = [j for m in info.metrics.get(out["load_id"], []) for j in m.get("job_metrics", {}).values()]
        for kind, pick in (("copy_jobs_s", lambda j: not j.file_path.endswith(".sql")),
                           ("merge_jobs_s", lambda j: j.file_path.endswith(".sql"))):
            out[kind] = sum((j.finished_at - j.started_at).total_seconds() for j in jobs
                            if pick(j) and j.started_at and j.finished_at)
    return out


# --- the scenario --------------------------------------------------------------------------------


def run_s8(bench: "Bench", plan: S8Plan) -> None:
    from .scenarios import Sample

    log = bench.log
    root = bench.workdir / "s8"
    root.mkdir(parents=True, exist_ok=True)
    log(f"S8 history at scale: {plan.world.describe()}, advance {plan.advance_s / 3600:g} h; DuckDB at "
        f"{', '.join(sizes_label(s) for s in plan.sizes)} steps"
        + (f", PostgreSQL at {', '.join(sizes_label(s) for s in plan.pg_sizes)}" if plan.postgres_dsn and plan.pg_sizes
           else ", no PostgreSQL (give --postgres-dsn or RUNSTEPS_TEST_POSTGRES_DSN)"))
    facts: Dict[str, Any] = {"world": plan.world.describe(), "advance_h": plan.advance_s / 3600, "warehouses": {},
                             "repeat": plan.repeat, "timeout_s": plan.timeout_s}
    bench.facts["S8"] = facts
    dests: List[Tuple[str, Tuple[int, ...]]] = [("duckdb", plan.sizes)]
    if plan.postgres_dsn and plan.pg_sizes:
        dests.append(("postgres", plan.pg_sizes))
    prefix = f"s8_{os.getpid()}"
    made: List[Warehouse] = []
    try:
        with bench.emulator(plan.world) as emu:
            ids = emu.thread_ids()
            tf = bench.threads_file(ids, "s8")
            sized: Dict[str, Dict[int, Warehouse]] = {}
            for dest, sizes in dests:
                base = Warehouse(dest, f"{prefix}_{dest}_base", root)
                if dest == "postgres":
                    assert plan.postgres_dsn
                    _pg_drop(plan.postgres_dsn, base.name)
                    _pg_admin(plan.postgres_dsn, f'CREATE DATABASE "{base.name}"')
                    base.dsn = _dsn_for(plan.postgres_dsn, base.name)
                made.append(base)
                first = _measure(bench, emu, tf, base, f"{dest}, first load of the S8 world", plan, note="first load",
                                 sample_cls=Sample)
                if not first.ok:
                    log(f"    ! S8 {dest}: the first load failed; skipping {dest}")
                    continue
                base.steps = count_steps(base)
                sized[dest] = {}
                for size in sizes:
                    wh = copy_warehouse(base, f"{prefix}_{dest}_{sizes_label(size).lower()}")
                    made.append(wh)
                    log(f"    S8 {dest}: growing a copy of the first load ({base.steps:,} steps) to {size:,} steps")
                    grown = _grow_in_child(dest, wh.target, size)
                    wh.steps, wh.grow_s = grown.steps_after, grown.seconds
                    log(f"      {grown.steps_after:,} steps, {sum(grown.rows_added.values()):,} rows added in "
                        f"{grown.seconds:.0f}s; {(disk_bytes(wh) or 0) / 1e9:.2f} GB")
                    facts["warehouses"][f"{dest} {sizes_label(size)}"] = {
                        "dest": dest, "size": size, "steps": wh.steps, "grow_s": round(grown.seconds, 1),
                        "rows_added": grown.rows_added, "disk_bytes": disk_bytes(wh), "first_load_steps": base.steps}
                    sized[dest][size] = wh
            emu.advance(plan.advance_s)
            log(f"    S8: the clock moved {plan.advance_s / 3600:g} h")
            for i in range(plan.repeat):
                for dest, sizes in dests:
                    for size in sizes:
                        src = sized.get(dest, {}).get(size)
                        if src is None:
                            continue
                        work = copy_warehouse(src, f"{prefix}_{dest}_work")
                        made.append(work)
                        world = f"{dest}, {sizes_label(size)}-step warehouse"
                        sample = _measure(bench, emu, tf, work, world, plan, note="incremental", repeat=i,
                                          sample_cls=Sample)
                        sample.extra.update(dest=dest, size=size, warehouse_steps=src.steps)
                        if sample.ok and i == 0:
                            deletes = last_package_deletes(work, CHILD)
                            if deletes:
                                sample.extra["child_delete_sql"] = deletes[0]
                                sample.extra["child_delete_joins"] = plan_joins(work, deletes[0])
                                log(f"      {CHILD} DELETE plan: {', '.join(sample.extra['child_delete_joins'])}")
                        remove_warehouse(work, plan.postgres_dsn)
    finally:
        for wh in made:
            try:
                remove_warehouse(wh, plan.postgres_dsn)
            except Exception as exc:  # cleaning up must not hide the measurement
                log(f"    ! could not remove {wh.name}: {exc}")
    remerge(bench, plan, root)
    shutil.rmtree(root, ignore_errors=True)


def _grow_in_child(dest: str, target: Any, size: int) -> Grown:
    out = subprocess.run([sys.executable, "-m", "benchmarks.history", dest, str(target), str(size)], cwd=REPO,
                         env=child_env(API_KEY), capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"growing the {dest} warehouse failed: {out.stderr[-2000:]}")
    return Grown(**json.loads(out.stdout.strip().splitlines()[-1]))


def _measure(bench: "Bench", emu: Optional[EmulatorProcess], threads_file: Optional[Path], wh: Warehouse, world: str,
             plan: S8Plan, note: str, sample_cls: Any, repeat: int = 0, cmd: Optional[List[str]] = None) -> "Sample":
    """One `runsteps load` child process on `wh`, with what S8 reports about it."""
    bench._n += 1
    rundir = bench.workdir / f"{bench._n:03d}-S8-{wh.name}"
    rundir.mkdir(parents=True, exist_ok=True)
    if cmd is None:
        assert emu is not None and threads_file is not None
        cmd = command_for("runsteps", emu.base_url, threads_file, wh.db, rundir, bench.plan.concurrency,
                          extra=wh.load_args())
        emu.reset_stats()
    steps_before = count_steps(wh) if (wh.db.exists() or wh.dest == "postgres") and note != "first load" else 0
    load = os.getloadavg()[0]
    spawned = time.time()
    m = run_measured(cmd, env=wh.env(), cwd=REPO, log_to=rundir / "child", timeout=plan.timeout_s)
    if m.timed_out and wh.dest == "postgres":
        _pg_admin(wh.dsn or "", f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{wh.name}' "
                                "AND pid <> pg_backend_pid()")
    # A killed load leaves the trace of the steps it finished: how long it spent before the load step.
    trace = read_trace(wh)
    requests = api_requests(emu.stats()) if emu is not None else 0
    staged = staging_counts(wh) if m.ok else {}
    sample = sample_cls(
        scenario="S8", world=world, contender="runsteps", repeat=repeat, ok=m.ok, wall_s=m.wall_s, requests=requests,
        r429=0, steps=(count_steps(wh) if m.ok else None), expected_steps=None, peak_rss_mb=m.peak_rss_mb,
        loadavg_1m=load, inproc_s=runsteps_seconds(m.stdout) if m.ok else None, note=note,
        extra={"load_step_s": trace.get("load_s"), "extract_s": trace.get("extract_s"),
               "copy_jobs_s": trace.get("copy_jobs_s"), "merge_jobs_s": trace.get("merge_jobs_s"),
               "normalize_s": trace.get("normalize_s"), "load_id": trace.get("load_id"),
               "state_row_bytes": state_row_bytes(wh, trace.get("load_id")) if m.ok else None,
               "runs_loaded": staged.get("runs"), "steps_loaded": staged.get("run_steps"),
               "steps_before": steps_before})
    from .scenarios import code_version

    sample.extra["code"] = code_version()
    if not m.ok:
        sample.note = f"{note} FAILED (exit {m.returncode}{f', timeout {plan.timeout_s:.0f}s' if m.timed_out else ''})"
        if m.timed_out and trace.get("normalize_finished_at") and trace.get("load_s") is None:
            # killed in the load step: it ran at least from the end of normalize to the kill
            sample.extra["load_step_at_least_s"] = spawned + m.wall_s - trace["normalize_finished_at"]
            sample.extra["extract_s"] = trace.get("extract_s")
        bench.log(f"    ! S8 load failed; last output:\n{m.tail(10)}")
    bench.samples.append(sample)
    ex = sample.extra
    bench.log(f"    S8 {world:<34} {note:<12} wall {m.wall_s:7.1f}s  load step {_s(ex['load_step_s'])} "
              f"(copy jobs {_s(ex['copy_jobs_s'])}, merge jobs {_s(ex['merge_jobs_s'])})  "
              f"extract {_s(ex['extract_s'])}  runs {ex['runs_loaded'] or '-'}  state row {ex['state_row_bytes'] or '-'} B  "
              f"load {load:.1f}" + (f"  [{sample.note}]" if not m.ok else ""))
    shutil.rmtree(rundir, ignore_errors=True) if m.ok else None
    return sample


def _s(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:6.2f}s"


def remerge(bench: "Bench", plan: S8Plan, root: Path) -> None:
    """Issue 13's report: the same archive loaded twice into one DuckDB file; the second load merges
    every row onto itself."""
    from .scenarios import Sample

    archive = root / "archive"
    shutil.rmtree(archive, ignore_errors=True)
    runsteps = Path(sys.executable).with_name("runsteps")
    base = [str(runsteps)] if runsteps.exists() else [sys.executable, "-m", "runsteps.cli"]
    started = time.perf_counter()
    out = subprocess.run(base + ["emulate", "--export", str(archive), "--threads", str(plan.remerge_threads)],
                         cwd=REPO, env=child_env(API_KEY), capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        bench.log(f"    ! S8 re-merge: the export failed: {out.stderr[-500:]}")
        return
    bench.log(f"    S8 re-merge: {out.stdout.strip()} ({time.perf_counter() - started:.0f}s)")
    wh = Warehouse("duckdb", "remerge", root)
    remove_warehouse(wh)
    cmd = base + ["load", "--from-export", str(archive), "--db", str(wh.db), "--progress", "none",
                  "--pipelines-dir", str(wh.pipelines_dir)]
    world = f"duckdb, archive of {plan.remerge_threads} thr"
    first = _measure(bench, None, None, wh, world, plan, note="first load", sample_cls=Sample, cmd=cmd)
    second = _measure(bench, None, None, wh, world, plan, note="re-merge", sample_cls=Sample, cmd=cmd)
    bench.facts["S8"]["remerge"] = {"threads": plan.remerge_threads, "export": out.stdout.strip(),
                                    "steps": second.steps, "first_ok": first.ok, "second_ok": second.ok}
    remove_warehouse(wh)
    shutil.rmtree(archive, ignore_errors=True)


# --- the report ----------------------------------------------------------------------------------


def _med(values: List[Optional[float]]) -> Optional[float]:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def summary(samples: List["Sample"]) -> List[Dict[str, Any]]:
    """One row per (destination, warehouse size) of the incremental loads, plus the re-merge rows."""
    rows: Dict[Tuple[str, str], List["Sample"]] = {}
    for s in samples:
        if s.scenario == "S8":
            rows.setdefault((s.world, s.note.split(" FAILED")[0]), []).append(s)
    out = []
    for (world, kind), group in rows.items():
        ok = [s for s in group if s.ok]
        joins = next((s.extra.get("child_delete_joins") for s in group if s.extra.get("child_delete_joins")), None)
        out.append({
            "world": world, "kind": kind, "n": len(ok), "failed": len(group) - len(ok),
            "timeouts": [s.note for s in group if "timeout" in s.note],
            "dest": next((s.extra.get("dest") for s in group if s.extra.get("dest")), world.split(",")[0]),
            "size": next((s.extra.get("size") for s in group if s.extra.get("size")), None),
            "steps_before": _med([s.extra.get("steps_before") for s in ok]) or _med([s.extra.get("warehouse_steps") for s in group]),
            "runs_loaded": _med([s.extra.get("runs_loaded") for s in ok]),
            "load_step_s": _med([s.extra.get("load_step_s") for s in ok]),
            "extract_s": _med([s.extra.get("extract_s") for s in ok]) or _med([s.extra.get("extract_s") for s in group]),
            "load_step_at_least_s": _med([s.extra.get("load_step_at_least_s") for s in group]),
            "inproc_s": _med([s.inproc_s for s in ok]),
            "wall_s": _med([s.wall_s for s in ok]) if ok else _med([s.wall_s for s in group]),
            "state_row_bytes": _med([s.extra.get("state_row_bytes") for s in ok]),
            "peak_rss_mb": _med([s.peak_rss_mb for s in ok]),
            "loadavg": _med([s.loadavg_1m for s in group]),
            "joins": joins,
        })
    return out


def _f(value: Optional[float], digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(samples: List["Sample"], facts: Dict[str, Any]) -> str:
    rows = summary(samples)
    if not rows:
        return ""
    lines = [
        "| destination | warehouse before the load | load | runs loaded | load step s | × smallest | extract s "
        "| whole load s (in-process) | state row bytes | join of the child tables' DELETE | repeats | load avg |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    ref: Dict[str, float] = {}
    for r in sorted((r for r in rows if r["kind"] == "incremental"), key=lambda r: (r["dest"], r["size"] or 0)):
        if r["load_step_s"] and r["dest"] not in ref:
            ref[r["dest"]] = r["load_step_s"]
    for r in sorted(rows, key=lambda r: (r["kind"] != "incremental", r["dest"], r["size"] or 0, r["kind"])):
        ratio = (r["load_step_s"] / ref[r["dest"]]) if (r["kind"] == "incremental" and r["load_step_s"]
                                                         and ref.get(r["dest"])) else None
        load_step = _f(r["load_step_s"])
        if r["timeouts"]:
            at_least = f"> {r['load_step_at_least_s']:,.0f} " if r["load_step_at_least_s"] else ""
            load_step = (load_step + " " if r["load_step_s"] else "") + (
                f"{at_least}(killed at {facts.get('timeout_s', 0):.0f}s wall)")
        repeats = f"{r['n']}" + (f" (+{r['failed']} failed)" if r["failed"] else "")
        steps = f"{r['steps_before']:,.0f} steps" if r["steps_before"] else "empty"
        if r["kind"] != "incremental":
            steps += f" ({r['world'].split(', ', 1)[-1]})"
        lines.append(
            f"| {r['dest']} | {steps} | {r['kind']} | {_f(r['runs_loaded'], 0)} | {load_step} | "
            f"{(_f(ratio) + '×') if ratio else '–'} | {_f(r['extract_s'], 1)} | {_f(r['inproc_s'], 1)} | "
            f"{_f(r['state_row_bytes'], 0)} | {', '.join(r['joins']) if r['joins'] else '–'} | {repeats} | "
            f"{_f(r['loadavg'], 1)} |")
    return "\n".join(lines)


def targets(samples: List["Sample"], facts: Dict[str, Any]) -> List[Tuple[str, str, str, Optional[bool], str]]:
    """(what, measured, goal, ok, how) rows for the report's targets table."""
    rows = summary(samples)
    out = []
    for dest in ("duckdb", "postgres"):
        inc = sorted((r for r in rows if r["kind"] == "incremental" and r["dest"] == dest), key=lambda r: r["size"] or 0)
        if len(inc) < 2:
            continue
        small, big = inc[0], inc[-1]
        label = f"S8 load step, {sizes_label(big['size'])} vs {sizes_label(small['size'])} steps ({dest})"
        how = (f"incremental of ~{_f(big['runs_loaded'], 0)} runs; medians of {big['n']} and {small['n']}; "
               f"load step = dlt's `load` step in the pipeline trace")
        if big["load_step_s"] and small["load_step_s"]:
            ratio = big["load_step_s"] / small["load_step_s"]
            out.append((label, f"{ratio:.2f}× ({big['load_step_s']:.2f}s vs {small['load_step_s']:.2f}s)", "≤ 1.5×",
                        ratio <= 1.5, how))
        elif big["timeouts"] and small["load_step_s"]:
            at_least = big["load_step_at_least_s"] or 0.0
            out.append((label, f"> {at_least / small['load_step_s']:.0f}× (> {at_least:.0f}s, killed at "
                               f"{facts.get('timeout_s', 0):.0f}s wall, vs {small['load_step_s']:.2f}s)", "≤ 1.5×",
                        False, how))
    rm = [r for r in rows if r["kind"] == "re-merge"]
    if rm:
        r = rm[0]
        measured = (f"{r['inproc_s']:.1f}s in-process ({r['wall_s']:.1f}s wall, load step {_f(r['load_step_s'])}s)"
                    if r["inproc_s"] else f"failed ({'; '.join(r['timeouts']) or 'see the log'})")
        out.append(("S8 re-merge of an unchanged archive", measured, "< 10 s",
                    (r["inproc_s"] < 10) if r["inproc_s"] else False,
                    f"`runsteps load --from-export` twice, {_f(r['steps_before'], 0)} steps "
                    f"({r['world'].split(', ', 1)[-1]})"))
    return out
