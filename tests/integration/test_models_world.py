"""The marts against the emulator's ground truth: `rpt_daily_usage` totals and failure counts by
error code equal the control plane's `/_emulator/expected`, the data tests pass, and every run's
cost equals genai-prices' own price of the world's run at its timestamp, in the marts and in the
report, also when the report runs after a load without `runsteps models`."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import httpx
import pytest
from genai_prices import Usage, calc_price

from runsteps.emulator import Emulator
from runsteps.loading import build_pipeline
from runsteps.models import build_models, run_data_tests
from runsteps.models.destination import fetch_all
from runsteps.report import fmt, report_figures
from tests.models.totals import mart_totals
from tests.helpers import key_env, load_args, run_cli

TERMINAL = {"completed", "failed", "cancelled", "expired", "incomplete"}


@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_marts_equal_the_emulators_expected_totals(flavour, db):
    with Emulator(seed=13, threads=20, flavour=flavour) as emu:
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
        expected = httpx.get(f"{emu.root_url}/_emulator/expected").json()
    pipeline = build_pipeline(db, pipelines_dir=db.with_name(db.name + ".dlt"))
    build_models(pipeline)
    totals = mart_totals(pipeline)
    assert totals["run_tokens"] == expected["run_tokens"]
    want = sorted(({k: e[k] for k in ("model", "day", "runs", "prompt_tokens", "completion_tokens", "total_tokens")}
                   for e in expected["tokens_by_model_day"]), key=lambda r: (str(r["model"]), r["day"]))
    assert totals["tokens_by_model_day"] == want
    assert totals["runs_by_last_error_code"] == expected["runs_by_last_error_code"]
    failing = [(t.name, t.failing_rows, t.sample) for t in run_data_tests(pipeline) if t.failing_rows]
    assert failing == []


def test_models_command_builds_and_tests(db):
    with Emulator(seed=13, threads=6, flavour="openai") as emu:
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
    pdir = str(db.with_name(db.name + ".dlt"))
    first = run_cli("models", "--db", str(db), "--pipelines-dir", pdir, "--test")
    assert first.code == 0, first.err
    assert "data tests passed" in first.out
    again = run_cli("models", "--db", str(db), "--pipelines-dir", pdir, "--test")
    assert again.code == 0, again.err


# --- the costs, recomputed independently ---------------------------------------------------------
#
# Every run of the emulator's world is priced here with genai-prices itself (`calc_price`, at the
# run's created_at), from the world's own objects: never through the marts' SQL or runsteps' price
# lookup. The marts and the report must agree to the cent.

CLOCK_DAY = date(2026, 8, 20)  # the emulator's default clock, 2026-08-20T00:00Z


def genai_cost(model: Optional[str], usage: Optional[Dict[str, int]], created_at: int) -> Optional[Decimal]:
    """genai-prices' price of one run's usage at its creation; None when it has no price or no usage."""
    if not model or not usage:
        return None
    moment = datetime.fromtimestamp(created_at, tz=timezone.utc)
    tokens = Usage(input_tokens=usage["prompt_tokens"], output_tokens=usage["completion_tokens"])
    for provider in ("openai", None):  # OpenAI's list first, as for the Assistants API's own models
        try:
            return calc_price(tokens, model, provider_id=provider, genai_request_timestamp=moment).total_price
        except LookupError:
            continue
    return None


def world_costs(emu: Emulator) -> Dict[str, Tuple[date, Optional[Decimal]]]:
    """run id -> (UTC day of created_at, genai-prices cost), for every run the world shows now."""
    out = {}
    for thread_id in emu.world.thread_ids():
        for run in emu.world.runs(thread_id):
            day = datetime.fromtimestamp(run["created_at"], tz=timezone.utc).date()
            out[run["id"]] = (day, genai_cost(run.get("model"), run.get("usage"), run["created_at"]))
    return out


# Tools that run in the caller's code or server, or cost the model's tokens only: no fee to price.
TOKENS_ONLY_TOOLS = {"function", "mcp", "openapi", "azure_function", "connected_agent"}


def world_tool_calls(world: Any) -> Counter:
    """Tool calls of every run's steps in the world, by type."""
    out: Counter = Counter()
    for thread_id in world.thread_ids():
        for run in world.runs(thread_id):
            for step in world.steps(thread_id, run["id"]):
                details = step.get("step_details") or {}
                for call in details.get("tool_calls") or []:
                    out[call["type"]] += 1
    return out


def period_cost(costs: Dict[str, Tuple[date, Optional[Decimal]]], start: date, end: date) -> Decimal:
    return sum((c for d, c in costs.values() if start <= d < end and c is not None), Decimal(0))


def cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("flavour", ["openai", "azure", "foundry"])
def test_every_runs_cost_equals_genai_prices_at_its_timestamp(flavour, db):
    with Emulator(seed=13, threads=20, flavour=flavour) as emu:
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
        want = world_costs(emu)
        emu_world = emu.world
    pipeline = build_pipeline(db, pipelines_dir=db.with_name(db.name + ".dlt"))
    build_models(pipeline)
    with pipeline.sql_client() as client:
        got = {run_id: cost for run_id, cost in fetch_all(client, "select run_id, cost_usd from analytics.fct_runs")}

    assert got.keys() == want.keys()
    wrong = {run_id: (got[run_id], str(cost)) for run_id, (_, cost) in want.items()
             if (cost is None) != (got[run_id] is None) or (cost is not None and abs(Decimal(str(got[run_id])) - cost) >= Decimal("0.005"))}
    assert wrong == {}
    assert sum(c is not None for _, c in want.values()) > 0.8 * len(want)  # most runs are priced

    # The Assistants API bills no tool call per call (file search is vector-store storage, code
    # interpreter a session): no tool fee in any cost, and every such call listed, never a silent $0.
    # Calls that cost tokens only (functions, MCP, OpenAPI, Azure Functions, connected agents) are not.
    calls = world_tool_calls(emu_world)
    with pipeline.sql_client() as client:
        fees = fetch_all(client, "select sum(billed_web_search_calls + billed_file_search_calls), "
                                 "count(case when cost_usd is not null and tool_cost_usd <> 0 then 1 end), "
                                 "sum(file_search_calls), sum(code_interpreter_calls), sum(unpriced_tool_calls) "
                                 "from analytics.fct_runs")
        listed = dict(fetch_all(client, "select tool_type, sum(calls) from analytics.unpriced_tool_calls "
                                        "where api = 'assistants' group by tool_type"))
    assert fees == [(0, 0, calls["file_search"], calls["code_interpreter"], sum(listed.values()))]
    want_listed = {t: n for t, n in calls.items() if t not in TOKENS_ONLY_TOOLS}
    assert {t: int(n) for t, n in listed.items()} == want_listed
    assert want_listed["file_search"] > 0 and want_listed["code_interpreter"] > 0

    # the report's headline cost for yesterday, 7 and 30 days, against the same recomputation
    now = datetime.combine(CLOCK_DAY, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=6)
    figures = report_figures(pipeline, now=now)
    for key, days in (("yesterday", 1), ("last_7_days", 7), ("last_30_days", 30)):
        start = CLOCK_DAY - timedelta(days=days)
        period = figures["periods"][key]
        assert (period["start"], period["end"]) == (start, CLOCK_DAY)
        assert cents(period["current"]["cost_usd"]) == cents(period_cost(want, start, CLOCK_DAY)), key
        assert period["current"]["list_price_estimate_cost_usd"] == pytest.approx(period["current"]["cost_usd"])


def test_load_then_report_without_models_prices_the_new_days(db, tmp_path):
    """Audit finding 2: after `load` and `report`, with no `models` in between, a new day had no price
    ("yesterday" read $0.32 against $19.07). The report must price what was loaded since the build."""
    pdir = str(db.with_name(db.name + ".dlt"))
    with Emulator(seed=13, threads=20, flavour="openai") as emu:
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
        assert run_cli("models", "--db", str(db), "--pipelines-dir", pdir).code == 0
        emu.advance(30 * 3600)  # to 2026-08-21 06:00: a whole new day of runs, 2026-08-20
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
        want = world_costs(emu)

    new_day = CLOCK_DAY
    assert period_cost(want, new_day, new_day + timedelta(days=1)) > 0, "the new day has priced usage"
    result = run_cli("report", "--db", str(db), "--pipelines-dir", pdir, "--out", str(tmp_path / "r.html"))
    assert result.code == 0, result.err

    pipeline = build_pipeline(db, pipelines_dir=Path(pdir))
    with pipeline.sql_client() as client:  # the report priced every run: nothing left uncovered
        assert fetch_all(client, "select count(*) from analytics.fct_runs where model is not null and "
                                 "model <> 'acme-internal-llm-v1' and not is_priced") == [(0,)]
    cost_line = next(line for line in result.out.splitlines() if line.startswith("Cost:"))
    assert f"yesterday {fmt.money(float(period_cost(want, new_day, new_day + timedelta(days=1))))}" in cost_line
    assert "o3" not in result.out.split("Warnings:")[-1], "no 'add prices for o3' advice: o3 has a price"
    figures = report_figures(pipeline, now=datetime(2026, 8, 21, 7, tzinfo=timezone.utc))
    assert figures["periods"]["yesterday"]["start"] == new_day
    assert cents(figures["periods"]["yesterday"]["current"]["cost_usd"]) == cents(
        period_cost(want, new_day, new_day + timedelta(days=1)))
