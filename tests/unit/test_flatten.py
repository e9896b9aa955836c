"""Flattening API objects into rows: every table, every tool-call type, unknown kinds kept whole.

The fixtures are saved API responses (tests/fixtures/api); the expected rows are written by hand.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from openai_assistants import flatten, settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "api"


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


@pytest.fixture(scope="module")
def rows():
    run = load("run_completed.json")
    steps = load("steps_mixed.json")["data"]
    return flatten.run_rows(run, steps)


def test_every_row_has_exactly_the_contract_columns(rows):
    for table, table_rows in rows.items():
        for row in table_rows:
            assert set(row) == set(settings.TABLES[table]["columns"]), table


def test_run_row(rows):
    (run,) = rows["runs"]
    assert run["id"] == "run_abc" and run["thread_id"] == "thread_xyz" and run["status"] == "failed"
    assert run["failed_at"] == utc(1717000030) and run["completed_at"] is None
    assert (run["last_error_code"], run["last_error_message"]) == ("rate_limit_exceeded", "Slow down ☃")
    assert (run["prompt_tokens"], run["completion_tokens"], run["total_tokens"]) == (1200, 34, 1234)
    assert run["tool_choice"] == '{"type":"function","function":{"name":"f"}}'
    assert run["response_format"] == "auto"
    assert run["truncation_strategy"] == {"type": "last_messages", "last_messages": 5}
    assert run["metadata"] == {"team": "søk"} and run["parallel_tool_calls"] is False
    assert run["max_completion_tokens"] is None and run["max_prompt_tokens"] == 5000


def test_step_rows(rows):
    steps = {s["id"]: s for s in rows["run_steps"]}
    assert [s["id"] for s in rows["run_steps"]] == ["step_1", "step_2", "step_3", "step_4"]
    assert steps["step_1"]["tool_call_count"] == 3 and steps["step_1"]["total_tokens"] == 720
    assert steps["step_2"]["status"] == "failed" and steps["step_2"]["last_error_code"] == "server_error"
    assert steps["step_2"]["prompt_tokens"] is None  # usage null while not completed
    assert steps["step_3"]["message_id"] == "msg_1" and steps["step_3"]["tool_call_count"] is None
    # A step type with no columns of its own is kept whole; its assistant comes from the run.
    assert steps["step_4"]["details"] == {"type": "activities", "activities": [{"kind": "thinking"}]}
    assert steps["step_4"]["assistant_id"] == "asst_1"


@pytest.mark.parametrize(
    "call_id, expected",
    [
        pytest.param("call_ci", {"type": "code_interpreter", "input": "print('π')", "output_count": 2}, id="code_interpreter"),
        pytest.param("call_fs", {"type": "file_search", "file_search_ranker": "default_2024_08_21",
                                 "file_search_score_threshold": 0.25, "result_count": 2}, id="file_search"),
        pytest.param("call_fn", {"type": "function", "name": "lookup", "arguments": '{"q": 1}', "output": None}, id="function-waiting"),
        pytest.param("call_mcp", {"type": "mcp", "name": "search_docs", "arguments": "{}", "output": "found",
                                  "server_label": "wiki"}, id="mcp-top-level-fields"),
        pytest.param("call_ca", {"type": "connected_agent", "name": "helper", "output": "done"}, id="connected_agent"),
        pytest.param("call_bing", {"type": "bing_grounding", "name": None,
                                   "details": {"bing_grounding": {"requesturl": "https://example.invalid/q"}}}, id="bing_grounding"),
        pytest.param("call_future", {"type": "quantum_oracle", "details": {"quantum_oracle": {"qubits": 3}}}, id="unknown-type-kept"),
    ],
)
def test_tool_call_rows(rows, call_id, expected):
    (call,) = [c for c in rows["run_step_tool_calls"] if c["id"] == call_id]
    assert {k: call[k] for k in expected} == expected
    assert call["run_id"] == "run_abc" and call["thread_id"] == "thread_xyz"


def test_tool_call_positions(rows):
    keys = [(c["step_id"], c["position"]) for c in rows["run_step_tool_calls"]]
    assert keys == [("step_1", 0), ("step_1", 1), ("step_1", 2), ("step_2", 0), ("step_2", 1), ("step_2", 2), ("step_2", 3)]


def test_code_interpreter_outputs(rows):
    got = [(o["tool_call_position"], o["position"], o["type"], o["logs"], o["image_file_id"], o["tool_call_id"])
           for o in rows["code_interpreter_outputs"]]
    assert got == [(0, 0, "logs", "π 🎉", None, "call_ci"), (0, 1, "image", None, "file-img1", "call_ci")]


def test_file_search_results(rows):
    got = [(r["tool_call_position"], r["position"], r["file_id"], r["file_name"], r["score"], r["content"])
           for r in rows["file_search_results"]]
    assert got == [(1, 0, "file-a", "a.pdf", 0.91, "alpha\nbeta"), (1, 1, "file-b", "b.md", 0.5, None)]


@pytest.mark.parametrize(
    "run",
    [
        pytest.param({"id": "run_1"}, id="only-id"),
        pytest.param({"id": "run_1", "usage": None, "last_error": None, "metadata": None, "tools": None}, id="nulls"),
        pytest.param({"id": "run_1", "status": "brand_new_status", "extra_field": {"x": 1}}, id="unknown-enum-and-field"),
        pytest.param({"id": "run_1", "metadata": "not-a-map", "created_at": "garbage"}, id="wrong-types"),
    ],
)
def test_run_row_tolerates_sparse_or_odd_objects(run):
    row = flatten.run_row(run)
    assert row["id"] == "run_1" and row["created_at"] is None
    if run.get("metadata") == "not-a-map":
        assert row["metadata"] == {"value": "not-a-map"}  # kept, not lost


def test_step_without_details_or_type():
    out = flatten.step_rows({"id": "step_x"}, {"id": "run_1", "thread_id": "thread_1"})
    assert out["run_steps"][0]["run_id"] == "run_1" and out["run_steps"][0]["thread_id"] == "thread_1"
    assert out["run_step_tool_calls"] == []
