"""The official Azure SDK (`azure-ai-agents` 1.2), pointed at a Foundry emulator, lists and retrieves
every object of a small world over HTTP with its own client, gets exactly the world's objects, and
every one has the shape the SDK's models declare (checked strictly by `sdk_shapes.problems`): the
browser-automation steps, the `activities` tool maps, the tool definitions with their configuration
and the runs' `tool_resources` included."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import pytest
from azure.ai.agents import AgentsClient
from azure.ai.agents import models as M
from azure.core.pipeline import policies

from runsteps.emulator import Emulator, World

from .conftest import SMALL
from .sdk_shapes import problems

# A tool type no SDK knows (the world's stand-in for one invented later): the SDK keeps it as the
# abstract RunStepToolCall / ToolDefinition, and so must any client.
UNKNOWN_TYPES = {"quantum_oracle"}
# Keys the world sends that the SDK does not declare, each on purpose.
TOLERATED = {
    ("RunStepFunctionToolCallDetails", "output"):
        "Foundry's v1 function tool call has no output, but the world keeps it on 70% of the calls so that a "
        "loader is tested with both shapes (docs/emulator.md); the SDK keeps an undeclared key as it is",
}


@pytest.fixture(scope="module")
def emu():
    with Emulator(World(**SMALL, flavour="foundry")) as e:
        yield e


@pytest.fixture(scope="module")
def client(emu):
    # The SDK refuses bearer tokens over plain HTTP; the emulator's key goes in as a header instead.
    auth = policies.HeadersPolicy({"Authorization": f"Bearer {emu.api_key}"})
    with AgentsClient(emu.base_url, credential=object(), authentication_policy=auth, retry_total=0) as c:
        yield c


@pytest.fixture(scope="module")
def listed(emu, client) -> Dict[str, List[Tuple[str, Any]]]:
    """Every object of the world as the SDK's own list calls page through it: (where, model)."""
    out: Dict[str, List[Tuple[str, Any]]] = {"agents": [], "threads": [], "messages": [], "runs": [], "steps": []}
    out["agents"] = [(a.id, a) for a in client.list_agents(order="asc")]
    out["threads"] = [(t.id, t) for t in client.threads.list(order="asc")]
    for tid, _ in out["threads"]:
        out["messages"] += [(f"{tid}/{m.id}", m) for m in client.messages.list(tid, order="asc")]
        for run in client.runs.list(tid, order="asc"):
            out["runs"].append((f"{tid}/{run.id}", run))
            steps = client.run_steps.list(tid, run.id, order="asc", include=[M.RunAdditionalFieldList.FILE_SEARCH_CONTENTS])
            out["steps"] += [(f"{tid}/{run.id}/{s.id}", s) for s in steps]
    return out


def test_sdk_lists_exactly_the_worlds_objects(emu, listed):
    world = emu.world
    assert [a.as_dict() for _, a in listed["agents"]] == world.assistants()
    assert sorted(t.id for _, t in listed["threads"]) == sorted(world.thread_ids())
    tids = [t.id for _, t in listed["threads"]]  # oldest first, the order everything below was listed in
    assert [t.as_dict() for _, t in listed["threads"]] == [world.thread(tid) for tid in tids]
    # as_dict() is the SDK's round trip: nothing was lost or changed on the way through its models.
    assert [m.as_dict() for _, m in listed["messages"]] == [m for tid in tids for m in world.messages(tid)]
    want_runs = [r for tid in tids for r in world.runs(tid)]
    assert [r.as_dict() for _, r in listed["runs"]] == want_runs
    want_steps = [s for r in want_runs for s in world.steps(r["thread_id"], r["id"], include_content=True)]
    assert [s.as_dict() for _, s in listed["steps"]] == want_steps
    assert len(want_runs) > 100 and len(want_steps) > 500  # the small world is not empty


def test_sdk_retrieves_every_object_by_id(emu, client, listed):
    for aid, agent in listed["agents"]:
        assert client.get_agent(aid) == agent
    for tid, thread in listed["threads"]:
        assert client.threads.get(tid) == thread
    for where, message in listed["messages"]:
        assert client.messages.get(*where.split("/")) == message, where
    for where, run in listed["runs"]:
        assert client.runs.get(*where.split("/")) == run, where
    for where, step in listed["steps"]:
        tid, rid, sid = where.split("/")
        got = client.run_steps.get(tid, rid, sid, include=[M.RunAdditionalFieldList.FILE_SEARCH_CONTENTS])
        assert got == step, where


CLASSES = {"agents": M.Agent, "threads": M.AgentThread, "messages": M.ThreadMessage, "runs": M.ThreadRun,
           "steps": M.RunStep}


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_every_object_has_the_shape_the_sdk_declares(listed, kind):
    found = [p for where, obj in listed[kind]
             for p in problems(obj, CLASSES[kind], where, unknown_types=UNKNOWN_TYPES, tolerated=TOLERATED)]
    assert found == [], "\n".join(found[:40])


def _showcase(emu, listed, kind):
    tid = emu.world.thread_ids()[2]  # one run of each outcome, the completed one with every tool type
    return [obj for where, obj in listed[kind] if where.startswith(tid + "/")]


