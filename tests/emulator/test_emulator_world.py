"""The generated world: determinism, shape, invariants, and `expected()` against the served objects."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from typing import Any, Dict

import pytest

from runsteps.emulator import DEFAULT_CLOCK, NotFound, World

from .conftest import SMALL

TERMINAL = {"completed", "failed", "cancelled", "expired", "incomplete"}
ID_SHAPES = {"thread": r"thread_[A-Za-z0-9]{24}", "run": r"run_[A-Za-z0-9]{24}", "step": r"step_[A-Za-z0-9]{24}",
             "call": r"call_[A-Za-z0-9]{24}", "msg": r"msg_[A-Za-z0-9]{24}", "asst": r"asst_[A-Za-z0-9]{24}",
             "file": r"file-[A-Za-z0-9]{22}"}


def counts_from_objects(world: World) -> Dict[str, Any]:
    """`expected()` recomputed the way a loader would: from the objects the API serves."""
    tables = Counter(threads=0, runs=0, run_steps=0, run_step_tool_calls=0, code_interpreter_outputs=0,
                     file_search_results=0)
    by = {k: Counter() for k in ("tool_calls_by_type", "steps_by_type", "steps_by_status", "runs_by_status",
                                 "runs_by_last_error_code")}
    run_tokens, step_tokens = Counter(), Counter()
    by_model_day: Dict[tuple, Counter] = {}
    open_runs = 0
    for tid in world.thread_ids():
        tables["threads"] += 1
        for run in world.runs(tid):
            tables["runs"] += 1
            by["runs_by_status"][run["status"]] += 1
            if run["last_error"]:
                by["runs_by_last_error_code"][run["last_error"]["code"]] += 1
            day = dt.datetime.fromtimestamp(run["created_at"], dt.timezone.utc).strftime("%Y-%m-%d")
            bucket = by_model_day.setdefault((run["model"], day), Counter(runs=0))
            bucket["runs"] += 1
            if run["usage"]:
                run_tokens.update(run["usage"])
                bucket.update(run["usage"])
            open_runs += run["status"] not in TERMINAL
            for step in world.steps(tid, run["id"], include_content=True):
                tables["run_steps"] += 1
                by["steps_by_type"][step["type"]] += 1
                by["steps_by_status"][step["status"]] += 1
                if step.get("usage"):
                    step_tokens.update(step["usage"])
                for call in step["step_details"].get("tool_calls", []):
                    tables["run_step_tool_calls"] += 1
                    by["tool_calls_by_type"][call["type"]] += 1
                    tables["code_interpreter_outputs"] += len(call.get("code_interpreter", {}).get("outputs", []))
                    tables["file_search_results"] += len(call.get("file_search", {}).get("results", []))
    tokens = lambda c: {k: c[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}  # noqa: E731
    return {
        "clock": world.now,
        "tables": dict(tables),
        **{k: dict(sorted(v.items())) for k, v in by.items()},
        "run_tokens": tokens(run_tokens),
        "step_tokens": tokens(step_tokens),
        "tokens_by_model_day": [{"model": m, "day": d, "runs": b["runs"], **tokens(b)}
                                for (m, d), b in sorted(by_model_day.items(), key=lambda kv: (kv[0][1], kv[0][0]))],
        "open_runs": open_runs,
    }


@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_expected_matches_served_objects(flavour):
    world = World(seed=11, threads=14, runs_per_thread=6, steps_per_run=5, flavour=flavour)
    assert world.expected() == counts_from_objects(world)
    world.advance(2 * 3600)
    assert world.expected() == counts_from_objects(world)


def test_expected_shape():
    e = World(**SMALL).expected()
    assert set(e) == {"clock", "tables", "tool_calls_by_type", "steps_by_type", "steps_by_status", "runs_by_status",
                      "runs_by_last_error_code", "run_tokens", "step_tokens", "tokens_by_model_day", "open_runs"}
    assert set(e["tables"]) == {"threads", "runs", "run_steps", "run_step_tool_calls", "code_interpreter_outputs",
                                "file_search_results"}
    assert e["clock"] == DEFAULT_CLOCK == 1787184000  # 2026-08-20T00:00:00Z
    row = e["tokens_by_model_day"][0]
    assert set(row) == {"model", "day", "runs", "prompt_tokens", "completion_tokens", "total_tokens"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["day"])


def test_deterministic():
    a, b = World(seed=3, threads=6), World(seed=3, threads=6)
    c = World(seed=4, threads=6)
    assert a.thread_ids() == b.thread_ids() != c.thread_ids()
    tid = a.thread_ids()[4]
    assert a.runs(tid) == b.runs(tid)
    run = a.runs(tid)[-2]["id"]
    assert a.steps(tid, run, include_content=True) == b.steps(tid, run, include_content=True)
    # Generation order does not matter: thread 4 alone gives the same result.
    assert World(seed=3, threads=6).runs(tid) == a.runs(tid)
    assert a.expected() == b.expected()


def test_special_threads_and_coverage():
    world = World(**SMALL)
    ids = world.thread_ids()
    assert world.runs(ids[0]) == []
    hundred = world.runs(ids[1])
    assert len(hundred) == 100 and all(r["status"] in TERMINAL for r in hundred)
    assert len(world.steps(ids[1], hundred[0]["id"])) == 100
    showcase = world.runs(ids[2])
    statuses = Counter(r["status"] for r in showcase)
    assert {"completed", "failed", "cancelled", "expired", "incomplete", "requires_action"} <= set(statuses)
    assert {r["last_error"]["code"] for r in showcase if r["last_error"]} == {"server_error", "rate_limit_exceeded",
                                                                              "invalid_prompt"}
    assert {r["incomplete_details"]["reason"] for r in showcase if r["incomplete_details"]} == {
        "max_completion_tokens", "max_prompt_tokens"}
    assert [world.runs(ids[i])[-1]["status"] for i in (3, 4, 5)] == ["queued", "in_progress", "cancelling"]
    last_step = world.steps(ids[4], world.runs(ids[4])[-1]["id"])[-1]
    assert last_step["status"] == "in_progress" and last_step["usage"] is None

    waiting = showcase[-1]
    calls = waiting["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert waiting["required_action"]["type"] == "submit_tool_outputs" and calls
    step = world.steps(ids[2], waiting["id"])[-1]
    assert step["status"] == "in_progress"
    fn_calls = [c for c in step["step_details"]["tool_calls"] if c["type"] == "function"]
    assert [c["id"] for c in fn_calls] == [c["id"] for c in calls]
    assert all(c["function"]["output"] is None for c in fn_calls)


def test_few_threads_have_no_special_ones():
    world = World(seed=1, threads=2)
    assert len(world.thread_ids()) == 2
    World(seed=1, threads=0).expected()


def test_usage_invariants():
    world = World(seed=21, threads=30, runs_per_thread=8, steps_per_run=5)
    checked = 0
    for tid in world.thread_ids():
        for run in world.runs(tid):
            steps = world.steps(tid, run["id"])
            if run["status"] in TERMINAL:
                assert run["usage"] is not None
                assert all(s["status"] != "in_progress" for s in steps)  # steps of a finished run are finished
                for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
                    assert run["usage"][key] == sum(s["usage"][key] for s in steps)
                checked += 1
            else:
                assert run["usage"] is None
            for s in steps:
                assert (s["usage"] is None) == (s["status"] == "in_progress")
                if s["usage"]:
                    assert s["usage"]["total_tokens"] == s["usage"]["prompt_tokens"] + s["usage"]["completion_tokens"]
    assert checked > 100


def test_ids_text_models_and_dates():
    world = World(seed=2, threads=20, runs_per_thread=10)
    blob = []
    models, days = set(), set()
    for tid in world.thread_ids():
        blob.append(str(world.thread(tid)))
        for run in world.runs(tid):
            models.add(run["model"])
            days.add(run["created_at"] // 86400)
            blob.append(str(run))
            for s in world.steps(tid, run["id"], include_content=True):
                blob.append(str(s))
    text = "\n".join(blob) + str(world.assistants())
    for kind, pattern in ID_SHAPES.items():
        assert re.search(rf"'{pattern}'", text), kind
    assert re.search(r"[äöüéè]", text) and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text) and "🤖" in text
    assert {"gpt-4o-2024-08-06", "acme-internal-llm-v1", "o3-mini"} <= models
    assert len(days) > 25  # runs spread over weeks
    assert min(days) * 86400 < DEFAULT_CLOCK - 30 * 86400


def test_tool_payloads():
    world = World(**SMALL)
    tid = world.thread_ids()[2]
    first = world.runs(tid)[0]["id"]  # the showcase run with every tool type
    plain = world.steps(tid, first)
    full = world.steps(tid, first, include_content=True)
    calls = [c for s in full for c in s["step_details"].get("tool_calls", [])]
    fs = next(c for c in calls if c["type"] == "file_search")["file_search"]
    assert set(fs["ranking_options"]) == {"ranker", "score_threshold"}
    assert fs["results"] and all(r["content"][0]["type"] == "text" for r in fs["results"])
    plain_fs = next(c for s in plain for c in s["step_details"].get("tool_calls", []) if c["type"] == "file_search")
    assert plain_fs["file_search"]["results"] and all("content" not in r for r in plain_fs["file_search"]["results"])
    ci = next(c for c in calls if c["type"] == "code_interpreter")["code_interpreter"]
    assert {o["type"] for o in ci["outputs"]} == {"logs", "image"}
    fn = next(c for c in calls if c["type"] == "function")["function"]
    assert fn["output"] and fn["arguments"].startswith("{")


def test_deletion():
    world = World(**SMALL)
    ids = world.thread_ids()
    run = world.runs(ids[2])[0]["id"]
    world.delete_run(ids[2], run)
    assert run not in [r["id"] for r in world.runs(ids[2])]
    with pytest.raises(NotFound):
        world.steps(ids[2], run)
    world.delete_thread(ids[3])
    assert ids[3] not in world.thread_ids()
    with pytest.raises(NotFound):
        world.runs(ids[3])
    assert world.expected()["tables"]["threads"] == len(ids) - 1


def test_a_million_steps_start_at_once():
    start = time.perf_counter()
    world = World(seed=7, threads=8400)  # ~1,000,000 steps with the default means
    created = time.perf_counter() - start
    tid = world.thread_ids()[4321]
    t0 = time.perf_counter()
    runs = world.runs(tid)
    for run in runs:
        world.steps(tid, run["id"])
    one_thread = time.perf_counter() - t0
    assert created < 5 and one_thread < 2, (created, one_thread)
    assert len(world._cache) == 1  # only what was asked for is generated
