"""Text payloads, generated on demand from their own seeds: step details, run and thread attributes,
message contents and the assistants.

The plan fixes the shape (tool-call types, output and result counts); this module fills in the text.
Each payload has its own random stream, so generating one never shifts another.
"""

from __future__ import annotations

from typing import Any, Dict, List

import orjson

from . import foundry_tools
from .generate import ANCHOR, DAY, WorldShape
from .ids import new_id, rng_for
from .plan import RunPlan, StepPlan
from .vocab import (
    ASSISTANT_TEXTS,
    ASSISTANTS,
    BROWSER_STEPS,
    BROWSER_URLS,
    CITIES,
    CODE_INPUTS,
    CODE_LOGS,
    FILE_NAMES,
    FOUNDRY_STRING_MAP_TYPES,
    FUNCTIONS,
    MCP_SERVERS,
    METADATA_KEYS,
    METADATA_VALUES,
    SNIPPETS,
    USER_TEXTS,
)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def assistant_objects(shape: WorldShape) -> List[Dict[str, Any]]:
    """The assistants shared by all threads, ascending by creation time."""
    out = []
    for i, spec in enumerate(ASSISTANTS):
        r = rng_for(shape.seed, "assistant", i)
        out.append(
            {
                "id": new_id(r, "asst_"),
                "object": "assistant",
                "created_at": ANCHOR - 60 * DAY + i * 3 * DAY + r.randint(0, DAY),
                "name": spec["name"],
                "description": None,
                "model": spec["model"],
                "instructions": spec["instructions"],
                "tools": tool_definitions(shape, i),
                "tool_resources": tool_resources(shape, i),
                "metadata": {"owner": r.choice(METADATA_VALUES)},
                "top_p": 1.0,
                "temperature": 1.0,
                "response_format": "auto",
            }
        )
    return out


_TOOLS_CACHE: Dict[Any, List[Dict[str, Any]]] = {}


def tool_definitions(shape: WorldShape, assistant: int) -> List[Dict[str, Any]]:
    """The `tools` array of an assistant (and of its runs); one shared, never mutated list each."""
    key = (shape.foundry, assistant)
    tools = _TOOLS_CACHE.get(key)
    if tools is None:
        tools = _TOOLS_CACHE[key] = _tool_definitions(shape, assistant)
    return tools


def _tool_definitions(shape: WorldShape, assistant: int) -> List[Dict[str, Any]]:
    spec = ASSISTANTS[assistant]
    tools: List[Dict[str, Any]] = []
    for t in spec["tools"]:  # type: ignore[union-attr]
        if t == "code_interpreter":
            tools.append({"type": "code_interpreter"})
        elif t == "file_search":
            tools.append(
                {
                    "type": "file_search",
                    "file_search": {
                        "max_num_results": 20,
                        "ranking_options": {"ranker": "default_2024_08_21", "score_threshold": 0.0},
                    },
                }
            )
        elif t == "function":
            for name in spec["functions"]:  # type: ignore[union-attr]
                fn = FUNCTIONS[name]
                function = {
                    "name": name,
                    "description": fn["description"],
                    "parameters": {
                        "type": "object",
                        "properties": {fn["arg"]: {"type": "string"}},
                        "required": [fn["arg"]],
                    },
                    "strict": False,
                }
                if shape.foundry:  # Foundry's FunctionDefinition has no `strict`
                    del function["strict"]
                tools.append({"type": "function", "function": function})
    if shape.foundry:
        for t in spec["foundry_tools"]:  # type: ignore[union-attr]
            tools.extend(foundry_tools.definitions(t))
    return tools


def tool_resources(shape: WorldShape, assistant: int) -> Dict[str, Any]:
    """`tool_resources` of an assistant: in Foundry worlds, what its search and MCP tools need."""
    if not shape.foundry:
        return {}
    return foundry_tools.tool_resources(ASSISTANTS[assistant]["foundry_tools"])


def thread_attrs(shape: WorldShape, index: int) -> Dict[str, Any]:
    """`metadata` and `tool_resources` of a thread."""
    r = rng_for(shape.seed, "thread-attrs", index)
    metadata = {k: r.choice(METADATA_VALUES) for k in r.sample(METADATA_KEYS, r.randint(0, 3))}
    u = r.random()
    if u < 0.4:
        resources: Dict[str, Any] = {}
    elif u < 0.7:
        resources = {"code_interpreter": {"file_ids": [new_id(r, "file-", 22) for _ in range(r.randint(1, 3))]}}
    else:
        resources = {"file_search": {"vector_store_ids": [new_id(r, "vs_")]}}
    return {"metadata": metadata, "tool_resources": resources}


