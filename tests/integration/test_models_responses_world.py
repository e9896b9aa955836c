"""The Responses API in the marts, against the emulator's world: every response's cost equals
genai-prices' own price of the world's response (cached input at the cache-read price, web and
file searches at genai-prices' per-call prices) at its timestamp, to the cent, for OpenAI (model
names) and Foundry (deployment names, priced through the shipped `seeds/deployments.csv`); an
unmapped deployment is unpriced, never $0; a tool call without a per-call price is listed, never
$0; the report's headline costs over both APIs equal the recount; the data tests pass on a
warehouse holding both APIs."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest
from genai_prices import Usage, calc_price

from runsteps.emulator import Emulator
from runsteps.emulator.responses_vocab import FOUNDRY_DEPLOYMENTS
from runsteps.loading import build_pipeline
from runsteps.models import build_models, run_data_tests
from runsteps.models.destination import fetch_all
from runsteps.report import report_figures
from tests.helpers import key_env, load_args, run_cli
from tests.integration.test_models_world import CLOCK_DAY, cents
from tests.integration.test_models_world import world_costs as assistants_world_costs
from tests.responses_truth import responses_args

SEED_FILE = Path(__file__).resolve().parents[2] / "sql" / "seeds" / "deployments.csv"
UNMAPPED_DEPLOYMENT = "acme-llm-canary"  # on purpose in no seed and no price list


def seed_deployments() -> Dict[str, str]:
    """The shipped seed, read as plain CSV: the input data the marts are meant to price with."""
    with SEED_FILE.open(newline="", encoding="utf-8") as handle:
        return {row["deployment"]: row["model"] for row in csv.DictReader(handle)}


# The tools OpenAI bills per call, as the world's output item types, and genai-prices' usage keys for
# them: web searches and file searches (genai-prices calls the latter storage searches).
PER_CALL_TOOLS = {"web_search_call": "web_searches", "file_search_call": "storage_searches"}
# Hosted tools with a fee that is not per call or not in genai-prices (code interpreter sessions,
# image generation, Foundry's Bing and Azure AI Search resources, a type nobody knows yet): their
# calls must be listed in unpriced_tool_calls. Function, MCP, computer, custom, OpenAPI and Azure
# Function calls cost tokens only and are not listed.
BILLED_OTHERWISE = {"code_interpreter_call", "image_generation_call", "bing_grounding_call",
                    "azure_ai_search_call", "quantum_oracle_call"}


def _price(tokens: Usage, model: str, moment: datetime) -> Optional[Decimal]:
    for provider in ("openai", None):
        try:
            return calc_price(tokens, model, provider_id=provider, genai_request_timestamp=moment).total_price
        except LookupError:
            continue
    return None


@dataclass
class WorldResponse:
    """One response of the world, priced by genai-prices itself.

    Attributes:
        cost: the whole cost (tokens and per-call tool fees), None without a price or usage.
        calls: the response's tool-call items by type.
        fees: per-call tool -> its fee (0 without calls), None when genai-prices has no per-call
            price for the model although there are calls.
    """

    day: date
    model: Optional[str]
    usage: dict
    cost: Optional[Decimal]
    calls: Counter = field(default_factory=Counter)
    fees: Dict[str, Optional[Decimal]] = field(default_factory=dict)


def genai_response(model: Optional[str], obj: dict) -> WorldResponse:
    """genai-prices' price of one response at its creation: tokens (cache reads at their own price)
    and the per-call tools, counted from its output items."""
    moment = datetime.fromtimestamp(obj["created_at"], tz=timezone.utc)
    calls = Counter(item["type"] for item in obj.get("output") or [])
    usage = obj.get("usage") or {}
    out = WorldResponse(moment.date(), model, usage, None, calls)
    if not model or not usage:
        return out
    tools = {key: calls[item_type] for item_type, key in PER_CALL_TOOLS.items()}
    tokens = Usage(input_tokens=usage["input_tokens"],
                   cache_read_tokens=(usage.get("input_tokens_details") or {}).get("cached_tokens") or 0,
                   output_tokens=usage["output_tokens"], **tools)
    out.cost = _price(tokens, model, moment)
    for item_type, key in PER_CALL_TOOLS.items():
        fee = _price(Usage(**{key: calls[item_type]}), model, moment) if calls[item_type] else Decimal(0)
        # genai-prices prices a count it has no price for at $0: the marts must list those calls
        out.fees[item_type] = None if calls[item_type] and not fee else fee
    return out


def world_costs(emu: Emulator, deployments: Dict[str, str]) -> Dict[str, WorldResponse]:
    """response id -> its genai-prices figures, for every response the world holds."""
    out = {}
    for rid in emu.world.response_ids(retained_only=True):
        obj = emu.world.response(rid)
        out[rid] = genai_response(deployments.get(obj.get("model"), obj.get("model")), obj)
    return out


def test_the_seed_maps_every_emulator_deployment_but_the_unmapped_one():
    assert set(seed_deployments()) == set(FOUNDRY_DEPLOYMENTS) - {UNMAPPED_DEPLOYMENT}


@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_every_responses_cost_equals_genai_prices_with_cache_reads_and_tool_calls(flavour, db):
    # an Assistants history and a Responses history in one dataset
    with Emulator(seed=13, threads=6, flavour=flavour) as emu:
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
        assistants_want = assistants_world_costs(emu)
    with Emulator(api="responses", flavour=flavour, seed=11, conversations=16, responses_per_conversation=6) as emu:
        ids = emu.world.response_ids(retained_only=True)
        assert run_cli(*responses_args(emu, db, response_ids=ids), env=key_env(emu)).code == 0
        want = world_costs(emu, seed_deployments() if flavour == "foundry" else {})
    pipeline = build_pipeline(db, pipelines_dir=db.with_name(db.name + ".dlt"))
    build_models(pipeline)
    with pipeline.sql_client() as client:
        rows = fetch_all(client, "select run_id, model, cost_usd, cost_basis, cached_input_tokens, reasoning_tokens, "
                                 "billed_web_search_calls, billed_file_search_calls, web_search_cost_usd, "
                                 "file_search_cost_usd, unpriced_tool_calls "
                                 "from analytics.fct_runs where api = 'responses'")
        unpriced = {m for (m,) in fetch_all(client, "select model from analytics.unpriced_models")}
        daily = fetch_all(client, "select api, sum(cost_usd), sum(tool_cost_usd) from analytics.rpt_daily_usage "
                                  "group by api")
        listed = fetch_all(client, "select model, tool_type, reason, calls from analytics.unpriced_tool_calls "
                                   "where api = 'responses'")
    got = {r[0]: r for r in rows}

    assert got.keys() == want.keys()
    wrong = {rid: (got[rid][2], str(w.cost)) for rid, w in want.items()
             if (w.cost is None) != (got[rid][2] is None)
             or (w.cost is not None and abs(Decimal(str(got[rid][2])) - w.cost) >= Decimal("0.005"))}
    assert wrong == {}
    priced = [rid for rid, w in want.items() if w.cost is not None]
    assert len(priced) > 0.5 * len(want)
    assert {got[rid][3] for rid in priced} == {"list_price_with_cache_discount"}
    # token classes straight from the world's usage
    for rid, w in want.items():
        if w.usage:
            assert got[rid][4] == w.usage["input_tokens_details"]["cached_tokens"]
            assert got[rid][5] == w.usage["output_tokens_details"]["reasoning_tokens"]
    assert any(got[rid][4] for rid in priced), "some priced responses read from cache"

    # tool calls billed per call: counted from the world's items, each fee to the cent, in cost_usd
    for rid, w in want.items():
        assert (got[rid][6], got[rid][7]) == (w.calls["web_search_call"], w.calls["file_search_call"]), rid
        if w.cost is None:
            continue
        for column, item_type in ((8, "web_search_call"), (9, "file_search_call")):
            fee = w.fees[item_type]
            assert (got[rid][column] is None) == (fee is None), (rid, item_type)
            if fee is not None:
                assert abs(Decimal(str(got[rid][column])) - fee) < Decimal("0.000001"), (rid, item_type)
    fees = [w.fees[t] for w in want.values() if w.cost is not None for t in PER_CALL_TOOLS if w.fees[t]]
    assert len(fees) > 5, "the world has priced web and file searches"
    tool_total = sum(fees, Decimal(0))

    # every call with a fee in no cost is listed, never a silent $0: per-call tools without a price
    # for the model (by model as the runs report it), and hosted tools billed otherwise (by type)
    model_of = {rid: got[rid][1] for rid in want}
    want_unpriced: Counter = Counter()
    want_hosted: Counter = Counter()
    for rid, w in want.items():
        for item_type in PER_CALL_TOOLS:
            if w.calls[item_type] and w.cost is not None and w.fees[item_type] is None:
                want_unpriced[(model_of[rid], item_type[: -len("_call")])] += w.calls[item_type]
        for item_type in BILLED_OTHERWISE & set(w.calls):
            want_hosted[item_type[: -len("_call")]] += w.calls[item_type]
    got_unpriced: Counter = Counter()
    got_hosted: Counter = Counter()
    for model, tool_type, reason, calls in listed:
        if reason == "no per-call price for the model":
            got_unpriced[(model, tool_type)] += calls
        else:
            got_hosted[tool_type] += calls
    # responses without a token price are unpriced as a whole (unpriced_models); the rest must match
    assert {k: v for k, v in got_unpriced.items() if k in want_unpriced} == want_unpriced
    assert sum(want_unpriced.values()) > 0, "the world has searches on a model without a per-call price"
    assert got_hosted == want_hosted and sum(want_hosted.values()) > 0

    # the day totals of all responses, to the cent, in rpt_daily_usage
    total = sum((w.cost for w in want.values() if w.cost is not None), Decimal(0))
    by_api = {api: (cost, tools) for api, cost, tools in daily}
    assert cents(by_api["responses"][0]) == cents(total)
    assert cents(by_api["responses"][1]) == cents(tool_total)
    if flavour == "foundry":
        models = {got[rid][1] for rid in want}
        assert models <= set(FOUNDRY_DEPLOYMENTS)
        if UNMAPPED_DEPLOYMENT in models:
            assert UNMAPPED_DEPLOYMENT in unpriced
            assert all(got[rid][2] is None for rid in want if got[rid][1] == UNMAPPED_DEPLOYMENT)

    # the report's headline costs over both APIs: yesterday, 7 and 30 days, against the recount
    costs_by_day = [(day, cost) for day, cost in assistants_want.values() if cost is not None]
    costs_by_day += [(w.day, w.cost) for w in want.values() if w.cost is not None]
    figures = report_figures(pipeline, now=datetime.combine(CLOCK_DAY, datetime.min.time(), tzinfo=timezone.utc)
                             + timedelta(hours=6))
    for key, days in (("yesterday", 1), ("last_7_days", 7), ("last_30_days", 30)):
        start = CLOCK_DAY - timedelta(days=days)
        period = figures["periods"][key]
        assert (period["start"], period["end"]) == (start, CLOCK_DAY)
        expected = sum((c for d, c in costs_by_day if start <= d < CLOCK_DAY), Decimal(0))
        assert expected > 0, key
        assert cents(period["current"]["cost_usd"]) == cents(expected), key

    failing = [(t.name, t.failing_rows, t.sample) for t in run_data_tests(pipeline) if t.failing_rows]
    assert failing == []


def test_a_warehouse_that_loaded_only_the_responses_api_builds_and_passes_its_data_tests(db):
    with Emulator(api="responses", flavour="openai", seed=5, conversations=6, responses_per_conversation=4) as emu:
        ids = emu.world.response_ids(retained_only=True)
        assert run_cli(*responses_args(emu, db, response_ids=ids), env=key_env(emu)).code == 0
    pipeline = build_pipeline(db, pipelines_dir=db.with_name(db.name + ".dlt"))
    result = build_models(pipeline)
    assert {"runs", "run_steps", "threads"} <= set(result.missing_sources)
    with pipeline.sql_client() as client:
        assert fetch_all(client, "select api, count(*) from analytics.fct_runs group by api") == [("responses", len(ids))]
    failing = [(t.name, t.failing_rows, t.sample) for t in run_data_tests(pipeline) if t.failing_rows]
    assert failing == []


def test_reported_web_searches_win_over_items_and_an_override_prices_only_the_tools_it_names(db, tmp_path):
    """A response that reports `tool_usage.web_search.num_requests` (newer API versions) is billed for
    that many searches, not for its web_search_call items. An override prices what it names: a web
    search price of its own, and no file search price (those calls are then listed, not $0).
    Hand-computed: genai-prices 0.2.3 bills OpenAI web searches at $10 and file searches at $2.50 per
    1,000 calls for every model of this world that has a price."""
    with Emulator(api="responses", flavour="openai", seed=11, conversations=16, responses_per_conversation=6) as emu:
        ids = emu.world.response_ids(retained_only=True)
        assert run_cli(*responses_args(emu, db, response_ids=ids), env=key_env(emu)).code == 0
        objects = {rid: emu.world.response(rid) for rid in ids}
    # a completed response of a priced model that made file searches
    rid, obj = next((rid, o) for rid, o in sorted(objects.items())
                    if o["status"] == "completed" and o["model"] in ("gpt-4.1", "gpt-4.1-mini", "gpt-4o-mini")
                    and any(i["type"] == "file_search_call" for i in o["output"]))
    file_searches = sum(i["type"] == "file_search_call" for i in obj["output"])
    web_items = sum(i["type"] == "web_search_call" for i in obj["output"])
    pipeline = build_pipeline(db, pipelines_dir=db.with_name(db.name + ".dlt"))
    columns = ("billed_web_search_calls, billed_file_search_calls, web_search_cost_usd, file_search_cost_usd, "
               "tool_cost_usd, cost_usd, unpriced_tool_calls")

    def run_row():
        with pipeline.sql_client() as client:
            return fetch_all(client, f"select {columns} from analytics.fct_runs where run_id = %s", rid)[0]

    build_models(pipeline)
    before = run_row()
    assert before[:5] == (web_items, file_searches, pytest.approx(web_items * 0.01),
                          pytest.approx(file_searches * 0.0025), pytest.approx(web_items * 0.01 + file_searches * 0.0025))

    with pipeline.sql_client() as client:
        client.execute_sql("update responses set web_search_requests = 7 where id = %s", rid)
    build_models(pipeline)
    reported = run_row()
    assert reported[0] == 7 and reported[2] == pytest.approx(0.07)
    assert reported[5] - before[5] == pytest.approx((7 - web_items) * 0.01)

    overrides = tmp_path / "prices.csv"
    overrides.write_text("model,valid_from,valid_to,input_usd_per_mtok,output_usd_per_mtok,note,"
                         "web_search_usd_per_kcall,file_search_usd_per_kcall\n"
                         f"{obj['model']},,,1.00,2.00,negotiated,25.00,\n", encoding="utf-8")
    build_models(pipeline, price_overrides=overrides)
    usage = obj["usage"]
    tokens = (usage["input_tokens"] * 1.00 + usage["output_tokens"] * 2.00) / 1e6  # no cache price: input price
    assert run_row() == (7, file_searches, pytest.approx(0.175), None, pytest.approx(0.175),
                         pytest.approx(tokens + 0.175), file_searches)
    with pipeline.sql_client() as client:
        listed = fetch_all(client, "select model, tool_type, reason, calls from analytics.unpriced_tool_calls "
                                   "where tool_type = 'file_search' and model = %s", obj["model"])
    assert listed and listed[0][2] == "no per-call price for the model" and listed[0][3] >= file_searches
    failing = [(t.name, t.failing_rows, t.sample) for t in run_data_tests(pipeline) if t.failing_rows]
    assert failing == []
