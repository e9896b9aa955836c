"""Authentication and provider flavours: openai, azure and foundry."""

from __future__ import annotations

import pytest

from runsteps.emulator import World

from .conftest import CTL, INCLUDE, SMALL, client_for, walk


def test_openai_auth(emu):
    url = emu.base_url + "/assistants"
    beta = {"OpenAI-Beta": "assistants=v2"}
    r = CTL.get(url, headers=beta)
    assert r.status_code == 401 and r.json()["error"]["code"] is None
    r = CTL.get(url, headers={**beta, "Authorization": "Bearer sk-wrong-key-123456"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert "sk-wrong-key-123456" not in r.text  # keys are masked in messages
    r = CTL.get(url, headers={"Authorization": f"Bearer {emu.api_key}"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_beta"
    r = CTL.get(url, headers={**beta, "Authorization": f"Bearer {emu.api_key}"})
    assert r.status_code == 200
    for resp in (r, CTL.get(emu.root_url + "/nowhere"), CTL.get(emu.root_url + "/_emulator/stats")):
        assert resp.headers["x-request-id"].startswith("req_")


def test_azure(make_emulator):
    emu = make_emulator(flavour="azure")
    assert emu.base_url.endswith("/openai")
    tid = emu.world.thread_ids()[2]
    url = f"{emu.base_url}/threads/{tid}/runs"
    ok = CTL.get(url, headers={"api-key": emu.api_key}, params={"api-version": "2024-05-01-preview"})
    assert ok.status_code == 200 and ok.json()["object"] == "list"
    assert [r["id"] for r in ok.json()["data"]] == [r["id"] for r in emu.world.runs(tid)][::-1][:20]
    r = CTL.get(url, headers={"api-key": emu.api_key})
    assert r.status_code == 400 and r.json()["error"]["param"] == "api-version"
    r = CTL.get(url, params={"api-version": "2024-05-01-preview"})
    assert r.status_code == 401
    r = CTL.get(url, headers={"api-key": "nope"}, params={"api-version": "2024-05-01-preview"})
    assert r.status_code == 401
    # An Entra bearer token works too; no OpenAI-Beta header is needed.
    r = CTL.get(url, headers={"Authorization": f"Bearer {emu.api_key}"}, params={"api-version": "2024-05-01-preview"})
    assert r.status_code == 200
    assert CTL.get(emu.root_url + f"/v1/threads/{tid}/runs", headers=emu.client_headers()).status_code == 404
    # The same seed gives the same data as the openai flavour.
    assert emu.world.runs(tid) == World(**SMALL).runs(tid)


def test_foundry(make_emulator):
    emu = make_emulator(flavour="foundry")
    world = emu.world
    assert emu.base_url.endswith("/api/projects/demo")
    with client_for(emu) as c:
        body = c.get(f"/threads/{world.thread_ids()[2]}/runs").json()
        assert set(body) == {"data", "last_id", "has_more"}
        empty = c.get(f"/threads/{world.thread_ids()[0]}/runs").json()
        assert empty == {"data": [], "last_id": None, "has_more": False}
        # GET /threads lists every thread, paged, oldest first with order=asc.
        threads = walk(c, "/threads", order="asc", limit=3)
        assert sorted(t["id"] for t in threads) == sorted(world.thread_ids())
        assert [t["created_at"] for t in threads] == sorted(t["created_at"] for t in threads)
        assert [t["id"] for t in walk(c, "/threads", limit=2)] == [t["id"] for t in threads][::-1]
        # include[] comma-separated, as Foundry clients send it.
        tid = world.thread_ids()[2]
        run = world.runs(tid)[0]["id"]
        steps = c.get(f"/threads/{tid}/runs/{run}/steps", params={"include[]": f"{INCLUDE},{INCLUDE}", "order": "asc"}).json()
        assert steps["data"] == world.steps(tid, run, include_content=True)
    r = CTL.get(f"{emu.base_url}/threads/{tid}", headers=emu.client_headers())
    assert r.status_code == 400 and r.json()["error"]["param"] == "api-version"
    r = CTL.get(f"{emu.base_url}/threads/{tid}", headers=emu.client_headers(), params={"api-version": "1999-01-01"})
    assert r.status_code == 400
    for version in ("v1", "2025-05-01", "2025-05-15-preview"):
        r = CTL.get(f"{emu.base_url}/threads/{tid}", headers=emu.client_headers(), params={"api-version": version})
        assert r.status_code == 200


def test_foundry_world_quirks():
    world = World(seed=5, threads=40, runs_per_thread=6, steps_per_run=5, flavour="foundry")
    call_types, step_types, statuses = set(), set(), set()
    usage_absent = usage_present = function_without_output = 0
    for tid in world.thread_ids():
        for run in world.runs(tid):
            statuses.add(run["status"])
            # What a run's tool calls name must be configured on the run's tools.
            allowed = {(t["server_label"], name) for t in run["tools"] if t["type"] == "mcp" for name in t["allowed_tools"]}
            agents = {t["connected_agent"]["id"] for t in run["tools"] if t["type"] == "connected_agent"}
            if run["status"] in ("completed", "failed", "cancelled", "expired"):
                assert run["usage"] is not None  # run usage stays on terminal runs
            for step in world.steps(tid, run["id"]):
                step_types.add(step["type"])
                if "usage" in step:
                    usage_present += 1
                else:
                    usage_absent += 1
                for call in step["step_details"].get("tool_calls", []):
                    call_types.add(call["type"])
                    if call["type"] == "function" and "output" not in call["function"]:
                        function_without_output += 1
                    if call["type"] == "mcp":
                        assert {"name", "arguments", "output", "server_label"} <= set(call)
                        assert (call["server_label"], call["name"]) in allowed
                    if call["type"] == "connected_agent":
                        assert {"name", "arguments", "output", "run_id", "thread_id", "assistant_id"} <= set(
                            call["connected_agent"])
                        assert call["connected_agent"]["assistant_id"] in agents
    assert "incomplete" not in statuses
    assert {"mcp", "connected_agent", "azure_function", "deep_research", "bing_grounding", "browser_automation",
            "quantum_oracle", "function", "code_interpreter", "file_search"} <= call_types
    assert step_types == {"message_creation", "tool_calls", "activities"}
    assert usage_absent > 0 and usage_present > usage_absent
    assert function_without_output > 0


def test_unknown_flavour_is_an_error():
    with pytest.raises(ValueError):
        World(flavour="bedrock")