def run_attrs(shape: WorldShape, run: RunPlan) -> Dict[str, Any]:
    """The static attributes of a run (instructions, tools, metadata, sampling, formats)."""
    if run.attrs is not None:
        return run.attrs
    r = rng_for(shape.seed, "attrs", run.thread_index, *run.key)
    spec = ASSISTANTS[run.assistant]
    instructions = str(spec["instructions"])
    if r.random() < 0.3:
        instructions += "\n\nZusatz für diesen Lauf: bitte mit Quellen antworten. 📎"
    functions = list(spec["functions"])  # type: ignore[arg-type]
    u = r.random()
    if u < 0.8:
        tool_choice: Any = "auto"
    elif u < 0.9 or not functions:
        tool_choice = "required"
    else:
        tool_choice = {"type": "function", "function": {"name": r.choice(functions)}}
    u = r.random()
    response_format: Any = "auto" if u < 0.7 else {"type": "text"} if u < 0.9 else {"type": "json_object"}
    truncation = ({"type": "auto", "last_messages": None} if r.random() < 0.85
                  else {"type": "last_messages", "last_messages": r.choice((5, 10, 20))})
    metadata = {k: r.choice(METADATA_VALUES) for k in r.sample(METADATA_KEYS, r.randint(0, 3))}
    run.attrs = {
        "instructions": instructions,
        "tools": tool_definitions(shape, run.assistant),
        "tool_resources": tool_resources(shape, run.assistant),
        "metadata": metadata,
        "temperature": r.choice((1.0, 1.0, 0.2, 0.7)),
        "top_p": 1.0,
        "truncation_strategy": truncation,
        "tool_choice": tool_choice,
        "parallel_tool_calls": r.random() < 0.85,
        "response_format": response_format,
    }
    return run.attrs


def step_details(shape: WorldShape, run: RunPlan, step: StepPlan) -> Dict[str, Any]:
    """The terminal `step_details` of a step, with file-search content and all outputs.

    `objects.step_object` derives what a client sees at a given clock and `include[]` from it.
    """
    if step.details is not None:
        return step.details
    if step.type == "message_creation":
        details: Dict[str, Any] = {"type": "message_creation", "message_creation": {"message_id": step.message_id}}
    elif step.type == "activities":
        r = rng_for(shape.seed, "details", run.thread_index, *run.key, step.index)
        label = r.choice(list(MCP_SERVERS))
        details = {
            "type": "activities",
            "activities": [
                {
                    "id": new_id(r, "act_"),
                    "type": "mcp_list_tools",
                    "server_label": label,
                    # A map of tool name to its description and parameters, as the SDK's
                    # RunStepDetailsActivity.tools declares it.
                    "tools": {
                        name: {
                            "description": description,
                            "parameters": {
                                "type": "object",
                                "properties": {arg: {"type": "string", "description": f"{arg} für {name}"}},
                                "required": [arg],
                                "additionalProperties": False,
                            },
                        }
                        for name, (description, arg) in MCP_SERVERS[label].items()
                    },
                }
            ],
        }
    else:
        r = rng_for(shape.seed, "details", run.thread_index, *run.key, step.index)
        spec = ASSISTANTS[run.assistant]
        calls = [_tool_call(r, shape, spec, call) for call in step.calls]
        details = {"type": "tool_calls", "tool_calls": calls}
    step.details = details
    return details


