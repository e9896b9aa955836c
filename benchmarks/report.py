"""The comparison table: medians over repeats, the ratios against issue 7's targets, the machine."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .contenders import LABELS, REPO
from .scenarios import Sample

SCENARIO_TITLES = {
    "S1": "S1 latency-bound",
    "S2": "S2 rate-bound",
    "S3": "S3 CPU-bound",
    "S4": "S4 incremental",
    "S5": "S5 memory",
    "S8": "S8 history at scale",
}


def machine() -> Dict[str, Any]:
    """What the numbers were taken on."""
    import dlt
    import duckdb
    import httpx

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        import openai

        openai_v = openai.__version__
    except ImportError:
        openai_v = "not installed"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "memory_gb": mem_gb, "os": platform.platform(),
        "python": sys.version.split()[0], "dlt": dlt.__version__, "duckdb": duckdb.__version__,
        "httpx": httpx.__version__, "openai": openai_v, "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def _median(values: Sequence[Optional[float]]) -> Optional[float]:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def _fmt(value: Optional[float], digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "–"
    if digits == 0:
        return f"{value:,.0f}{suffix}"
    return f"{value:,.{digits}f}{suffix}"


Group = Tuple[str, str, str, str]  # scenario, world, contender, note-kind


def groups(samples: Sequence[Sample]) -> Dict[Group, List[Sample]]:
    out: Dict[Group, List[Sample]] = {}
    for s in samples:
        kind = "incremental" if "incremental" in s.note else ("first load" if "first load" in s.note else "")
        out.setdefault((s.scenario, s.world, s.contender, kind), []).append(s)
    return out


def agg(samples: Sequence[Sample]) -> Dict[str, Optional[float]]:
    ok = [s for s in samples if s.ok] or list(samples)
    return {
        "n": len(ok), "failed": sum(1 for s in samples if not s.ok),
        "wall_s": _median([s.wall_s for s in ok]),
        "requests": _median([s.requests for s in ok]),
        "r429": _median([s.r429 for s in ok]),
        "steps": _median([s.steps for s in ok]),
        "steps_per_s": _median([s.steps_per_s for s in ok]),
        "inproc_s": _median([s.inproc_s for s in ok]),
        "inproc_steps_per_s": _median([s.inproc_steps_per_s for s in ok]),
        "peak_rss_mb": _median([s.peak_rss_mb for s in ok]),
        "loadavg": _median([s.loadavg_1m for s in ok]),
        "emulator_cpu_s": _median([s.emulator_cpu_s for s in ok]),
    }


def find(samples: Sequence[Sample], scenario: str, contender: str, world_contains: str = "",
         kind: str = "") -> Optional[Dict[str, Optional[float]]]:
    for (sc, world, co, k), group in groups(samples).items():
        if sc == scenario and co == contender and world_contains in world and k == kind:
            return agg(group)
    return None


def results_table(samples: Sequence[Sample], unit: str = "steps", titles: Optional[Dict[str, str]] = None,
                  labels: Optional[Dict[str, str]] = None) -> str:
    """One row per (scenario, world, contender): medians. `unit` names what the `steps` field counts."""
    titles, labels = titles or SCENARIO_TITLES, labels or LABELS
    lines = [
        f"| scenario | world loaded | contender | runs | wall s | in-process s | requests | 429s | {unit} | {unit}/s "
        f"| {unit}/s in-process | peak RSS MB | emulator CPU s | load avg |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (scenario, world, contender, kind), group in groups(samples).items():
        a = agg(group)
        label = labels.get(contender, contender) + (f" ({kind})" if kind else "")
        runs = f"{a['n']}" + (f" (+{a['failed']} failed)" if a["failed"] else "")
        steps = _fmt(a["steps"], 0)
        if any("!=" in s.note for s in group):
            steps += " ⚠"
        lines.append(
            f"| {titles.get(scenario, scenario)} | {world} | {label} | {runs} | {_fmt(a['wall_s'])} | "
            f"{_fmt(a['inproc_s'])} | {_fmt(a['requests'], 0)} | {_fmt(a['r429'], 0)} | {steps} | "
            f"{_fmt(a['steps_per_s'], 0)} | {_fmt(a['inproc_steps_per_s'], 0)} | {_fmt(a['peak_rss_mb'], 0)} | "
            f"{_fmt(a['emulator_cpu_s'])} | {_fmt(a['loadavg'])} |")
    return "\n".join(lines)


def _verdict(ok: Optional[bool]) -> str:
    return "–" if ok is None else ("✅ met" if ok else "❌ not met")


def targets_table(samples: Sequence[Sample], facts: Dict[str, Any]) -> Tuple[str, List[Dict[str, Any]]]:
    rows: List[Dict[str, Any]] = []

    def add(what: str, measured: str, target: str, ok: Optional[bool], how: str = "") -> None:
        rows.append({"what": what, "measured": measured, "target": target, "ok": ok, "how": how})

    s1 = facts.get("S1")
    if s1:
        rs = find(samples, "S1", "runsteps", s1["world"])
        if rs and rs["wall_s"]:
            ratio = rs["wall_s"] / s1["limit_s"]
            inproc = f"; {rs['inproc_s'] / s1['limit_s']:.2f}× without start-up" if rs["inproc_s"] else ""
            add("S1 wall time vs limit", f"{ratio:.2f}× ({rs['wall_s']:.1f}s vs {s1['limit_s']:.1f}s{inproc})", "≤ 1.3×",
                ratio <= 1.3, f"limit = {s1['min_requests']} requests × {s1['latency_s'] * 1000:.0f} ms / "
                               f"{s1['concurrency']} ({s1['world']})")
        sub = find(samples, "S1", "runsteps", s1["subset"])
        for contender, goal in (("rest_api", 5.0), ("sdk", 20.0)):
            base = find(samples, "S1", contender, s1["subset"])
            if sub and base and sub["inproc_steps_per_s"] and base["inproc_steps_per_s"]:
                ratio = sub["inproc_steps_per_s"] / base["inproc_steps_per_s"]
                e2e = (sub["steps_per_s"] or 0) / max(base["steps_per_s"] or 1, 1e-9)
                add(f"S1 speed vs {LABELS[contender]}", f"{ratio:.1f}× in-process ({e2e:.1f}× end to end)",
                    f"≥ {goal:g}×", ratio >= goal,
                    f"steps/s on the same {s1['subset']}, in-process: {sub['inproc_steps_per_s']:.0f} vs "
                    f"{base['inproc_steps_per_s']:.0f}; end to end (with process start-up): "
                    f"{sub['steps_per_s']:.0f} vs {base['steps_per_s']:.0f}")
    s2 = facts.get("S2")
    if s2:
        rs = find(samples, "S2", "runsteps", s2["world"])
        if rs and rs["wall_s"]:
            r_issue = rs["wall_s"] / s2["limit_s"]
            r_floor = rs["wall_s"] / s2["bucket_floor_s"]
            add("S2 wall time vs limit", f"{r_issue:.2f}× of N/rate ({s2['limit_s']:.0f}s); "
                                         f"{r_floor:.2f}× of the bucket floor ({s2['bucket_floor_s']:.0f}s)",
                "≤ 1.15×", r_floor <= 1.15,
                f"{s2['min_requests']} requests at {s2['rpm']}/min ({s2['world']}); judged on the bucket floor, "
                "since the emulator's bucket starts full and N/rate can be beaten")
            share = (rs["r429"] or 0) / max(rs["requests"] or 1, 1)
            add("S2 429s", f"{100 * share:.1f}% ({rs['r429']:.0f} of {rs['requests']:.0f})", "≤ 2%", share <= 0.02)
    s3 = facts.get("S3")
    if s3:
        rs = find(samples, "S3", "runsteps", s3["world"])
        bare = find(samples, "S3", "bare", s3["world"])
        if rs and bare and rs["steps_per_s"] and bare["steps_per_s"]:
            share = rs["steps_per_s"] / bare["steps_per_s"]
            inproc = ""
            if rs["inproc_steps_per_s"] and bare["inproc_steps_per_s"]:
                inproc = f"; {100 * rs['inproc_steps_per_s'] / bare['inproc_steps_per_s']:.0f}% without start-up"
            add("S3 steps/s vs bare-fetch ceiling", f"{100 * share:.0f}% ({rs['steps_per_s']:.0f} vs "
                f"{bare['steps_per_s']:.0f} steps/s{inproc})", "≥ 50%", share >= 0.5,
                f"{s3['world']}; end to end, as the user waits")
    s4 = facts.get("S4")
    if s4 and s4["runs"]:
        exact = all(r["actual"] == r["predicted"]["requests"] for r in s4["runs"])
        parts = [f"{r['actual']} vs {r['predicted']['requests']} predicted" for r in s4["runs"]]
        p = s4["runs"][0]["predicted"]
        rows_ok = all(r["rows_match"] for r in s4["runs"])
        add("S4 requests vs prediction", "; ".join(parts) + ("" if rows_ok else " (tables differ from the world!)"),
            "exact", exact and rows_ok,
            f"{p['threads']} threads polled, {p['threads_with_new_runs']} got {p['new_runs']} new runs, "
            f"{p['reopened_runs']} were open; {p['run_list_pages']} run pages + {p['step_pages']} step pages")
    s5 = facts.get("S5")
    if s5:
        big = find(samples, "S5", "runsteps", s5["world"])
        std = None
        for (sc, world, co, kind), group in groups(samples).items():
            if sc == s5.get("std_scenario") and world == s5.get("std_world") and co == "runsteps" and not kind:
                std = agg(group)
        if big and big["peak_rss_mb"]:
            add("S5 peak RSS", f"{big['peak_rss_mb']:.0f} MB", "≤ 500 MB", big["peak_rss_mb"] <= 500,
                f"{s5['world']}: {s5['steps']:,} steps")
            if std and std["peak_rss_mb"]:
                growth = big["peak_rss_mb"] / std["peak_rss_mb"]
                add("S5 RSS growth from the standard world", f"{growth:.2f}× ({std['peak_rss_mb']:.0f} → "
                    f"{big['peak_rss_mb']:.0f} MB)", "< 1.5×", growth < 1.5,
                    f"standard world: runsteps in {s5['std_scenario']} ({s5['std_world']})")
    models = facts.get("models")
    if models:
        ok_runs = [r for r in models["runs"] if r.get("ok")]
        if ok_runs:
            med = statistics.median(r["build_s"] for r in ok_runs)
            add("models build on the S5 world", f"{med:.2f}s (median of {len(ok_runs)})", "< 5 s (1M steps)",
                med < 5, models["world"])
        else:
            add("models build on the S5 world", "failed", "< 5 s (1M steps)", False,
                models["runs"][0].get("error", ""))
    if facts.get("S8"):
        from .s8 import targets as s8_targets

        for what, measured, target, ok, how in s8_targets(list(samples), facts["S8"]):
            add(what, measured, target, ok, how)
    lines = ["| target | measured | goal | verdict | how |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['what']} | {r['measured']} | {r['target']} | {_verdict(r['ok'])} | {r['how']} |")
    return "\n".join(lines), rows


def render(samples: Sequence[Sample], facts: Dict[str, Any], mach: Dict[str, Any], elapsed_s: float,
           loadavg_end: Optional[List[float]] = None) -> str:
    from .responses_bench import SCENARIOS as RESPONSES_SCENARIOS
    from .responses_bench import section as responses_section

    loadavg_end = loadavg_end or [round(x, 2) for x in os.getloadavg()]
    every = samples
    samples = [s for s in every if s.scenario not in RESPONSES_SCENARIOS]  # the Assistants path's
    targets, _ = targets_table(samples, facts)
    plan = facts.get("plan", {})
    versions = sorted({s.extra.get("code", "unknown") for s in every})
    version_line = (f"Loader code (git trees of `pipelines/` and `sql/`): `{versions[0]}`, the same in every row."
                    if len(versions) == 1 else
                    f"⚠ The loader's code (git trees of `pipelines/` and `sql/`) changed during this run "
                    f"({', '.join(versions)}): rows may not be comparable.")
    worlds = facts.get("worlds", {})
    world_lines = [f"- **{name}**: {w['threads']:,} threads, {w['runs']:,} runs, {w['steps']:,} steps"
                   + (f"; {w['min_requests']:,} requests at minimum for a first load" if w.get("min_requests") else "")
                   + f" (`--threads {w['spec']['threads']} --runs-per-thread {w['spec']['runs_per_thread']:g} "
                     f"--steps-per-run {w['spec']['steps_per_run']:g}`)"
                   for name, w in worlds.items()]
    return "\n".join([
        f"# runsteps benchmark ({plan.get('name', '?')} mode)",
        "",
        f"Taken {mach['date']} on {mach['nproc']} × {mach['cpu']}, {mach['memory_gb']} GB RAM, {mach['os']}; "
        f"Python {mach['python']}, dlt {mach['dlt']}, duckdb {mach['duckdb']}, httpx {mach['httpx']}, "
        f"openai {mach['openai']}; HEAD {mach['commit']}. Load average at start "
        f"{mach['loadavg_start']}, at end {loadavg_end}; the machine is shared, so "
        f"the `load avg` column shows how busy it was during each row. Took {elapsed_s / 60:.1f} min.",
        "",
        version_line,
        "",
        "Worlds (emulator, seed 7, clock at its default):",
        *world_lines,
        f"- S1/S2 traffic: {plan.get('s1_traffic')} / {plan.get('s2_traffic')}; runsteps at `--concurrency "
        f"{plan.get('concurrency')}`; medians over {plan.get('repeat')} repeat(s) "
        f"({plan.get('baseline_repeat')} for the baselines).",
        "",
        *([("**Quick mode**: small worlds and one repeat, where process start-up and the rate limit's "
            "initial burst dominate. It proves the harness works; the verdicts below are not a "
            "measurement of the targets (run without `--quick` for that)."), ""]
          if plan.get("name") == "quick" else []),
        *(["## Targets (issue 7)", "", targets, ""] if samples else []),
        *(_s8_section(samples, facts) if facts.get("S8") else []),
        *(["## All runs (medians)", "", results_table(samples), ""] if samples else []),
        *responses_section(list(every), facts),
    ])


def _s8_section(samples: Sequence[Sample], facts: Dict[str, Any]) -> List[str]:
    from .s8 import table

    s8 = facts["S8"]
    grown = [f"- **{name}**: {w['steps']:,} steps ({w['first_load_steps']:,} from the real first load, the rest "
             f"SQL copies), {sum(w['rows_added'].values()):,} rows added in {w['grow_s']:.0f}s"
             + (f", {w['disk_bytes'] / 1e9:.2f} GB" if w.get("disk_bytes") else "")
             for name, w in s8.get("warehouses", {}).items()]
    remerge = s8.get("remerge")
    return [
        "## S8 history at scale (medians)",
        "",
        f"World: {s8['world']}; the incremental load runs after the clock moved {s8['advance_h']:g} h. "
        f"Load step = dlt's `load` step (copy into staging, the merges, state and schema rows); "
        f"state row = the `_dlt_pipeline_state` row that load wrote (all columns as text).",
        "",
        *grown,
        *([f"- **re-merge**: {remerge['export']}"] if remerge else []),
        "",
        table(list(samples), s8),
        "",
    ]


def write(out_dir: Path, samples: Sequence[Sample], facts: Dict[str, Any], mach: Dict[str, Any],
          elapsed_s: float, stem: str = "latest") -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    mach = {**mach, "loadavg_end": [round(x, 2) for x in os.getloadavg()]}
    raw = {"machine": mach, "facts": facts, "elapsed_s": elapsed_s,
           "samples": [{**s.__dict__, "steps_per_s": s.steps_per_s, "inproc_steps_per_s": s.inproc_steps_per_s}
                       for s in samples]}
    (out_dir / f"{stem}.json").write_text(json.dumps(raw, indent=1, default=str))  # first: never lose the data
    md = out_dir / f"{stem}.md"
    md.write_text(render(samples, facts, mach, elapsed_s, mach["loadavg_end"]))
    return md
