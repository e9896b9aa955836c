"""The Responses API in the marts, against the emulator's world: every response's cost equals
genai-prices' own price of the world's response (cached input at the cache-read price) at its
timestamp, to the cent, for OpenAI (model names) and Foundry (deployment names, priced through
the shipped `seeds/deployments.csv`); an unmapped deployment is unpriced, never $0; the data tests
pass on a warehouse holding both APIs."""

from __future__ import annotations

import csv
from datetime import date, datetime, timezone
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
from tests.helpers import key_env, load_args, run_cli
from tests.responses_truth import responses_args

SEED_FILE = Path(__file__).resolve().parents[2] / "sql" / "seeds" / "deployments.csv"
UNMAPPED_DEPLOYMENT = "acme-llm-canary"  # on purpose in no seed and no price list


def seed_deployments() -> Dict[str, str]:
    """The shipped seed, read as plain CSV: the input data the marts are meant to price with."""
    with SEED_FILE.open(newline="", encoding="utf-8") as handle:
        return {row["deployment"]: row["model"] for row in csv.DictReader(handle)}


def genai_cost(model: Optional[str], usage: Optional[dict], created_at: int) -> Optional[Decimal]:
    """genai-prices' price of one response's usage at its creation, cache reads at their own price."""
    if not model or not usage:
        return None
    tokens = Usage(input_tokens=usage["input_tokens"],
                   cache_read_tokens=(usage.get("input_tokens_details") or {}).get("cached_tokens") or 0,
                   output_tokens=usage["output_tokens"])
    moment = datetime.fromtimestamp(created_at, tz=timezone.utc)
    for provider in ("openai", None):
        try:
            return calc_price(tokens, model, provider_id=provider, genai_request_timestamp=moment).total_price
        except LookupError:
            continue
    return None


def world_costs(emu: Emulator, deployments: Dict[str, str]) -> Dict[str, Tuple[date, Optional[Decimal], dict]]:
    """response id -> (UTC day, genai-prices cost, usage) for every response the world holds."""
    out = {}
    for rid in emu.world.response_ids(retained_only=True):
        obj = emu.world.response(rid)
        model = deployments.get(obj.get("model"), obj.get("model"))
        day = datetime.fromtimestamp(obj["created_at"], tz=timezone.utc).date()
        out[rid] = (day, genai_cost(model, obj.get("usage"), obj["created_at"]), obj.get("usage") or {})
    return out


def test_the_seed_maps_every_emulator_deployment_but_the_unmapped_one():
    assert set(seed_deployments()) == set(FOUNDRY_DEPLOYMENTS) - {UNMAPPED_DEPLOYMENT}


@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_every_responses_cost_equals_genai_prices_with_cache_reads(flavour, db):
    # an Assistants history and a Responses history in one dataset
    with Emulator(seed=13, threads=6, flavour=flavour) as emu:
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
    with Emulator(api="responses", flavour=flavour, seed=11, conversations=16, responses_per_conversation=6) as emu:
        ids = emu.world.response_ids(retained_only=True)
        assert run_cli(*responses_args(emu, db, response_ids=ids), env=key_env(emu)).code == 0
        want = world_costs(emu, seed_deployments() if flavour == "foundry" else {})
    pipeline = build_pipeline(db, pipelines_dir=db.with_name(db.name + ".dlt"))
    build_models(pipeline)
    with pipeline.sql_client() as client:
        rows = fetch_all(client, "select run_id, model, cost_usd, cost_basis, cached_input_tokens, reasoning_tokens, "
                                 "input_tokens, output_tokens from analytics.fct_runs where api = 'responses'")
        unpriced = {m for (m,) in fetch_all(client, "select model from analytics.unpriced_models")}
        daily = fetch_all(client, "select api, sum(cost_usd) from analytics.rpt_daily_usage group by api")
    got = {r[0]: r for r in rows}

    assert got.keys() == want.keys()
    wrong = {rid: (got[rid][2], str(cost)) for rid, (_, cost, _) in want.items()
             if (cost is None) != (got[rid][2] is None)
             or (cost is not None and abs(Decimal(str(got[rid][2])) - cost) >= Decimal("0.005"))}
    assert wrong == {}
    priced = [rid for rid, (_, cost, _) in want.items() if cost is not None]
    assert len(priced) > 0.5 * len(want)
    assert {got[rid][3] for rid in priced} == {"list_price_with_cache_discount"}
    # token classes straight from the world's usage
    for rid, (_, _, usage) in want.items():
        if usage:
            assert got[rid][4] == usage["input_tokens_details"]["cached_tokens"]
            assert got[rid][5] == usage["output_tokens_details"]["reasoning_tokens"]
    assert any(got[rid][4] for rid in priced), "some priced responses read from cache"
    # the day total of all responses, to the cent, in rpt_daily_usage
    total = sum((cost for _, cost, _ in want.values() if cost is not None), Decimal(0))
    assert Decimal(str(dict(daily)["responses"])).quantize(Decimal("0.01")) == total.quantize(Decimal("0.01"))
    if flavour == "foundry":
        models = {got[rid][1] for rid in want}
        assert models <= set(FOUNDRY_DEPLOYMENTS)
        if UNMAPPED_DEPLOYMENT in models:
            assert UNMAPPED_DEPLOYMENT in unpriced
            assert all(got[rid][2] is None for rid in want if got[rid][1] == UNMAPPED_DEPLOYMENT)
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
