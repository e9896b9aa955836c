"""`sdk_shapes.problems` catches what the SDK's permissive models let through, on hand-written objects:
the shapes the Foundry emulator served before it followed the SDK (issue #12) each fail, and the
shapes the SDK documents pass."""

from __future__ import annotations

from azure.ai.agents import models as M

from .sdk_shapes import problems


def details(*calls):
    """Tool calls as the SDK parses them: inside step_details, where the `type` picks the class."""
    return M.RunStepToolCallDetails({"type": "tool_calls", "tool_calls": list(calls)})


def check(*calls, **kwargs):
    return problems(details(*calls), M.RunStepDetails, "d", **kwargs)


BROWSER_STEP = {"last_step_result": "Seite geladen", "current_state": "Suchfeld sichtbar", "next_step": "Zürich eingeben"}


def test_documented_browser_automation_call_passes():
    call = {"id": "call_1", "type": "browser_automation",
            "browser_automation": {"input": "Hotels in Zürich?", "output": "Drei gefunden.", "steps": [BROWSER_STEP]}}
    assert check(call) == []


def test_old_browser_automation_steps_fail():
    call = {"id": "call_1", "type": "browser_automation",
            "browser_automation": {"input": "x", "output": "y", "steps": [{"action": "navigate", "url": "https://a.example"}]}}
    step = "d.tool_calls[0].browser_automation.steps[0]"
    assert check(call) == [
        f"{step}.last_step_result: missing, and BrowserAutomationToolCallStep requires it",
        f"{step}.current_state: missing, and BrowserAutomationToolCallStep requires it",
        f"{step}.next_step: missing, and BrowserAutomationToolCallStep requires it",
        f"{step}.action: BrowserAutomationToolCallStep declares no such field",
        f"{step}.url: BrowserAutomationToolCallStep declares no such field",
    ]


def test_activities_tools_must_be_a_map_of_name_to_definition():
    parameters = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
    good = {"type": "activities", "activities": [{"id": "act_1", "type": "mcp_list_tools", "server_label": "github",
                                                   "tools": {"search": {"description": "Sucht", "parameters": parameters}}}]}
    old = {"type": "activities", "activities": [{"id": "act_1", "type": "mcp_list_tools", "server_label": "github",
                                                  "tools": [{"name": "search", "input_schema": {"type": "object"}}]}]}
    assert problems(M.RunStepActivityDetails(good), M.RunStepDetails, "d") == []
    found = problems(M.RunStepActivityDetails(old), M.RunStepDetails, "d")
    assert len(found) == 1 and found[0].startswith("d.activities[0]: dict") and "not parsed into RunStepDetailsActivity" in found[0]


def test_scalar_types_are_checked_not_converted():
    call = {"id": "call_1", "type": "mcp", "name": "search", "arguments": {"q": "x"}, "output": 42, "server_label": "github"}
    assert check(call) == ["d.tool_calls[0].arguments: {'q': 'x'} is not a string", "d.tool_calls[0].output: 42 is not a string"]
    usage = M.RunStepCompletionUsage({"prompt_tokens": "12", "completion_tokens": True, "total_tokens": 13})
    assert problems(usage, M.RunStepCompletionUsage, "u") == [
        "u.completion_tokens: True is not an integer", "u.prompt_tokens: '12' is not an integer"]


def test_timestamps_must_be_unix_seconds():
    error = M.RunStep({"id": "step_1", "created_at": "2026-08-20T00:00:00Z", "completed_at": 1787184000})
    assert "s.created_at: '2026-08-20T00:00:00Z' is not unix seconds" in problems(error, M.RunStep, "s")
    assert not any(p.startswith("s.completed_at") for p in problems(error, M.RunStep, "s"))


def test_unknown_tool_types_fail_unless_declared_unknown():
    call = {"id": "call_1", "type": "quantum_oracle", "quantum_oracle": {"qubits": 8}}
    assert check(call) == ["d.tool_calls[0]: type 'quantum_oracle' is not one of RunStepToolCall's kinds "
                           f"{sorted(M.RunStepToolCall.__mapping__)}"]
    assert check(call, unknown_types={"quantum_oracle"}) == []


def test_undeclared_keys_fail_unless_tolerated():
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}", "output": "ok"}}
    assert check(call) == ["d.tool_calls[0].function.output: RunStepFunctionToolCallDetails declares no such field"]
    assert check(call, tolerated={("RunStepFunctionToolCallDetails", "output"): "test"}) == []


def test_tool_definitions_need_their_configuration():
    agent = {"tools": [{"type": "connected_agent", "connected_agent": {}},
                       {"type": "mcp", "server_label": "github", "server_url": "https://mcp.example.com", "allowed_tools": "x"}]}
    assert [p for p in problems(M.Agent(agent), M.Agent, "a") if p.startswith("a.tools")] == [
        "a.tools[0].connected_agent.id: missing, and ConnectedAgentDetails requires it",
        "a.tools[0].connected_agent.name: missing, and ConnectedAgentDetails requires it",
        "a.tools[0].connected_agent.description: missing, and ConnectedAgentDetails requires it",
        "a.tools[1].allowed_tools: str, not a list",
    ]


def test_unions_accept_any_declared_arm():
    run = {"tool_choice": {"type": "function", "function": {"name": "f"}}, "response_format": {"type": "json_object"}}
    assert [p for p in problems(M.ThreadRun(run), M.ThreadRun, "r") if not p.endswith("requires it")] == []
    run = {"tool_choice": {"type": "function", "function": {"name": 7}}, "response_format": 3}
    assert [p for p in problems(M.ThreadRun(run), M.ThreadRun, "r") if not p.endswith("requires it")] == [
        "r.tool_choice.function.name: 7 is not a string", "r.response_format: 3 is not a string"]
