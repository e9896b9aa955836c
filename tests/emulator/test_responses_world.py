"""The Responses world: determinism, coverage of statuses and item types, the clock, retention, and
`expected()` against what HTTP serves (counted here independently, from the served objects)."""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict

import httpx
import pytest

from runsteps.emulator import DEFAULT_CLOCK, Emulator, ResponsesWorld
from runsteps.emulator.responses_vocab import ERROR_CODES, FOUNDRY_ERROR_CODES

# Small, but with the three special sessions (showcase, 60-response conversation, old chain).
SMALL_R = dict(seed=7, conversations=6, responses_per_conversation=4)
INCLUDE = ["file_search_call.results", "code_interpreter_call.outputs"]


def http(emu: Emulator) -> httpx.Client:
    return httpx.Client(base_url=emu.api_root, headers=emu.client_headers(), timeout=10, verify=False)


def walk(client: httpx.Client, path: str, **params: Any):
    items, after = [], None
    while True:
        body = client.get(path, params={**params, "limit": 100, **({"after": after} if after else {})}).json()
        items += body["data"]
        if not body["has_more"]:
            return items
        after = body["data"][-1]["id"]


def served_totals(emu: Emulator) -> Dict[str, Any]:
    """The totals `expected()` promises, counted from what HTTP serves."""
    tables: Counter = Counter()
    by_status: Counter = Counter()
    by_type: Counter = Counter()
    tokens: Counter = Counter()
    with http(emu) as c:
        for cid in emu.world.conversation_ids():
            tables["conversations"] += 1
            tables["conversation_items"] += len(walk(c, f"/conversations/{cid}/items"))
        for rid in emu.world.response_ids():
            r = c.get(f"/responses/{rid}", params={"include[]": INCLUDE})
            if r.status_code == 404:
                tables["past_retention"] += 1
                continue
            body = r.json()
            tables["responses"] += 1
            by_status[body["status"]] += 1
            tables["input_items"] += len(walk(c, f"/responses/{rid}/input_items"))
            for item in body["output"]:
                by_type[item["type"]] += 1
                tables["file_search_results"] += len(item.get("results") or []) if item["type"] == "file_search_call" else 0
                tables["code_interpreter_outputs"] += len(item.get("outputs") or []) if item["type"] == "code_interpreter_call" else 0
            if body["usage"]:
                u = body["usage"]
                tokens.update({"input_tokens": u["input_tokens"], "output_tokens": u["output_tokens"],
                               "cached_tokens": u["input_tokens_details"]["cached_tokens"],
                               "reasoning_tokens": u["output_tokens_details"]["reasoning_tokens"],
                               "total_tokens": u["total_tokens"]})
    return {"tables": tables, "by_status": by_status, "by_type": by_type, "tokens": tokens}


@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_expected_matches_what_http_serves(make_emulator, flavour):
    emu = make_emulator(api="responses", flavour=flavour, **SMALL_R)
    for _ in range(2):  # at the default clock, then after a day (new responses, open ones finished)
        exp, got = emu.expected(), served_totals(emu)
        t = exp["tables"]
        for key in ("conversations", "conversation_items", "responses", "input_items", "file_search_results",
                    "code_interpreter_outputs"):
            assert t[key] == got["tables"][key], key
        assert exp["responses_past_retention"] == got["tables"]["past_retention"]
        assert exp["responses_by_status"] == dict(got["by_status"])
        assert exp["output_items_by_type"] == dict(got["by_type"])
        assert t["output_items"] == sum(got["by_type"].values())
        assert exp["tokens"] == {k: got["tokens"][k] for k in exp["tokens"]}
        assert sum(r["responses"] for r in exp["tokens_by_model_day"]) == t["responses"]
        assert sum(r["total_tokens"] for r in exp["tokens_by_model_day"]) == exp["tokens"]["total_tokens"]
        emu.advance(86_400)


def test_same_knobs_same_world_in_any_order():
    a, b = ResponsesWorld(**SMALL_R), ResponsesWorld(**SMALL_R)
    ids = a.response_ids(retained_only=True)
    # b is read backwards, without listing first: every object is generated from its own seed.
    assert [b.response(i) for i in reversed(ids)][::-1] == [a.response(i) for i in ids]
    assert b.expected() == a.expected()
    assert ResponsesWorld(**{**SMALL_R, "seed": 8}).response_ids() != ids
    a.advance(7200), b.advance(3600), b.advance(3600)
    assert a.expected() == b.expected() and a.response_ids() == b.response_ids()


@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_showcase_covers_every_status_code_reason_and_item_type(flavour):
    exp = ResponsesWorld(**SMALL_R, flavour=flavour).expected()
    assert set(exp["responses_by_status"]) == {"completed", "failed", "incomplete", "cancelled", "queued", "in_progress"}
    assert set(exp["responses_by_error_code"]) == set(FOUNDRY_ERROR_CODES if flavour == "foundry" else ERROR_CODES)
    assert set(exp["responses_by_incomplete_reason"]) == {"max_output_tokens", "content_filter"}
    openai_types = {"message", "reasoning", "function_call", "file_search_call", "web_search_call",
                    "code_interpreter_call", "mcp_call", "mcp_list_tools", "mcp_approval_request", "computer_call",
                    "image_generation_call", "custom_tool_call", "quantum_oracle_call"}
    foundry_types = {f"{t}{s}" for t in ("bing_grounding_call", "azure_ai_search_call", "openapi_call",
                                         "azure_function_call") for s in ("", "_output")}
    assert set(exp["output_items_by_type"]) == openai_types | (foundry_types if flavour == "foundry" else set())
    assert set(exp["input_items_by_type"]) == {"message", "function_call_output", "mcp_approval_response"}
    tok = exp["tokens"]
    assert 0 < tok["cached_tokens"] < tok["input_tokens"] and 0 < tok["reasoning_tokens"] < tok["output_tokens"]
    assert tok["total_tokens"] == tok["input_tokens"] + tok["output_tokens"]