def _tool_call(r, shape: WorldShape, spec: Dict[str, Any], call) -> Dict[str, Any]:
    ctype, n_out, n_res = call
    call_id = new_id(r, "call_")
    if ctype == "code_interpreter":
        outputs = []
        for i in range(n_out):
            # With two or more outputs, both kinds appear; otherwise mostly logs.
            kind = ("logs", "image")[i] if n_out >= 2 and i < 2 else ("logs" if r.random() < 0.7 else "image")
            if kind == "logs":
                outputs.append({"type": "logs", "logs": r.choice(CODE_LOGS)})
            else:
                outputs.append({"type": "image", "image": {"file_id": new_id(r, "file-", 22)}})
        return {"id": call_id, "type": ctype, "code_interpreter": {"input": r.choice(CODE_INPUTS), "outputs": outputs}}
    if ctype == "file_search":
        threshold = r.choice((0.0, 0.0, 0.25, 0.5))
        scores = sorted((round(r.uniform(max(threshold, 0.3), 0.99), 4) for _ in range(n_res)), reverse=True)
        results = [
            {
                "file_id": new_id(r, "file-", 22),
                "file_name": r.choice(FILE_NAMES),
                "score": score,
                "content": [{"type": "text", "text": " ".join(r.sample(SNIPPETS, r.randint(1, 3)))}],
            }
            for score in scores
        ]
        ranking = {"ranker": r.choice(("default_2024_08_21", "auto")), "score_threshold": threshold}
        return {"id": call_id, "type": ctype, "file_search": {"ranking_options": ranking, "results": results}}
    if ctype == "function":
        names = list(spec["functions"]) or list(FUNCTIONS)
        name = r.choice(names)
        arg = FUNCTIONS[name]["arg"]
        function: Dict[str, Any] = {
            "name": name,
            "arguments": _json({arg: r.choice(CITIES)}),
            "output": _json({"ok": True, "result": r.choice(ASSISTANT_TEXTS)}),
        }
        if shape.foundry and r.random() < 0.3:
            del function["output"]  # Foundry's v1 function tool call has no output field
        return {"id": call_id, "type": ctype, "function": function}
    if ctype == "mcp":
        label = r.choice(list(MCP_SERVERS))
        tool = r.choice(list(MCP_SERVERS[label]))
        return {
            "id": call_id,
            "type": "mcp",
            "server_label": label,
            "name": tool,
            "arguments": _json({MCP_SERVERS[label][tool][1]: r.choice(USER_TEXTS)}),
            "output": _json({"items": [r.choice(SNIPPETS)]}),
        }
    if ctype == "connected_agent":
        payload: Dict[str, Any] = {
            "name": foundry_tools.CONNECTED_AGENT_NAME,
            "arguments": _json({"frage": r.choice(USER_TEXTS)}),
            "output": r.choice(ASSISTANT_TEXTS),
            "run_id": new_id(r, "run_"),
            "thread_id": new_id(r, "thread_"),
            "assistant_id": foundry_tools.CONNECTED_AGENT_ID,  # the agent the tool definition names
        }
    elif ctype == "azure_function":
        payload = {"name": foundry_tools.AZURE_FUNCTION_NAME, "arguments": _json({"sku": "ÄÖÜ-42"}),
                   "output": _json({"stock": r.randint(0, 99)})}
    elif ctype == "deep_research":
        payload = {"input": r.choice(USER_TEXTS), "output": " ".join(r.sample(SNIPPETS, 2))}
    elif ctype == "browser_automation":
        words = {"url": r.choice(BROWSER_URLS), "city": r.choice(CITIES), "snippet": r.choice(SNIPPETS)}
        # The SDK's BrowserAutomationToolCallStep: what the last action did, what the page shows now,
        # and what comes next; a call takes two to four of them, in order.
        steps = [
            {"last_step_result": done.format(**words), "current_state": state.format(**words),
             "next_step": nxt.format(**words)}
            for done, state, nxt in BROWSER_STEPS[: r.randint(2, len(BROWSER_STEPS))]
        ]
        payload = {"input": r.choice(USER_TEXTS), "output": r.choice(ASSISTANT_TEXTS), "steps": steps}
    elif ctype in FOUNDRY_STRING_MAP_TYPES:
        payload = {"requesturl": f"https://search.example.com/?q={r.choice(CITIES)}", "response_metadata": r.choice(SNIPPETS)}
    else:  # a type the loader has never heard of, with nested, non-string values
        payload = {"qubits": r.randint(2, 64), "amplitudes": [0.5, -0.5, 0.5, -0.5], "verdict": "ja ✓", "nested": {"entangled": True}}
    return {"id": call_id, "type": ctype, ctype: payload}


def message_text(shape: WorldShape, message_id: str, role: str) -> Dict[str, Any]:
    """The `content` text block of a message."""
    r = rng_for(shape.seed, "message", message_id)
    pool = USER_TEXTS if role == "user" else ASSISTANT_TEXTS
    value = r.choice(pool)
    annotations: List[Dict[str, Any]] = []
    if role == "assistant" and r.random() < 0.2:
        marker = "【4:0†source】"
        citation = {"file_id": new_id(r, "file-", 22)}
        if shape.foundry:  # the SDK requires the quoted text; the OpenAI v2 spec has only file_id
            citation["quote"] = r.choice(SNIPPETS)
        annotations.append(
            {
                "type": "file_citation",
                "text": marker,
                "file_citation": citation,
                "start_index": len(value),
                "end_index": len(value) + len(marker),
            }
        )
        value += marker
    return {"type": "text", "text": {"value": value, "annotations": annotations}}
