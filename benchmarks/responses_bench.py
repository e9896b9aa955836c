"""The Responses path (issue 15): S1-S4 for `runsteps load --api responses` on a Foundry project.

Scenario ids R1-R4 (`--responses-only`, or `--scenarios R1,R3`) mirror S1-S4 of the Assistants path:

- **R3** CPU-bound, no latency: runsteps on the standard Responses world against a bare httpx fetch of
  the same requests; on the small world also dlt's `rest_api` baseline.
- **R1** latency-bound (100 ms ± 20 ms): runsteps on the standard world against its limit
  (`ResponsesCensus.limit_s`); runsteps and dlt's `rest_api` on the small world, responses/s.
- **R2** rate-bound: the small world under S2's token bucket; a fresh emulator (bucket) per repeat.
- **R4** incremental: a first load, the clock moves an hour, a second load whose requests must equal
  the prediction of `responses_census.predict_incremental`.

Every contender run is checked against the emulator's ground truth (responses, output items,
file-search results, code-interpreter outputs) before its time counts: a mismatch marks the row ⚠.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from .contenders import REPO, last_json_line, runsteps_seconds
from .emulator_proc import API_KEY, EmulatorProcess, ResponsesWorldSpec, Traffic, api_requests, api_status_count
from .measure import run_measured
from .responses_census import (ResponsesCensus, predict_incremental, responses_census, snapshot_conversations,
                               snapshot_responses)
from .responses_contenders import LABELS, command_for, count_rows, env_for

if TYPE_CHECKING:
    from .scenarios import Bench, Sample

SCENARIOS = ("R3", "R1", "R2", "R4")
TITLES = {"R1": "S1 latency-bound", "R2": "S2 rate-bound", "R3": "S3 CPU-bound", "R4": "S4 incremental"}


def census(bench: "Bench", spec: ResponsesWorldSpec, emu: EmulatorProcess) -> ResponsesCensus:
    c = responses_census(emu.expected(), emu.response_ids())
    c.conversation_requests = snapshot_conversations(emu.base_url, API_KEY).requests
    if spec.name not in bench.facts.setdefault("responses_worlds", {}):
        bench.log(f"  census of {spec.name}: {c.responses} responses ({c.open_responses} open), "
                  f"{c.rows['output_items']} output items; {c.listing_pages} listing pages + {c.responses} fetches "
                  f"+ {c.conversation_requests} for the conversations = {c.requests} requests at minimum")
        bench.facts["responses_worlds"][spec.name] = {
            "spec": asdict(spec), "describe": spec.describe(), "responses": c.responses, "rows": c.rows,
            "open_responses": c.open_responses, "listing_pages": c.listing_pages,
            "conversation_requests": c.conversation_requests, "min_requests": c.requests}
    return c


def world_label(spec: ResponsesWorldSpec, c: ResponsesCensus) -> str:
    return f"{spec.name}, {c.responses:,} responses"


def run(bench: "Bench", scenario: str, world: str, contender: str, emu: EmulatorProcess,
        expected: Optional[Dict[str, int]], repeat: int, db: Optional[Path] = None, keep_db: bool = False,
        note: str = "") -> "Sample":
    """Measure one contender run (the emulator's counters reset first); rows checked against `expected`."""
    from .scenarios import Sample, code_version

    bench._n += 1
    rundir = bench.workdir / f"{bench._n:03d}-{scenario}-{contender}"
    rundir.mkdir(parents=True, exist_ok=True)
    db = db or rundir / "db.duckdb"
    cmd = command_for(contender, emu.base_url, db, rundir, bench.plan.concurrency)
    version = code_version()
    emu.reset_stats()
    cpu0 = emu.cpu_seconds()
    load = os.getloadavg()[0]
    m = run_measured(cmd, env=env_for(API_KEY), cwd=REPO, log_to=rundir / "child", timeout=3 * 3600)
    stats = emu.stats()
    cpu1 = emu.cpu_seconds()
    child = last_json_line(m.stdout)
    rows: Dict[str, Any] = count_rows(contender, db) if m.ok else {}
    if contender == "bare" and m.ok:
        rows = {"responses": child.get("responses"), "output_items": child.get("output_items")}
    got = rows.get("responses")
    sample = Sample(scenario=scenario, world=world, contender=contender, repeat=repeat, ok=m.ok, wall_s=m.wall_s,
                    requests=api_requests(stats), r429=api_status_count(stats, "429"), steps=got,
                    expected_steps=(expected or {}).get("responses"), peak_rss_mb=m.peak_rss_mb, loadavg_1m=load,
                    emulator_cpu_s=(cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None,
                    inproc_s=(runsteps_seconds(m.stdout) if contender == "runsteps"
                              else child.get("seconds_in_process")) if m.ok else None,
                    note=note, extra={"rows": rows, "expected_rows": expected, "code": version,
                                      **{k: v for k, v in child.items() if k != "seconds_in_process"}})
    if not m.ok:
        sample.note = (note + " " if note else "") + f"FAILED (exit {m.returncode}{', timeout' if m.timed_out else ''})"
        bench.log(f"    ! {contender} failed; last output:\n{m.tail(20)}")
    elif expected is not None:
        wrong = {k: (v, expected[k]) for k, v in rows.items() if v is not None and v != expected.get(k)}
        if wrong:
            sample.note = (note + " " if note else "") + "; ".join(f"{k} {a} != expected {b}"
                                                                   for k, (a, b) in wrong.items())
    bench.samples.append(sample)
    bench.log(f"    {scenario} {contender:<9} {world:<32} {m.wall_s:7.1f}s  {sample.requests:6d} req  "
              f"{sample.r429:4d}×429  {got if got is not None else '-':>7} responses  "
              f"{m.peak_rss_mb:6.0f} MB  load {load:.1f}" + (f"  [{sample.note}]" if sample.note else ""))
    if not keep_db:
        shutil.rmtree(rundir / "db.duckdb.dlt", ignore_errors=True)
        shutil.rmtree(rundir / "rest_api.dlt", ignore_errors=True)
        for p in rundir.glob("db.duckdb*"):
            if p.is_file():
                p.unlink()
    return sample


def _emulator(bench: "Bench", spec: ResponsesWorldSpec, traffic: Traffic = Traffic()) -> EmulatorProcess:
    return EmulatorProcess(spec, traffic, log_dir=bench.workdir)


# --- the scenarios -----------------------------------------------------------------------------------


def r3(bench: "Bench") -> None:
    p = bench.plan
    bench.log(f"R3 (Responses) CPU-bound: {p.r_std.describe()}, no latency")
    with _emulator(bench, p.r_std) as emu:
        c = census(bench, p.r_std, emu)
        world = world_label(p.r_std, c)
        for i in range(p.repeat):
            run(bench, "R3", world, "bare", emu, c.rows, i)
            run(bench, "R3", world, "runsteps", emu, c.rows, i)
    bench.facts["R3"] = {"world": world, "min_requests": c.requests}
    if p.s3_baselines:
        with _emulator(bench, p.r_small) as emu:
            c = census(bench, p.r_small, emu)
            small = world_label(p.r_small, c)
            for i in range(p.r_baseline_repeat):
                for contender in ("bare", "runsteps", "rest_api"):
                    run(bench, "R3", small, contender, emu, c.rows, i)
        bench.facts["R3"]["small"] = small


def r1(bench: "Bench") -> None:
    p = bench.plan
    lat = p.s1_traffic.mean_latency_ms / 1000
    bench.log(f"R1 (Responses) latency-bound: {p.r_std.describe()}, {p.s1_traffic.describe()}")
    with _emulator(bench, p.r_std, p.s1_traffic) as emu:
        c = census(bench, p.r_std, emu)
        world = world_label(p.r_std, c)
        for i in range(p.repeat):
            # The bare fetch under the same latency: what the best plain httpx client reaches on this
            # machine now (on a shared 2-core machine, CPU contention alone can put it above the limit).
            run(bench, "R1", world, "bare", emu, c.rows, i)
            run(bench, "R1", world, "runsteps", emu, c.rows, i)
    facts = {"world": world, "latency_s": lat, "concurrency": p.concurrency, "min_requests": c.requests,
             "listing_pages": c.listing_pages, "responses": c.responses,
             "limit_s": c.limit_s(lat, p.concurrency), "listing_first_s": c.listing_first_s(lat, p.concurrency)}
    with _emulator(bench, p.r_small, p.s1_traffic) as emu:
        cs = census(bench, p.r_small, emu)
        small = world_label(p.r_small, cs)
        for i in range(p.repeat):
            run(bench, "R1", small, "runsteps", emu, cs.rows, i)
        for i in range(p.r_baseline_repeat):
            run(bench, "R1", small, "rest_api", emu, cs.rows, i)
    facts.update(small=small, small_limit_s=cs.limit_s(lat, p.concurrency), small_min_requests=cs.requests)
    bench.facts["R1"] = facts


def r2(bench: "Bench") -> None:
    p = bench.plan
    bench.log(f"R2 (Responses) rate-bound: {p.r_small.describe()}, {p.s2_traffic.describe()}")
    with _emulator(bench, p.r_small, p.s2_traffic) as emu:
        c = census(bench, p.r_small, emu)
        world = world_label(p.r_small, c)
        for i in range(p.repeat):
            if i:  # a fresh bucket for every repeat
                emu.stop()
                emu.start()
            run(bench, "R2", world, "runsteps", emu, c.rows, i)
    n, rpm = c.requests, p.s2_traffic.rate_limit_rpm or 0
    lat = p.s2_traffic.mean_latency_ms / 1000
    bench.facts["R2"] = {"world": world, "min_requests": n, "rpm": rpm, "limit_s": n / (rpm / 60.0),
                         "bucket_floor_s": max(c.limit_s(lat, p.concurrency), max(0, n - rpm) / (rpm / 60.0))}


def r4(bench: "Bench") -> None:
    p = bench.plan
    bench.log(f"R4 (Responses) incremental: {p.r_std.describe()}, advance {p.advance_s}s, no latency")
    with _emulator(bench, p.r_std) as emu:  # a fresh clock
        c = census(bench, p.r_std, emu)
        world = world_label(p.r_std, c)
        rundir = bench.workdir / "r4"
        rundir.mkdir(exist_ok=True)
        db = rundir / "db.duckdb"
        first = run(bench, "R4", world, "runsteps", emu, c.rows, 0, db=db, keep_db=True, note="first load")
        before = snapshot_responses(emu.base_url, API_KEY, p.concurrency)
        conversations_before = snapshot_conversations(emu.base_url, API_KEY, p.concurrency)
        emu.advance(p.advance_s)
        predicted = predict_incremental(emu.base_url, API_KEY, before, p.concurrency, conversations_before)
        after = responses_census(emu.expected(), emu.response_ids())
        second = run(bench, "R4", f"{world}, +{p.advance_s}s", "runsteps", emu, after.rows, 0, db=db, keep_db=True,
                     note="incremental")
        rows_ok = second.ok and second.extra["rows"] == after.rows
        second.note += f"; predicted {predicted.requests}"
        bench.log(f"      predicted {predicted.requests} requests ({predicted.listing_pages} listing pages after "
                  f"the watermark, {predicted.new_responses} new responses, {predicted.reopened} open last time); "
                  f"made {second.requests}; tables {'match' if rows_ok else 'DIFFER from'} the world")
        bench.facts["R4"] = {"world": world, "predicted": asdict(predicted), "actual": second.requests,
                             "rows_match": rows_ok, "first_load_requests": first.requests,
                             "responses_after": after.responses}
        shutil.rmtree(rundir, ignore_errors=True)


# --- the report ----------------------------------------------------------------------------------------


def targets(samples: List["Sample"], facts: Dict[str, Any]) -> List[Tuple[str, str, str, Optional[bool], str]]:
    """(what, measured, goal, met, how) rows: the Assistants path's goals, on the Responses path."""
    from .report import find

    rows: List[Tuple[str, str, str, Optional[bool], str]] = []
    r1 = facts.get("R1")
    if r1:
        rs = find(samples, "R1", "runsteps", r1["world"])
        if rs and rs["wall_s"]:
            ratio = rs["wall_s"] / r1["limit_s"]
            inproc = f"; {rs['inproc_s'] / r1['limit_s']:.2f}× without start-up" if rs["inproc_s"] else ""
            rows.append(("R1 wall time vs limit", f"{ratio:.2f}× ({rs['wall_s']:.1f}s vs {r1['limit_s']:.1f}s{inproc})",
                         "≤ 1.3×", ratio <= 1.3,
                         f"limit = max({r1['min_requests']} requests × {r1['latency_s'] * 1000:.0f} ms / "
                         f"{r1['concurrency']}, {r1['listing_pages']} + 1 chained listing pages × "
                         f"{r1['latency_s'] * 1000:.0f} ms) ({r1['world']}); listing first, then fetching: "
                         f"{r1['listing_first_s']:.1f}s ({rs['wall_s'] / r1['listing_first_s']:.2f}×)"))
        bare = find(samples, "R1", "bare", r1["world"])
        if rs and rs["wall_s"] and bare and bare["wall_s"]:
            rows.append(("R1 wall time vs the bare fetch under the same latency",
                         f"{rs['wall_s'] / bare['wall_s']:.2f}× ({rs['wall_s']:.1f}s vs {bare['wall_s']:.1f}s; "
                         f"the bare fetch is {bare['wall_s'] / r1['limit_s']:.2f}× the limit)", "–", None,
                         "how far this machine, as busy as it was, let the best plain httpx client get "
                         "(it overlaps the listing with the fetches)"))
        sub = find(samples, "R1", "runsteps", r1["small"])
        base = find(samples, "R1", "rest_api", r1["small"])
        if sub and base and sub["inproc_steps_per_s"] and base["inproc_steps_per_s"]:
            ratio = sub["inproc_steps_per_s"] / base["inproc_steps_per_s"]
            e2e = (sub["steps_per_s"] or 0) / max(base["steps_per_s"] or 1, 1e-9)
            rows.append((f"R1 speed vs {LABELS['rest_api']}", f"{ratio:.1f}× in-process ({e2e:.1f}× end to end)",
                         "≥ 5×", ratio >= 5.0,
                         f"responses/s on the same {r1['small']}, in-process: {sub['inproc_steps_per_s']:.0f} vs "
                         f"{base['inproc_steps_per_s']:.0f}; end to end: {sub['steps_per_s']:.0f} vs "
                         f"{base['steps_per_s']:.0f}"))
    r2 = facts.get("R2")
    if r2:
        rs = find(samples, "R2", "runsteps", r2["world"])
        if rs and rs["wall_s"]:
            r_floor = rs["wall_s"] / r2["bucket_floor_s"]
            rows.append(("R2 wall time vs limit", f"{rs['wall_s'] / r2['limit_s']:.2f}× of N/rate ({r2['limit_s']:.0f}s); "
                         f"{r_floor:.2f}× of the bucket floor ({r2['bucket_floor_s']:.0f}s)", "≤ 1.15×",
                         r_floor <= 1.15, f"{r2['min_requests']} requests at {r2['rpm']}/min ({r2['world']})"))
            share = (rs["r429"] or 0) / max(rs["requests"] or 1, 1)
            rows.append(("R2 429s", f"{100 * share:.1f}% ({rs['r429']:.0f} of {rs['requests']:.0f})", "≤ 2%",
                         share <= 0.02, ""))
    r3 = facts.get("R3")
    if r3:
        rs = find(samples, "R3", "runsteps", r3["world"])
        bare = find(samples, "R3", "bare", r3["world"])
        if rs and bare and rs["steps_per_s"] and bare["steps_per_s"]:
            share = rs["steps_per_s"] / bare["steps_per_s"]
            inproc = ""
            if rs["inproc_steps_per_s"] and bare["inproc_steps_per_s"]:
                inproc = f"; {100 * rs['inproc_steps_per_s'] / bare['inproc_steps_per_s']:.0f}% without start-up"
            rows.append(("R3 responses/s vs bare-fetch ceiling", f"{100 * share:.0f}% ({rs['steps_per_s']:.0f} vs "
                         f"{bare['steps_per_s']:.0f} responses/s{inproc})", "≥ 50%", share >= 0.5,
                         f"{r3['world']}; end to end"))
    r4 = facts.get("R4")
    if r4:
        p = r4["predicted"]
        rows.append(("R4 requests vs prediction", f"{r4['actual']} vs {p['requests']} predicted"
                     + ("" if r4["rows_match"] else " (tables differ from the world!)"), "exact",
                     r4["actual"] == p["requests"] and r4["rows_match"],
                     f"{p['listing_pages']} listing page(s) after the watermark + {p['fetches']} fetches "
                     f"({p['new_responses']} new responses, {p['reopened']} open at the first load)"))
    return rows


def section(samples: List["Sample"], facts: Dict[str, Any]) -> List[str]:
    """The report's Responses section: worlds, targets and the runs table (responses, not steps)."""
    from .report import results_table

    mine = [s for s in samples if s.scenario in SCENARIOS]
    if not mine:
        return []
    worlds = [f"- {w['describe']}: {w['responses']:,} responses ({w['open_responses']} open), "
              f"{w['rows']['output_items']:,} output items, {w['rows']['file_search_results']:,} file-search results, "
              f"{w['rows']['code_interpreter_outputs']:,} code-interpreter outputs; {w['min_requests']:,} requests at "
              f"minimum ({w['listing_pages']} listing pages + one fetch per response)"
              for w in facts.get("responses_worlds", {}).values()]
    lines = ["| target | measured | goal | verdict | how |", "|---|---|---|---|---|"]
    for what, measured, goal, ok, how in targets(mine, facts):
        verdict = "–" if ok is None else ("✅ met" if ok else "❌ not met")
        lines.append(f"| {what} | {measured} | {goal} | {verdict} | {how} |")
    plan = facts.get("plan", {})
    how = (f"- R1/R2 traffic as S1/S2 ({plan.get('s1_traffic')} / {plan.get('s2_traffic')}); runsteps at "
           f"`--concurrency {plan.get('concurrency')}`; medians over {plan.get('repeat')} repeat(s), "
           f"{plan.get('r_baseline_repeat')} for dlt `rest_api`. Rows are checked against the emulator's ground "
           "truth (responses, output items, file-search results, code-interpreter outputs); ⚠ marks a mismatch.")
    return ["## Responses API (issue 15): `runsteps load --api responses --provider foundry`", "",
            *worlds, how, "", *lines, "", "### Responses runs (medians)", "",
            results_table(mine, unit="responses", titles=TITLES, labels=LABELS), ""]
