"""The benchmark's Responses path (benchmarks/responses_bench.py) runs end to end on a tiny Foundry world:
every contender loads what the emulator's ground truth holds, the incremental load makes exactly the
predicted requests, and the report shows the Responses section. (A harness check, not a timing.)"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from benchmarks import report
from benchmarks.emulator_proc import ResponsesWorldSpec, Traffic
from benchmarks.scenarios import QUICK, Bench


def test_responses_scenarios_run_end_to_end_on_a_tiny_world(tmp_path: Path):
    # R2 differs from R1 only by the emulator's rate limit; R3's baselines are R1's contenders.
    plan = dataclasses.replace(
        QUICK, name="tiny", repeat=1, r_baseline_repeat=1, s3_baselines=False,
        r_std=ResponsesWorldSpec("tiny standard", conversations=12),
        r_small=ResponsesWorldSpec("tiny small", conversations=5), s1_traffic=Traffic(latency_ms=5))
    bench = Bench(plan, tmp_path, log=lambda line: None)
    for scenario in ("r3", "r1", "r4"):
        getattr(bench, scenario)()

    samples = bench.samples
    assert {(s.scenario, s.contender) for s in samples} == {
        ("R3", "bare"), ("R3", "runsteps"), ("R1", "bare"), ("R1", "runsteps"), ("R1", "rest_api"),
        ("R4", "runsteps")}
    for s in samples:
        assert s.ok, (s.scenario, s.contender, s.note)
        # every row kind each contender keeps equals the emulator's ground truth (bare keeps two)
        assert s.extra["rows"] and s.extra["rows"] == {k: s.extra["expected_rows"][k] for k in s.extra["rows"]}, s.note
        assert s.steps == s.expected_steps

    worlds = bench.facts["responses_worlds"]
    std, small = worlds["tiny standard"], worlds["tiny small"]
    assert std["responses"] > small["responses"] > 0
    first_loads = [s for s in samples if s.contender == "runsteps" and "incremental" not in s.note]
    for s in first_loads:  # a first load: the listing's pages, one fetch per response, and the conversations
        w = std if "tiny standard" in s.world else small
        assert w["conversation_requests"] > 0
        assert s.requests == w["min_requests"] == -(-w["responses"] // 100) + w["responses"] + w["conversation_requests"]

    r4 = bench.facts["R4"]
    assert r4["rows_match"] and r4["actual"] == r4["predicted"]["requests"]
    assert r4["predicted"]["listing_pages"] >= 1

    md = report.render(samples, bench.facts, report.machine(), 1.0)
    assert "## Responses API (issue 15)" in md
    assert "| R1 wall time vs limit |" in md and "| R4 requests vs prediction |" in md
    assert "⚠ |" not in md  # no row's counts differ from the world
    assert "## Targets (issue 7)" not in md  # no Assistants scenario ran
