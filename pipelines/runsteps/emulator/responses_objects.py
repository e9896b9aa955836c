"""API objects of the Responses world, built from plans at a clock: responses, their items, conversations.

Shapes follow the OpenAI spec subset (specs/openai-responses-subset.openapi.yaml) and OpenAI's own
documented examples; Foundry adds ``agent_reference`` on responses and ``agent_reference`` and
``response_id`` on the items of an output or a conversation. Texts come from seeds of their own, so
an object is the same whenever and in whatever order it is built.
"""

from __future__ import annotations

import json
from typing import Any, Dict, FrozenSet, List, Optional

from .ids import rng_for
from .responses_generate import ResponsesShape, account_ids
from .responses_plan import ResponsePlan, SessionRecord, hex_id
from .responses_vocab import (
    ASSISTANT_TEXTS,
    FILE_NAMES,
    FOUNDRY_TOOL_KINDS,
    FUNCTIONS,
    INCLUDE_CODE_OUTPUTS,
    INCLUDE_FILE_SEARCH,
    MCP_SERVERS,
    USER_PROMPTS,
)

ERROR_MESSAGES = {
    "server_error": "The model produced invalid content. Consider modifying your prompt if you are seeing this error persistently.",
    "rate_limit_exceeded": "Rate limit reached for requests. Please try again in 20s.",
    "invalid_prompt": "Invalid prompt: your prompt was flagged as potentially violating our usage policy.",
    "vector_store_timeout": "Timed out while searching the vector store. Please try again.",
}
TINY_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
TOOL_DEFINITIONS = {
    "function_call": {"type": "function", "name": "lookup_order", "description": "Look up an order by number",
                      "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                                     "required": ["order_id"], "additionalProperties": False}, "strict": True},
    "file_search_call": {"type": "file_search", "vector_store_ids": [], "max_num_results": 20,
                         "ranking_options": {"ranker": "auto", "score_threshold": 0.0}, "filters": None},
    "web_search_call": {"type": "web_search", "search_context_size": "medium", "user_location": None},
    "code_interpreter_call": {"type": "code_interpreter", "container": {"type": "auto"}},
    "mcp_call": {"type": "mcp", "server_label": "github", "server_url": "https://mcp.example.com/github",
                 "require_approval": "never", "allowed_tools": None, "headers": None,
                 "server_description": "Issues and pull requests"},
    "computer_call": {"type": "computer_use_preview", "display_width": 1024, "display_height": 768,
                      "environment": "browser"},
    "image_generation_call": {"type": "image_generation", "model": "gpt-image-1", "quality": "auto",
                              "size": "auto", "output_format": "png", "background": "auto", "moderation": "auto"},
    "custom_tool_call": {"type": "custom", "name": "sql_runner", "description": "Runs read-only SQL"},
}
TOOL_DEFINITIONS["mcp_list_tools"] = TOOL_DEFINITIONS["mcp_approval_request"] = TOOL_DEFINITIONS["mcp_call"]


def _texts(shape: ResponsesShape, rec: SessionRecord, plan: ResponsePlan) -> dict:
    """Generated texts of a response (cached on the plan)."""
    if plan.attrs is None:
        r = rng_for(shape.seed, "rtext", rec.index, plan.k)
        plan.attrs = {"rng_seed": r.getrandbits(64), "prompt": r.choice(USER_PROMPTS),
                      "answer": r.choice(ASSISTANT_TEXTS), "temperature": r.choice((1.0, 0.2, 0.7)),
                      "metadata": r.choice(({}, {"channel": "web"}, {"customer": "Müller GmbH", "ticket": "🎫-42"}))}
    return plan.attrs


def agent_reference(rec: SessionRecord) -> Optional[Dict[str, Any]]:
    if rec.agent is None:
        return None
    return {"type": "agent_reference", "name": rec.agent[0], "version": rec.agent[1]}


def response_object(shape: ResponsesShape, rec: SessionRecord, plan: ResponsePlan, now: int,
                    include: FrozenSet[str] = frozenset()) -> Dict[str, Any]:
    """The response as `GET /responses/{id}` serves it at `now`."""
    status = plan.status_at(now)
    texts = _texts(shape, rec, plan)
    productive = plan.productive_at(now)
    output = [output_item(shape, rec, plan, j, include) for j in range(len(plan.outputs))] if productive else []
    reasoning_model = any(t == "reasoning" for t, _ in plan.outputs) or plan.model.startswith("o3")
    kinds = {t for t, _ in plan.outputs}
    tools: List[Dict[str, Any]] = []
    for t, definition in TOOL_DEFINITIONS.items():
        if t in kinds and definition not in tools:
            tools.append(definition)
    obj: Dict[str, Any] = {
        "id": plan.id,
        "object": "response",
        "created_at": plan.created_at,
        "status": status,
        "background": plan.background,
        "completed_at": plan.end_at if status == "completed" else None,
        "error": ({"code": plan.error_code, "message": ERROR_MESSAGES.get(plan.error_code, f"Request failed: {plan.error_code}.")}
                  if status == "failed" else None),
        "incomplete_details": {"reason": plan.incomplete_reason} if status == "incomplete" else None,
        "instructions": "Antworte kurz und freundlich. Réponds en français si on te parle français. 🙂",
        "max_output_tokens": plan.max_output_tokens,
        "max_tool_calls": None,
        "model": plan.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": plan.previous_response_id,
        "conversation": {"id": rec.conversation_id} if rec.conversation_id else None,
        "prompt_cache_key": None,
        "reasoning": {"effort": "medium" if reasoning_model else None, "summary": None},
        "safety_identifier": None,
        "service_tier": "default" if productive else "auto",
        "store": True,
        "temperature": texts["temperature"],
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": tools,
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage_object(plan) if productive else None,
        "user": None,
        "metadata": texts["metadata"],
    }
    if shape.foundry:
        # The agent version that answered; null for a response made without an agent.
        obj["agent_reference"] = agent_reference(rec)
        # Foundry types these as plain strings: it leaves them out rather than sending null.
        del obj["prompt_cache_key"], obj["safety_identifier"]
    return obj


def usage_object(plan: ResponsePlan) -> Dict[str, Any]:
    inp, cached, out, reasoning = plan.usage  # type: ignore[misc]
    return {"input_tokens": inp, "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
            "output_tokens": out, "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": inp + out}


def _foundry_marks(shape: ResponsesShape, rec: SessionRecord, plan: ResponsePlan, item: Dict[str, Any]) -> Dict[str, Any]:
    if shape.foundry:
        if rec.agent is not None:
            item["agent_reference"] = agent_reference(rec)
        item["response_id"] = plan.id
    return item


def output_item(shape: ResponsesShape, rec: SessionRecord, plan: ResponsePlan, j: int,
                include: FrozenSet[str] = frozenset(), marks: bool = True) -> Dict[str, Any]:
    """Output item `j` of a productive response."""
    item_type, count = plan.outputs[j]
    item_id, call_id = plan.output_ids[j], plan.call_ids[j]
    r = rng_for(shape.seed, "ritem", rec.index, plan.k, j)
    last = j == len(plan.outputs) - 1
    status = "incomplete" if plan.status == "incomplete" and last else "completed"
    texts = _texts(shape, rec, plan)
    vector_store, container = account_ids(shape.seed)
    item: Dict[str, Any]
    if item_type == "message":
        text = texts["answer"] if status == "completed" else texts["answer"][: len(texts["answer"]) // 2]
        item = {"id": item_id, "type": "message", "status": status, "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]}
    elif item_type == "reasoning":
        item = {"id": item_id, "type": "reasoning",
                "summary": [{"type": "summary_text", "text": "**Planning** – zuerst die Fakten prüfen, dann antworten."}]}
        if "reasoning.encrypted_content" in include:
            item["encrypted_content"] = "gAAAAA" + hex_id(shape.seed, "enc", rec.index, plan.k, length=64)
    elif item_type == "function_call":
        name = r.choice(FUNCTIONS)
        item = {"id": item_id, "type": "function_call", "status": "completed", "call_id": call_id, "name": name,
                "arguments": json.dumps({"query": r.choice(USER_PROMPTS)}, ensure_ascii=False)}
    elif item_type == "file_search_call":
        item = {"id": item_id, "type": "file_search_call", "status": "completed",
                "queries": [texts["prompt"]], "results": None}
        if INCLUDE_FILE_SEARCH in include:
            item["results"] = [
                {"file_id": "file-" + hex_id(shape.seed, "file", i, length=22), "filename": FILE_NAMES[i % len(FILE_NAMES)],
                 "score": round(0.95 - 0.1 * i, 4), "text": f"Abschnitt {i + 1}: {texts['answer']}",
                 "attributes": {"vector_store_id": vector_store}}
                for i in range(count)
            ]
    elif item_type == "web_search_call":
        action = r.choice((
            {"type": "search", "query": texts["prompt"], "queries": [texts["prompt"]]},
            {"type": "open_page", "url": "https://example.org/tarife?lang=de"},
            {"type": "find_in_page", "url": "https://example.jp/天気", "pattern": "晴れ"},
        ))
        item = {"id": item_id, "type": "web_search_call", "status": "completed", "action": dict(action)}
    elif item_type == "code_interpreter_call":
        item = {"id": item_id, "type": "code_interpreter_call", "status": "completed",
                "container_id": container, "code": "import pandas as pd\ndf = pd.read_csv('umsatz.csv')\nprint(df.sum())",
                "outputs": None}
        if INCLUDE_CODE_OUTPUTS in include:
            item["outputs"] = [
                {"type": "logs", "logs": "Umsatz gesamt: 1 234 567 €\n"} if i % 2 == 0
                else {"type": "image", "url": f"https://files.example.com/{container}/plot_{i}.png"}
                for i in range(count)
            ]
    elif item_type in ("mcp_call", "mcp_list_tools", "mcp_approval_request"):
        server = r.choice(sorted(MCP_SERVERS))
        tool = r.choice(MCP_SERVERS[server])
        if item_type == "mcp_list_tools":
            # `error` is left out when there is none (Foundry's schema types it as an object only).
            item = {"id": item_id, "type": "mcp_list_tools", "server_label": server,
                    "tools": [{"name": t, "description": f"{t} on {server}", "annotations": None,
                               "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}
                              for t in MCP_SERVERS[server]]}
        elif item_type == "mcp_call":
            item = {"id": item_id, "type": "mcp_call", "status": "completed", "server_label": server, "name": tool,
                    "arguments": json.dumps({"query": "Fehler 🐛"}, ensure_ascii=False),
                    "output": json.dumps({"items": 3}), "approval_request_id": None}
        else:
            item = {"id": item_id, "type": "mcp_approval_request", "server_label": server, "name": tool,
                    "arguments": json.dumps({"title": "Ticket für Zürich"}, ensure_ascii=False)}
    elif item_type == "computer_call":
        item = {"id": item_id, "type": "computer_call", "status": "completed", "call_id": call_id,
                "action": {"type": "click", "button": "left", "x": r.randint(0, 1023), "y": r.randint(0, 767)},
                "pending_safety_checks": []}
    elif item_type == "image_generation_call":
        item = {"id": item_id, "type": "image_generation_call", "status": "completed", "result": TINY_PNG}
    elif item_type == "custom_tool_call":
        item = {"id": item_id, "type": "custom_tool_call", "status": "completed", "call_id": call_id,
                "name": "sql_runner", "input": "SELECT region, sum(umsatz) FROM sales GROUP BY 1"}
    elif item_type in FOUNDRY_TOOL_KINDS:
        item = {"id": item_id, "type": item_type, "call_id": call_id, "status": "completed",
                "arguments": json.dumps({"query": texts["prompt"]}, ensure_ascii=False)}
        if item_type in ("openapi_call", "azure_function_call"):
            item["name"] = "getWeather" if item_type == "openapi_call" else "queue_trigger_fn"
    elif item_type.endswith("_call_output") and item_type[: -len("_output")] in FOUNDRY_TOOL_KINDS:
        call_type = item_type[: -len("_output")]
        item = {"id": item_id, "type": item_type, "call_id": plan.call_ids[j - 1], "status": "completed",
                "output": {"results": [{"title": "Wetter in Zürich", "url": "https://example.org/wetter", "snippet": "☀️ 24 °C"}]}}
        if call_type in ("openapi_call", "azure_function_call"):
            item["name"] = "getWeather" if call_type == "openapi_call" else "queue_trigger_fn"
    else:  # the type no schema knows: nested, non-string payload
        item = {"id": item_id, "type": item_type, "status": "completed", "qubits": 5,
                "measurement": {"basis": "Z", "counts": {"00000": 512, "11111": 488}}}
    return _foundry_marks(shape, rec, plan, item) if marks else item


def input_item(shape: ResponsesShape, rec: SessionRecord, plan: ResponsePlan, j: int) -> Dict[str, Any]:
    """Input item `j` of a response, as `GET /responses/{id}/input_items` lists it."""
    item_type = plan.inputs[j]
    item_id = plan.input_ids[j]
    if item_type == "function_call_output":
        return {"id": item_id, "type": "function_call_output", "call_id": plan.input_call_ids[j], "status": "completed",
                "output": json.dumps({"status": "versandt", "eta": "2026-08-21"}, ensure_ascii=False)}
    if item_type == "mcp_approval_response":
        return {"id": item_id, "type": "mcp_approval_response", "approval_request_id": plan.input_call_ids[j],
                "approve": True, "reason": None}
    texts = _texts(shape, rec, plan)
    text = texts["prompt"] if j == len(plan.inputs) - 1 else f"({j + 1}) {USER_PROMPTS[j % len(USER_PROMPTS)]}"
    return {"id": item_id, "type": "message", "status": "completed", "role": "user",
            "content": [{"type": "input_text", "text": text}]}


def conversation_item(shape: ResponsesShape, rec: SessionRecord, plan: ResponsePlan, side: int, j: int,
                      include: FrozenSet[str] = frozenset()) -> Dict[str, Any]:
    """A conversation item: an input (side 0) or output (side 1) item of one of its responses."""
    if side == 1:
        return output_item(shape, rec, plan, j, include)
    return _foundry_marks(shape, rec, plan, input_item(shape, rec, plan, j))


def conversation_object(shape: ResponsesShape, rec: SessionRecord) -> Dict[str, Any]:
    if rec.attrs is None:
        r = rng_for(shape.seed, "ctext", rec.index)
        rec.attrs = {"metadata": r.choice(({}, {"topic": "Reise nach Zürich ✈️"}, {"customer": "клиент-42"}))}
    return {"id": rec.conversation_id, "object": "conversation", "created_at": rec.created_at,
            "metadata": rec.attrs["metadata"]}


def input_items(shape: ResponsesShape, rec: SessionRecord, plan: ResponsePlan) -> List[Dict[str, Any]]:
    return [input_item(shape, rec, plan, j) for j in range(len(plan.inputs))]