# Each Foundry tool type and the SDK class that must parse its tool call (from the SDK's discriminators).
TOOL_CALL_CLASSES = {
    "code_interpreter": M.RunStepCodeInterpreterToolCall, "file_search": M.RunStepFileSearchToolCall,
    "function": M.RunStepFunctionToolCall, "mcp": M.RunStepMcpToolCall,
    "connected_agent": M.RunStepConnectedAgentToolCall, "azure_function": M.RunStepAzureFunctionToolCall,
    "deep_research": M.RunStepDeepResearchToolCall, "bing_grounding": M.RunStepBingGroundingToolCall,
    "browser_automation": M.RunStepBrowserAutomationToolCall, "azure_ai_search": M.RunStepAzureAISearchToolCall,
    "openapi": M.RunStepOpenAPIToolCall, "bing_custom_search": M.RunStepBingCustomSearchToolCall,
    "sharepoint_grounding": M.RunStepSharepointToolCall, "fabric_dataagent": M.RunStepMicrosoftFabricToolCall,
    "quantum_oracle": M.RunStepToolCall,
}


def test_showcase_thread_parses_into_every_tool_call_class(emu, listed):
    calls = [c for s in _showcase(emu, listed, "steps") if isinstance(s.step_details, M.RunStepToolCallDetails)
             for c in s.step_details.tool_calls]
    assert {c.type: type(c) for c in calls} == TOOL_CALL_CLASSES
    for call in calls:
        if isinstance(call, M.RunStepBrowserAutomationToolCall):
            details = call.browser_automation
            assert isinstance(details, M.BrowserAutomationToolCallDetails) and len(details.steps) >= 2
            for step in details.steps:
                assert isinstance(step, M.BrowserAutomationToolCallStep)
                assert all(isinstance(v, str) and v for v in (step.last_step_result, step.current_state, step.next_step))
        if isinstance(call, M.RunStepMcpToolCall):
            assert all(isinstance(v, str) for v in (call.name, call.arguments, call.output, call.server_label))
        if isinstance(call, M.RunStepConnectedAgentToolCall):
            assert isinstance(call.connected_agent, M.RunStepConnectedAgent) and call.connected_agent.agent_id
    activities = [a for s in _showcase(emu, listed, "steps") if isinstance(s.step_details, M.RunStepActivityDetails)
                  for a in s.step_details.activities]
    assert activities and all(isinstance(a, M.RunStepDetailsActivity) for a in activities)
    for activity in activities:
        assert activity.tools and all(isinstance(name, str) for name in activity.tools)
        for tool in activity.tools.values():
            assert isinstance(tool, M.ActivityFunctionDefinition)
            assert isinstance(tool.parameters, M.ActivityFunctionParameters) and tool.parameters.type == "object"
            assert all(isinstance(arg, M.FunctionArgument) for arg in tool.parameters.properties.values())


# Each tool definition type and the SDK class that must parse it, with the configuration it carries.
TOOL_DEFINITION_CLASSES = {
    "code_interpreter": M.CodeInterpreterToolDefinition, "file_search": M.FileSearchToolDefinition,
    "function": M.FunctionToolDefinition, "mcp": M.MCPToolDefinition, "openapi": M.OpenApiToolDefinition,
    "connected_agent": M.ConnectedAgentToolDefinition, "azure_function": M.AzureFunctionToolDefinition,
    "deep_research": M.DeepResearchToolDefinition, "bing_grounding": M.BingGroundingToolDefinition,
    "browser_automation": M.BrowserAutomationToolDefinition, "azure_ai_search": M.AzureAISearchToolDefinition,
    "bing_custom_search": M.BingCustomSearchToolDefinition, "sharepoint_grounding": M.SharepointToolDefinition,
    "fabric_dataagent": M.MicrosoftFabricToolDefinition, "quantum_oracle": M.ToolDefinition,
}


def test_tool_definitions_and_tool_resources_parse_with_their_configuration(emu, listed):
    tools = [t for _, a in listed["agents"] for t in a.tools]
    assert {t.type: type(t) for t in tools} == TOOL_DEFINITION_CLASSES
    by_type = {t.type: t for t in tools}
    assert all(isinstance(t.allowed_tools, list) and t.allowed_tools for t in tools if t.type == "mcp")
    assert isinstance(by_type["openapi"].openapi.auth, M.OpenApiConnectionAuthDetails)
    assert isinstance(by_type["connected_agent"].connected_agent, M.ConnectedAgentDetails)
    assert isinstance(by_type["azure_function"].azure_function.input_binding.storage_queue, M.AzureFunctionStorageQueue)
    assert isinstance(by_type["bing_grounding"].bing_grounding.search_configurations[0], M.BingGroundingSearchConfiguration)
    assert isinstance(by_type["sharepoint_grounding"].sharepoint_grounding.connection_list[0], M.ToolConnection)
    # Runs carry the resources of their assistant's tools: search indexes and MCP server settings.
    resources = [r.tool_resources for _, r in listed["runs"]]
    assert all(isinstance(res, M.ToolResources) for res in resources)
    indexes = [i for res in resources if res.azure_ai_search for i in res.azure_ai_search.index_list]
    assert indexes and all(isinstance(i, M.AISearchIndexResource) and i.index_connection_id for i in indexes)
    servers = [s for res in resources if res.mcp for s in res.mcp]
    assert servers and all(isinstance(s, M.MCPToolResource) for s in servers)
    assert any(not isinstance(s.require_approval, str) for s in servers)  # the per-tool form is there too
