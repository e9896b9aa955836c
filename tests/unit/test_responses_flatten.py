"""Flattening Responses / Conversations objects (hand-written fixtures cut from the spec examples),
with hand-counted expectations."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from openai_assistants import settings as assistants_settings
from openai_responses import flatten, incremental, settings
from tests.helpers import REPO

FIXTURES = REPO / "tests" / "fixtures" / "responses"
README = (REPO / "README.md").read_text()


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def test_the_spec_example_response_flattens_to_one_response_and_one_message():
    rows = flatten.response_rows(fixture("response_completed.json"), "input")
    (r,) = rows["responses"]
    assert r["id"] == "resp_67cb71b351908190a308f3859487620d06981a8637e6bc44"
    assert (r["status"], r["model"], r["previous_response_id"], r["conversation_id"]) == ("completed", "gpt-4o-2024-08-06", None, None)
    assert (r["input_tokens"], r["cached_input_tokens"], r["output_tokens"], r["reasoning_tokens"], r["total_tokens"]) == (32, 0, 18, 0, 50)
    assert r["created_at"] == datetime(2025, 3, 7, 22, 22, 43, tzinfo=timezone.utc)
    assert r["completed_at"] == datetime(2025, 3, 7, 22, 22, 44, tzinfo=timezone.utc)
    assert r["details"]["text"] == {"format": {"type": "text"}} and r["details"]["store"] is True
    (item,) = rows["response_items"]
    assert (item["position"], item["type"], item["role"], item["status"]) == (0, "message", "assistant", "completed")
    assert item["output"].startswith("Silent circuits hum")
    assert rows["response_file_search_results"] == [] and rows["response_code_interpreter_outputs"] == []


def test_a_foundry_response_with_every_tool_keeps_each_item_and_its_children():
    rows = flatten.response_rows(fixture("response_tools_foundry.json"), "listed")
    (r,) = rows["responses"]
    assert (r["agent_name"], r["agent_version"], r["model"]) == ("support-bot", "3", "my-gpt-4-1-deployment")
    assert (r["conversation_id"], r["previous_response_id"], r["service_tier"]) == ("conv_abc", "resp_tools00", "default")
    # cached is part of input and reasoning part of output: reported as they are, never added up
    assert (r["input_tokens"], r["cached_input_tokens"], r["output_tokens"], r["reasoning_tokens"], r["total_tokens"]) == (10000, 4000, 2000, 1500, 12000)
    assert r["web_search_requests"] == 3 and r["output_item_count"] == 8 and r["max_tool_calls"] == 8
    assert r["reasoning_effort"] == "medium" and json.loads(r["tool_choice"]) == {"type": "function", "name": "get_weather"}
    assert json.loads(r["instructions"])[0]["content"] == "Be brief."
    assert r["details"]["content_filters"] == [{"blocked": False, "source_type": "completion"}]
    assert r["metadata"] == {"ticket": "T-1"}

    items = rows["response_items"]
    assert [i["type"] for i in items] == ["reasoning", "function_call", "file_search_call", "code_interpreter_call",
                                          "mcp_call", "web_search_call", "bing_grounding_call", "output_message"]
    assert [i["position"] for i in items] == list(range(8))
    fc = items[1]
    assert (fc["call_id"], fc["name"], fc["arguments"]) == ("call_w1", "get_weather", '{"city":"Oslo"}')
    mcp = items[4]
    assert (mcp["server_label"], mcp["status"]) == ("crm", "failed") and json.loads(mcp["error"])["type"] == "mcp_tool_execution_error"
    assert items[5]["details"]["action"] == {"type": "search", "query": "oslo weather"}  # no columns of its own: kept
    assert items[6]["call_id"] == "call_b1"
    assert items[7]["output"] == "Sunny.\n12 C."
    # children are their own tables, not repeated in details
    assert "results" not in (items[2]["details"] or {}) and items[2]["details"]["queries"] == ["refund policy"]
    assert "outputs" not in (items[3]["details"] or {}) and items[3]["details"]["code"] == "print(1+1)"

    fs = rows["response_file_search_results"]
    assert [(x["item_position"], x["position"], x["file_id"], x["filename"], x["score"]) for x in fs] == [
        (2, 0, "file_a", "policy.pdf", 0.91), (2, 1, "file_b", "faq.md", 0.42)]
    assert fs[0]["text"] == "Refunds within 30 days." and fs[0]["attributes"] == {"lang": "en"} and fs[0]["item_id"] == "fs_1"
    ci = rows["response_code_interpreter_outputs"]
    assert [(x["item_position"], x["position"], x["type"], x["logs"], x["url"]) for x in ci] == [
        (3, 0, "logs", "2\n", None), (3, 1, "image", None, "https://files.example/img.png")]


@pytest.mark.parametrize("name, status, code, reason, total", [
    ("response_in_progress.json", "in_progress", None, None, None),
    ("response_failed.json", "failed", "vector_store_timeout", None, None),
    ("response_incomplete.json", "incomplete", None, "max_output_tokens", 21),
])
def test_open_failed_and_incomplete_responses(name, status, code, reason, total):
    (r,) = flatten.response_rows(fixture(name))["responses"]
    assert (r["status"], r["error_code"], r["incomplete_reason"], r["total_tokens"]) == (status, code, reason, total)


def test_conversation_and_its_items_in_order():
    row = flatten.conversation_row(fixture("conversation.json"), 4, "input", None)
    assert (row["id"], row["metadata"], row["item_count"]) == ("conv_123", {"topic": "demo"}, 4)
    items = flatten.conversation_item_rows("conv_123", fixture("conversation_items.json")["data"])
    assert [(i["position"], i["type"], i["role"], i["text"]) for i in items] == [
        (0, "message", "user", "Hello!"), (1, "message", "assistant", "Hi, how can I help?"),
        (2, "function_call", None, None), (3, "function_call_output", None, None)]
    assert items[3]["call_id"] == "call_9" and items[3]["details"] == {"output": '{"ok":true}'}


def test_odd_values_do_not_break_flattening():
    rows = flatten.response_rows({"id": "resp_x", "usage": "n/a", "output": ["junk", {"type": "future_call", "x": 1}],
                                  "created_at": "not a time", "agent_reference": None, "conversation": "conv_s"})
    (r,) = rows["responses"]
    assert r["input_tokens"] is None and r["created_at"] is None and r["conversation_id"] == "conv_s"
    assert rows["response_items"][0]["details"] == {"value": "junk"}
    assert rows["response_items"][1]["details"] == {"x": 1} and rows["response_items"][1]["type"] == "future_call"


def _r(rid, status):
    return {"id": rid, "status": status}


def test_the_watermark_is_the_last_response_of_the_all_terminal_prefix():
    listed = [_r("a", "completed"), _r("b", "failed"), _r("c", "in_progress"), _r("d", "completed"), _r("e", "queued")]
    assert incremental.advance("w", listed, {}) == ("b", ["d"])
    # fetched by id meanwhile: c ended, so the prefix grows through d
    assert incremental.advance("w", listed, {"c": "completed"}) == ("d", [])
    # a 404 counts as finished; nothing terminal keeps the old watermark
    assert incremental.advance("w", listed[2:3], {}, gone=["c"]) == ("c", [])
    assert incremental.advance("w", [_r("x", "queued")], {}) == ("w", [])
    assert [r["id"] for r in incremental.to_fetch(["d"], listed)] == ["a", "b", "c", "e"]


def test_a_chain_walk_stops_at_loaded_or_claimed_responses_and_at_the_start():
    assert incremental.chain_next({"previous_response_id": "p"}, known={"q"}, claimed=set()) == "p"
    assert incremental.chain_next({"previous_response_id": "p"}, known={"p"}, claimed=set()) is None
    assert incremental.chain_next({"previous_response_id": "p"}, known=set(), claimed={"p"}) is None
    assert incremental.chain_next({"previous_response_id": None}, known=set(), claimed=set()) is None


def test_load_issues_is_the_assistants_table_with_the_same_columns():
    assert settings.TABLES["load_issues"] == assistants_settings.TABLES["load_issues"]


def test_tables_do_not_clash_with_the_assistants_source_except_load_issues():
    assert set(settings.TABLES) & set(assistants_settings.TABLES) == {"load_issues"}


@pytest.mark.parametrize("table", sorted(settings.TABLES))
def test_every_table_and_column_is_documented_in_the_readme(table):
    assert f"**`{table}`**" in README
    section = README.split(f"**`{table}`**", 1)[1].split("\n\n", 1)[0]
    missing = [c for c in settings.TABLES[table]["columns"] if f"`{c}`" not in section]
    assert not missing, f"README's {table} section does not mention {missing}"


def test_foundry_gets_openai_v1_below_the_project_endpoint_and_openai_no_beta_header(monkeypatch):
    from sourcekit.config import resolve_client_config

    project = "https://acct.services.ai.azure.com/api/projects/p1"
    foundry = resolve_client_config(provider="foundry", profiles=settings.API_PROFILES, key_setting="s",
                                    base_url=project, api_key="tok")
    assert foundry.base_url == project + "/openai/v1" and foundry.api_version is None
    again = resolve_client_config(provider="foundry", profiles=settings.API_PROFILES, key_setting="s",
                                  base_url=project + "/openai/v1/", api_key="tok")
    assert again.base_url == project + "/openai/v1"
    openai = resolve_client_config(provider="openai", profiles=settings.API_PROFILES, key_setting="s", api_key="sk")
    assert openai.base_url == "https://api.openai.com/v1" and "OpenAI-Beta" not in openai.headers()