def test_chains_conversations_and_function_outputs_link_up():
    w = ResponsesWorld(**SMALL_R)
    by_id = {i: w.response(i) for i in w.response_ids(retained_only=True)}
    chained = [r for r in by_id.values() if r["previous_response_id"]]
    in_conv = [r for r in by_id.values() if r["conversation"]]
    assert chained and in_conv and not [r for r in chained if r["conversation"]]
    assert {r["conversation"]["id"] for r in in_conv} <= set(w.conversation_ids())
    prev_of = {r["id"]: r["previous_response_id"] for r in chained}
    assert all(w.response_ids().index(p) < w.response_ids().index(r) for r, p in prev_of.items())
    answered = 0
    for rid, r in by_id.items():
        for item in w.input_items(rid):
            if item["type"] == "function_call_output":
                answered += 1
                assert item["call_id"].startswith("call_")
    calls = {i["call_id"] for r in by_id.values() for i in r["output"] if i["type"] == "function_call"}
    outputs = {i["call_id"] for rid in by_id for i in w.input_items(rid) if i["type"] == "function_call_output"}
    assert answered and outputs <= calls


def test_open_responses_finish_and_new_ones_arrive(make_emulator):
    emu = make_emulator(api="responses", **SMALL_R)
    with http(emu) as c:
        open_ids = [i for i in emu.world.response_ids(retained_only=True)
                    if c.get(f"/responses/{i}").json()["status"] in ("queued", "in_progress")]
        assert len(open_ids) >= 2  # the showcase's in_progress, the long conversation's queued
        first = c.get(f"/responses/{open_ids[0]}").json()
        assert first["output"] == [] and first["usage"] is None and first["completed_at"] is None
        before = len(emu.world.response_ids())
        emu.advance(200)  # longer than any response lasts
        for i in open_ids:
            done = c.get(f"/responses/{i}").json()
            assert done["status"] in ("completed", "failed", "incomplete", "cancelled")
        assert emu.expected()["open_responses"] <= len(emu.world.response_ids()) - before
        emu.advance(3 * 86_400)
        assert len(emu.world.response_ids()) > before


def test_include_fills_results_and_outputs(make_emulator):
    emu = make_emulator(api="responses", **SMALL_R)
    with http(emu) as c:
        seen = Counter()
        for rid in emu.world.response_ids(retained_only=True):
            plain = c.get(f"/responses/{rid}").json()["output"]
            full = c.get(f"/responses/{rid}", params={"include[]": INCLUDE}).json()["output"]
            for p, f in zip(plain, full):
                if p["type"] == "file_search_call":
                    assert p["results"] is None and isinstance(f["results"], list)
                    seen["fs"] += 1
                if p["type"] == "code_interpreter_call":
                    assert p["outputs"] is None and isinstance(f["outputs"], list)
                    seen["ci"] += 1
        assert seen["fs"] and seen["ci"]
        bad = c.get(f"/responses/{rid}", params={"include[]": "step_details.tool_calls"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "include"


def test_retention_404_with_the_api_error_body(make_emulator):
    emu = make_emulator(api="responses", **SMALL_R)
    w = emu.world
    old = sorted(set(w.response_ids()) - set(w.response_ids(retained_only=True)))
    assert old, "the old chain has responses past 30 days"
    with http(emu) as c:
        for rid in old:
            r = c.get(f"/responses/{rid}")
            assert r.status_code == 404
            assert r.json() == {"error": {"message": f"Response with id '{rid}' not found.",
                                          "type": "invalid_request_error", "param": None, "code": None}}
        keep = w.response_ids(retained_only=True)
        assert c.get(f"/responses/{keep[0]}").status_code == 200
        # Retention is measured from the clock: 30 days later everything seen now has gone.
        emu.advance(31 * 86_400)
        assert c.get(f"/responses/{keep[0]}").status_code == 404
        # Conversations keep their items whatever happens to the responses.
        cid = w.conversation_ids()[0]
        assert c.get(f"/conversations/{cid}/items").json()["data"]
    assert ResponsesWorld(**SMALL_R, flavour="foundry").expected()["responses_past_retention"] == 0
    assert ResponsesWorld(**SMALL_R, retention_days=None).expected()["responses_past_retention"] == 0


def test_unknown_ids_and_clock():
    w = ResponsesWorld(**SMALL_R)
    assert w.now == DEFAULT_CLOCK
    for bad in ("resp_x", "resp_" + "0" * 48, w.response_ids()[0][:-1] + "Z"):
        with pytest.raises(KeyError):
            w.response(bad)
    with pytest.raises(KeyError):
        w.conversation("conv_" + "f" * 48)
