"""The scenarios S1–S5 (issue 7, "A benchmark") and the models build, as measurements.

Every contender run is a fresh child process (peak RSS from the kernel, see `measure.py`) against an
emulator in its own process (`emulator_proc.py`), into a fresh DuckDB file. Requests and 429s come
from the emulator's own counters, reset before each run; steps are counted in the contender's
DuckDB file afterwards and checked against the world.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .census import Census, predict_incremental, snapshot_runs, world_census
from .contenders import REPO, child_env, command_for, count_steps, last_json_line, runsteps_seconds
from .emulator_proc import API_KEY, EmulatorProcess, ResponsesWorldSpec, Traffic, WorldSpec, api_requests, api_status_count
from .measure import run_measured

from openai_assistants.settings import DEFAULT_CONCURRENCY


@dataclass(frozen=True)
class Plan:
    """Sizes and repeats of one benchmark run (`--quick` or the full one)."""

    name: str
    std: WorldSpec  # the standard world
    big: WorldSpec  # S5
    s1_traffic: Traffic
    s2_traffic: Traffic
    baseline_threads: int  # the subset the (slow) baselines load under latency
    s2_threads: int  # the subset S2 loads (the rate limit makes the whole world take ~9 min)
    repeat: int
    baseline_repeat: int
    concurrency: int = DEFAULT_CONCURRENCY  # runsteps' --concurrency: the loader's default
    advance_s: int = 3600
    s4_repeat: int = 1  # the request count is deterministic; one repeat costs a full first load
    s3_baselines: bool = True
    # S8 (history at scale, see s8.py): a world with a short past and busy nights, a 22-hour advance
    # (~10,000 new or finished runs), warehouse sizes in steps (the smallest is the reference)
    s8_world: WorldSpec = WorldSpec("S8 nightly", threads=2000, runs_per_thread=2, steps_per_run=7, activity=0.2)
    s8_advance_s: int = 22 * 3600
    s8_sizes: Tuple[int, ...] = (100_000, 10_000_000)
    s8_pg_sizes: Tuple[int, ...] = (100_000, 10_000_000)
    s8_repeat: int = 3
    s8_timeout_s: float = 1800.0
    s8_remerge_threads: int = 1080  # `runsteps emulate --export --threads 1080`: ~100k steps
    postgres_dsn: Optional[str] = None
    # The Responses path (responses_bench.py, R1-R4): a Foundry project. The standard world needs
    # about as many requests as the Assistants one (10,146 vs 10,666); the small one, for the dlt
    # baseline and the rate limit, about as many as S2's subset (2,120 vs 2,088).
    r_std: ResponsesWorldSpec = ResponsesWorldSpec("responses standard", conversations=1300)
    r_small: ResponsesWorldSpec = ResponsesWorldSpec("responses small", conversations=260)
    r_baseline_repeat: int = 3  # dlt on the small world takes ~45 s under latency: medians of 3 fit


FULL = Plan(
    name="full",
    std=WorldSpec("standard", threads=500, runs_per_thread=20, steps_per_run=7),
    # 1M steps with denser runs (30 steps/run): ~37k requests instead of ~175k for the same shape,
    # which keeps S5 within the time budget; per thread it holds 4× the standard world's steps.
    big=WorldSpec("1M steps", threads=1850, runs_per_thread=20, steps_per_run=30),
    s1_traffic=Traffic(latency_ms=80, jitter_ms=40),
    s2_traffic=Traffic(latency_ms=80, jitter_ms=40, rate_limit_rpm=1200),
    baseline_threads=50,
    s2_threads=100,
    repeat=3,
    baseline_repeat=1,
)

QUICK = Plan(
    name="quick",
    std=WorldSpec("quick-standard", threads=40, runs_per_thread=20, steps_per_run=7),
    big=WorldSpec("quick-big", threads=100, runs_per_thread=20, steps_per_run=30),
    s1_traffic=Traffic(latency_ms=80, jitter_ms=40),
    # 600/min so that the bucket's initial burst does not cover the whole small subset
    s2_traffic=Traffic(latency_ms=80, jitter_ms=40, rate_limit_rpm=600),
    baseline_threads=10,
    s2_threads=40,
    repeat=1,
    baseline_repeat=1,
    s8_world=WorldSpec("S8 quick nightly", threads=200, runs_per_thread=2, steps_per_run=7, activity=0.2),
    s8_sizes=(10_000, 1_000_000),
    s8_pg_sizes=(10_000, 1_000_000),
    s8_repeat=1,
    s8_timeout_s=600.0,
    s8_remerge_threads=110,
    r_std=ResponsesWorldSpec("responses quick-standard", conversations=130),
    r_small=ResponsesWorldSpec("responses quick-small", conversations=40),
    r_baseline_repeat=1,
)


@dataclass
class Sample:
    """One measured run of one contender."""

    scenario: str
    world: str  # which world (and subset) it loaded
    contender: str
    repeat: int
    ok: bool
    wall_s: float
    requests: int
    r429: int
    steps: Optional[int]
    expected_steps: Optional[int]
    peak_rss_mb: float
    loadavg_1m: float
    emulator_cpu_s: Optional[float] = None
    inproc_s: Optional[float] = None  # the load without process start-up and imports
    note: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)

    def _rate(self, seconds: Optional[float]) -> Optional[float]:
        if "incremental" in self.note:  # the table holds every step, not what this load fetched
            return None
        n = self.steps if self.steps is not None else self.expected_steps
        return (n / seconds) if (n and seconds and seconds > 0) else None

    @property
    def steps_per_s(self) -> Optional[float]:
        """End to end: process start to exit."""
        return self._rate(self.wall_s)

    @property
    def inproc_steps_per_s(self) -> Optional[float]:
        """The load alone, as the contender timed itself after its imports."""
        return self._rate(self.inproc_s)


class Bench:
    """Runs scenarios, collects samples, and remembers the facts the report needs (limits, predictions)."""

    def __init__(self, plan: Plan, workdir: Path, log: Callable[[str], None] = print) -> None:
        self.plan = plan
        self.workdir = workdir
        self.log = log
        self.samples: List[Sample] = []
        self.facts: Dict[str, Any] = {"plan": _plan_dict(plan)}
        self._census: Dict[WorldSpec, Census] = {}
        self._n = 0

    # --- helpers --------------------------------------------------------------------------------

    def census(self, spec: WorldSpec, emu: EmulatorProcess) -> Census:
        if spec not in self._census:
            started = time.perf_counter()
            self._census[spec] = world_census(spec, emu.expected())
            c = self._census[spec]
            self.log(f"  census of {spec.name}: {len(c.order)} threads, {c.runs()} runs, {c.steps()} steps, "
                     f"{c.requests()} requests at minimum ({time.perf_counter() - started:.1f}s)")
            self.facts.setdefault("worlds", {})[spec.name] = {
                "spec": asdict(spec), "threads": len(c.order), "runs": c.runs(), "steps": c.steps(),
                "min_requests": c.requests()}
        return self._census[spec]

    def threads_file(self, ids: Sequence[str], name: str) -> Path:
        path = self.workdir / f"threads-{name}.txt"
        path.write_text("\n".join(ids) + "\n")
        return path

    def run(self, scenario: str, world: str, contender: str, emu: EmulatorProcess, threads_file: Path,
            expected_steps: Optional[int], repeat: int, db: Optional[Path] = None, keep_db: bool = False,
            extra_args: Optional[List[str]] = None, note: str = "") -> Sample:
        """Measure one contender run; the emulator's counters are reset first."""
        self._n += 1
        rundir = self.workdir / f"{self._n:03d}-{scenario}-{contender}"
        rundir.mkdir(parents=True, exist_ok=True)
        db = db or rundir / "db.duckdb"
        cmd = command_for(contender, emu.base_url, threads_file, db, rundir, self.plan.concurrency,
                          extra=extra_args)
        version = code_version()
        emu.reset_stats()
        cpu0 = emu.cpu_seconds()
        load = os.getloadavg()[0]
        m = run_measured(cmd, env=child_env(API_KEY), cwd=REPO, log_to=rundir / "child", timeout=3 * 3600)
        stats = emu.stats()
        cpu1 = emu.cpu_seconds()
        child = last_json_line(m.stdout)
        steps = count_steps(contender, db) if m.ok else None
        if contender == "bare" and m.ok:
            steps = child.get("steps")
        sample = Sample(scenario=scenario, world=world, contender=contender, repeat=repeat, ok=m.ok,
                        wall_s=m.wall_s, requests=api_requests(stats), r429=api_status_count(stats, "429"),
                        steps=steps, expected_steps=expected_steps, peak_rss_mb=m.peak_rss_mb, loadavg_1m=load,
                        emulator_cpu_s=(cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None,
                        inproc_s=(runsteps_seconds(m.stdout) if contender == "runsteps"
                                  else child.get("seconds_in_process")) if m.ok else None,
                        note=note, extra={k: v for k, v in child.items() if k != "per_thread"})
        sample.extra["code"] = version
        if not m.ok:
            sample.note = (note + " " if note else "") + f"FAILED (exit {m.returncode}{', timeout' if m.timed_out else ''})"
            self.log(f"    ! {contender} failed; last output:\n{m.tail(20)}")
        elif expected_steps is not None and steps is not None and steps != expected_steps:
            sample.note = (note + " " if note else "") + f"steps {steps} != expected {expected_steps}"
        self.samples.append(sample)
        self.log(f"    {scenario} {contender:<9} {world:<28} {m.wall_s:7.1f}s  {sample.requests:6d} req  "
                 f"{sample.r429:4d}×429  {steps if steps is not None else '-':>8} steps  "
                 f"{_num(sample.steps_per_s):>8} steps/s  {m.peak_rss_mb:6.0f} MB  load {load:.1f}"
                 + (f"  [{sample.note}]" if sample.note else ""))
        if not keep_db:
            shutil.rmtree(rundir / "db.duckdb.dlt", ignore_errors=True)
            for p in rundir.glob("db.duckdb*"):
                if p.is_file():
                    p.unlink()
            shutil.rmtree(rundir / "rest_api.dlt", ignore_errors=True)
        return sample

    def emulator(self, spec: WorldSpec, traffic: Traffic = Traffic()) -> EmulatorProcess:
        return EmulatorProcess(spec, traffic, log_dir=self.workdir)

    # --- scenarios ------------------------------------------------------------------------------

    def s3(self) -> None:
        """CPU-bound: no latency; runsteps against the bare-fetch ceiling (and the baselines)."""
        p = self.plan
        self.log(f"S3 CPU-bound: {p.std.describe()}, no latency")
        with self.emulator(p.std) as emu:
            census = self.census(p.std, emu)
            tf = self.threads_file(census.order, "std")
            world = f"{p.std.name}, {len(census.order)} thr"
            for i in range(p.repeat):
                self.run("S3", world, "bare", emu, tf, census.steps(), i)
                self.run("S3", world, "runsteps", emu, tf, census.steps(), i)
            if p.s3_baselines:
                # The baselines on the same subset as in S1 (the SDK loop is sequential: minutes on
                # the whole world), with runsteps and the ceiling on that subset too.
                subset = census.order[: p.baseline_threads]
                tf_sub = self.threads_file(subset, f"first{len(subset)}")
                world_sub = f"subset: first {len(subset)} thr"
                for i in range(p.baseline_repeat):
                    for contender in ("bare", "runsteps", "rest_api", "sdk"):
                        self.run("S3", world_sub, contender, emu, tf_sub, census.steps(subset), i)
            self.facts["S3"] = {"world": world, "min_requests": census.requests()}

    def s1(self) -> None:
        """Latency-bound: 100 ms ± 20 ms; runsteps on the whole world, and on a subset against the baselines."""
        p = self.plan
        self.log(f"S1 latency-bound: {p.std.describe()}, {p.s1_traffic.describe()}")
        with self.emulator(p.std, p.s1_traffic) as emu:
            census = self.census(p.std, emu)
            tf = self.threads_file(census.order, "std")
            subset = census.order[: p.baseline_threads]
            tf_sub = self.threads_file(subset, f"first{len(subset)}")
            world = f"{p.std.name}, {len(census.order)} thr"
            world_sub = f"subset: first {len(subset)} thr"
            for i in range(p.repeat):
                self.run("S1", world, "runsteps", emu, tf, census.steps(), i)
            for i in range(p.repeat):
                self.run("S1", world_sub, "runsteps", emu, tf_sub, census.steps(subset), i)
            for i in range(p.baseline_repeat):
                self.run("S1", world_sub, "rest_api", emu, tf_sub, census.steps(subset), i)
                self.run("S1", world_sub, "sdk", emu, tf_sub, census.steps(subset), i)
            lat = p.s1_traffic.mean_latency_ms / 1000
            self.facts["S1"] = {
                "world": world, "subset": world_sub, "latency_s": lat, "concurrency": p.concurrency,
                "min_requests": census.requests(), "min_requests_subset": census.requests(subset),
                "limit_s": census.requests() * lat / p.concurrency,
                "limit_subset_s": census.requests(subset) * lat / p.concurrency,
            }

    def s2(self) -> None:
        """Rate-bound: a token bucket of N requests/min with x-ratelimit-* headers and 429s."""
        p = self.plan
        self.log(f"S2 rate-bound: {p.std.describe()}, first {p.s2_threads} threads, {p.s2_traffic.describe()}")
        with self.emulator(p.std, p.s2_traffic) as emu:
            census = self.census(p.std, emu)
            subset = census.order[: p.s2_threads]
            tf = self.threads_file(subset, f"first{len(subset)}")
            world = f"subset: first {len(subset)} thr"
            for i in range(p.repeat):
                # A fresh bucket for every repeat: the emulator restarts, so each run starts alike.
                if i:
                    emu.stop()
                    emu.start()
                self.run("S2", world, "runsteps", emu, tf, census.steps(subset), i)
            n = census.requests(subset)
            rpm = p.s2_traffic.rate_limit_rpm or 0
            rate = rpm / 60.0
            lat = p.s2_traffic.mean_latency_ms / 1000
            self.facts["S2"] = {
                "world": world, "min_requests": n, "rpm": rpm,
                # issue 7's definition: the minimum number of requests / the allowed rate
                "limit_s": n / rate,
                # the emulator's bucket starts full (rpm tokens), so the true floor is lower:
                # the first `rpm` requests only wait for latency, the rest for the refill
                "bucket_floor_s": max(n * lat / p.concurrency, max(0, n - rpm) / rate),
            }

    def s4(self) -> None:
        """Incremental: a first load, a clock advance (~5% of threads get new runs), a second load whose
        requests must equal the predicted count."""
        p = self.plan
        self.log(f"S4 incremental: {p.std.describe()}, advance {p.advance_s}s, no latency")
        results = []
        for i in range(p.s4_repeat):
            with self.emulator(p.std) as emu:  # a fresh clock every repeat
                census = self.census(p.std, emu)
                tf = self.threads_file(census.order, "std")
                world = f"{p.std.name}, {len(census.order)} thr"
                rundir = self.workdir / f"s4-{i}"
                rundir.mkdir(exist_ok=True)
                db = rundir / "db.duckdb"
                first = self.run("S4", world, "runsteps", emu, tf, census.steps(), i, db=db, keep_db=True,
                                 note="first load")
                before = snapshot_runs(emu.base_url, API_KEY, census.order, p.concurrency)
                emu.advance(p.advance_s)
                predicted = predict_incremental(emu.base_url, API_KEY, before, p.concurrency)
                expected = emu.expected()["tables"]
                second = self.run("S4", world + f", +{p.advance_s}s", "runsteps", emu, tf, None, i, db=db,
                                  keep_db=True, note="incremental")
                counts = _db_counts(db) if second.ok else {}
                second.extra.update(predicted=asdict(predicted), db_counts=counts, expected_tables=expected)
                ok_rows = counts.get("runs") == expected.get("runs") and counts.get("run_steps") == expected.get("run_steps")
                second.note += f"; predicted {predicted.requests}" + ("" if ok_rows else f"; ROWS DIFFER {counts} vs expected")
                second.steps = counts.get("run_steps")
                second.expected_steps = expected.get("run_steps")
                self.log(f"      predicted {predicted.requests} requests ({predicted.threads} threads polled, "
                         f"{predicted.threads_with_new_runs} with {predicted.new_runs} new runs, "
                         f"{predicted.reopened_runs} runs open last time, {predicted.run_list_pages} run pages, "
                         f"{predicted.step_pages} step pages); made {second.requests}; "
                         f"tables {'match' if ok_rows else 'DIFFER from'} the world")
                results.append({"predicted": asdict(predicted), "actual": second.requests, "rows_match": ok_rows,
                                "first_load_requests": first.requests})
                shutil.rmtree(rundir, ignore_errors=True)
        self.facts["S4"] = {"runs": results}

    def s5(self, models: bool = True) -> None:
        """Memory: a world of ~1M steps; peak RSS and its growth from the standard world; then the
        SQL models build on it."""
        p = self.plan
        s3_world = self.facts.get("S3", {}).get("world")
        std_rss = [s.peak_rss_mb for s in self.samples
                   if s.scenario == "S3" and s.contender == "runsteps" and s.world == s3_world and s.ok]
        if std_rss:
            std_ref = ("S3", s3_world)
        else:
            self.log(f"S5 needs runsteps' peak RSS on the standard world: measuring it ({p.std.describe()})")
            with self.emulator(p.std) as emu:
                census = self.census(p.std, emu)
                tf = self.threads_file(census.order, "std")
                std_world = f"{p.std.name}, {len(census.order)} thr"
                self.run("S5", std_world, "runsteps", emu, tf, census.steps(), 0)
                std_ref = ("S5", std_world)
        self.log(f"S5 memory: {p.big.describe()}, no latency")
        with self.emulator(p.big) as emu:
            # No limit to compute here: the emulator's own totals are enough (a census of 1M steps
            # in this process would take minutes).
            ids = emu.thread_ids()
            tables = emu.expected()["tables"]
            tf = self.threads_file(ids, "big")
            world = f"{p.big.name}, {len(ids)} thr"
            self.facts.setdefault("worlds", {})[p.big.name] = {
                "spec": asdict(p.big), "threads": len(ids), "runs": tables["runs"], "steps": tables["run_steps"],
                "min_requests": None}
            rundir = self.workdir / "s5"
            rundir.mkdir(exist_ok=True)
            db = rundir / "db.duckdb"
            big = self.run("S5", world, "runsteps", emu, tf, tables["run_steps"], 0, db=db, keep_db=True)
            self.facts["S5"] = {"world": world, "steps": tables["run_steps"], "runs": tables["runs"],
                                "std_scenario": std_ref[0], "std_world": std_ref[1]}
        if models and big.ok:
            self.models(db, world)
        shutil.rmtree(rundir, ignore_errors=True)

    def s8(self) -> None:
        """History at scale: the same incremental load on a small and a huge warehouse (see s8.py)."""
        from .s8 import S8Plan, run_s8

        p = self.plan
        run_s8(self, S8Plan(world=p.s8_world, advance_s=p.s8_advance_s, sizes=p.s8_sizes, pg_sizes=p.s8_pg_sizes,
                            repeat=p.s8_repeat, timeout_s=p.s8_timeout_s, remerge_threads=p.s8_remerge_threads,
                            postgres_dsn=p.postgres_dsn))

    # The Responses path (issue 15): see responses_bench.py.

    def r1(self) -> None:
        from .responses_bench import r1

        r1(self)

    def r2(self) -> None:
        from .responses_bench import r2

        r2(self)

    def r3(self) -> None:
        from .responses_bench import r3

        r3(self)

    def r4(self) -> None:
        from .responses_bench import r4

        r4(self)

    def models(self, db: Path, world: str) -> None:
        self.log(f"models build on {world}")
        out = []
        for i in range(self.plan.repeat):
            cmd = [sys.executable, "-m", "benchmarks.contenders", "models", "--db", str(db)]
            m = run_measured(cmd, env=child_env(API_KEY), cwd=REPO, log_to=self.workdir / f"models-{i}", timeout=3600)
            res = last_json_line(m.stdout)
            if not m.ok or "build_seconds" not in res:
                self.log(f"    ! models build failed:\n{m.tail(20)}")
                out.append({"ok": False, "wall_s": m.wall_s, "error": m.tail(5)})
                break
            self.log(f"    models: build_models {res['build_seconds']:.2f}s ({res.get('models')} models; "
                     f"process {m.wall_s:.1f}s, {m.peak_rss_mb:.0f} MB)")
            out.append({"ok": True, "build_s": res["build_seconds"], "wall_s": m.wall_s, "models": res.get("models"),
                        "peak_rss_mb": m.peak_rss_mb})
        self.facts["models"] = {"world": world, "runs": out}


def code_version() -> str:
    """The loader's code a child ran: the git tree of `pipelines/` and `sql/` (plus "+dirty" when
    tracked files there differ from HEAD), so that commits to docs or to the benchmark itself do
    not count as a change.

    Children import the working tree when they start, so a commit landing during a long run would
    otherwise mix two versions of the loader in one table silently."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        trees = [git("rev-parse", "--short", f"HEAD:{d}") for d in ("pipelines", "sql")]
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "pipelines", "sql")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return "/".join(t or "?" for t in trees) + ("+dirty" if dirty else "")


def _num(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0f}"


def _db_counts(db: Path) -> Dict[str, int]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        return {t: int(con.execute(f'select count(*) from "{catalog}".assistants."{t}"').fetchone()[0])
                for t in ("threads", "runs", "run_steps")}


def _plan_dict(plan: Plan) -> Dict[str, Any]:
    d = asdict(plan)
    d["std"] = plan.std.describe()
    d["big"] = plan.big.describe()
    d["s1_traffic"] = plan.s1_traffic.describe()
    d["s2_traffic"] = plan.s2_traffic.describe()
    d["s8_world"] = plan.s8_world.describe()
    d["r_std"] = plan.r_std.describe()
    d["r_small"] = plan.r_small.describe()
    d.pop("postgres_dsn", None)  # may hold a password
    return d
