"""Pure functions that turn Responses and Conversations API objects into table rows. No I/O here.

Every function accepts what the API (OpenAI, Azure OpenAI, Foundry) may send: optional fields may be
missing or null, enums are kept as free text (they grow), and an output item of a type with no
columns of its own is kept whole in `details` JSON, never dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

from sourcekit.values import as_bool as _bool
from sourcekit.values import as_float as _float
from sourcekit.values import as_int as _int
from sourcekit.values import as_list as _list
from sourcekit.values import as_map as _map
from sourcekit.values import as_text as text
from sourcekit.values import is_map, json_value, to_timestamp

Row = Dict[str, Any]
Rows = Dict[str, List[Row]]

# Item fields that have columns of their own; everything else an item carries goes to `details`.
_ITEM_COLUMNS = ("id", "type", "status", "role", "call_id", "name", "arguments", "output", "server_label", "error")
# Payloads moved to child tables (their rows), left out of `details` so they are not stored twice.
_CHILD_PAYLOADS = {"file_search_call": "results", "code_interpreter_call": "outputs"}
# Top-level response fields with columns of their own (the rest goes to `details`).
_RESPONSE_COLUMNS = frozenset({
    "id", "object", "conversation", "previous_response_id", "status", "model", "agent_reference", "agent",
    "created_at", "completed_at", "error", "incomplete_details", "service_tier", "background", "usage",
    "temperature", "top_p", "max_output_tokens", "max_tool_calls", "parallel_tool_calls", "tool_choice",
    "tools", "instructions", "reasoning", "truncation", "prompt_cache_key", "safety_identifier", "metadata",
    "output", "tool_usage",
})


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def conversation_id_of(obj: Mapping[str, Any]) -> Optional[str]:
    """A response's conversation: `conversation: {id}` (OpenAI, Foundry), a bare id string, or
    Foundry items' `conversation_id`."""
    conversation = obj.get("conversation")
    if isinstance(conversation, str):
        return conversation
    return _str(_map(conversation).get("id")) or _str(obj.get("conversation_id"))


def usage_columns(usage: Any) -> Row:
    """Token counts as the API reports them. Cached input is a part of input, reasoning a part of
    output: they are never added to them (genai-prices subtracts the cached part itself)."""
    usage = _map(usage)
    return {
        "input_tokens": _int(usage.get("input_tokens")),
        "cached_input_tokens": _int(_map(usage.get("input_tokens_details")).get("cached_tokens")),
        "output_tokens": _int(usage.get("output_tokens")),
        "reasoning_tokens": _int(_map(usage.get("output_tokens_details")).get("reasoning_tokens")),
        "total_tokens": _int(usage.get("total_tokens")),
    }


def _message_text(item: Mapping[str, Any]) -> Optional[str]:
    """The text parts of a message item, joined by newlines (None when it has none)."""
    parts = [p.get("text") for p in _list(item.get("content")) if is_map(p) and isinstance(p.get("text"), str)]
    return "\n".join(parts) if parts else None


def response_row(response: Mapping[str, Any], discovered_via: Optional[str], fetched_at: Optional[datetime]) -> Row:
    """The `responses` row of one Response object."""
    agent = _map(response.get("agent_reference")) or _map(response.get("agent"))
    error = _map(response.get("error"))
    reasoning = _map(response.get("reasoning"))
    instructions = response.get("instructions")
    details = {k: v for k, v in response.items() if k not in _RESPONSE_COLUMNS}
    if reasoning:
        details["reasoning"] = reasoning
    if response.get("usage") is not None:
        details["usage"] = response.get("usage")  # whole, for fields newer SDKs add (cache writes, ...)
    if response.get("tool_usage") is not None:
        details["tool_usage"] = response.get("tool_usage")
    return {
        "id": response["id"],
        "conversation_id": conversation_id_of(response),
        "previous_response_id": _str(response.get("previous_response_id")),
        "status": text(response.get("status")),
        "model": text(response.get("model")),
        "agent_name": _str(agent.get("name")),
        "agent_version": text(agent.get("version")),
        "created_at": to_timestamp(response.get("created_at")),
        "completed_at": to_timestamp(response.get("completed_at")),
        "error_code": text(error.get("code")),
        "error_message": text(error.get("message")),
        "incomplete_reason": text(_map(response.get("incomplete_details")).get("reason")),
        "service_tier": text(response.get("service_tier")),
        "background": _bool(response.get("background")),
        **usage_columns(response.get("usage")),
        "web_search_requests": _int(_map(_map(response.get("tool_usage")).get("web_search")).get("num_requests")),
        "output_item_count": len(_list(response.get("output"))),
        "temperature": _float(response.get("temperature")),
        "top_p": _float(response.get("top_p")),
        "max_output_tokens": _int(response.get("max_output_tokens")),
        "max_tool_calls": _int(response.get("max_tool_calls")),
        "parallel_tool_calls": _bool(response.get("parallel_tool_calls")),
        "tool_choice": text(response.get("tool_choice")),
        "tools": json_value(response.get("tools")),
        "instructions": text(instructions),
        "reasoning_effort": text(reasoning.get("effort")),
        "truncation": text(response.get("truncation")),
        "prompt_cache_key": text(response.get("prompt_cache_key")),
        "safety_identifier": text(response.get("safety_identifier")),
        "metadata": json_value(response.get("metadata")),
        "details": details or None,
        "discovered_via": discovered_via,
        "last_fetched_at": fetched_at,
        "deleted_at": None,
    }


def item_row(item: Mapping[str, Any], position: int) -> Row:
    """Columns every output (or conversation) item may have, and `details` for the rest."""
    kind = _str(item.get("type"))
    child = _CHILD_PAYLOADS.get(kind or "")
    details = {k: v for k, v in item.items() if k not in _ITEM_COLUMNS and k != child}
    output = item.get("output")
    if output is None and kind in ("message", "output_message"):
        output = _message_text(item)
    return {
        "position": position,
        "id": text(item.get("id")),
        "type": kind if kind is not None else text(item.get("type")),
        "status": text(item.get("status")),
        "role": text(item.get("role")),
        "call_id": text(item.get("call_id")),
        "name": text(item.get("name")),
        "arguments": text(item.get("arguments")),
        "output": text(output),
        "server_label": text(item.get("server_label")),
        "error": text(item.get("error")),
        "details": details or None,
    }


def response_rows(response: Mapping[str, Any], discovered_via: Optional[str] = None,
                  fetched_at: Optional[datetime] = None) -> Rows:
    """Rows of every table for one response: the response, its output items, and the file-search
    results and code-interpreter outputs of those items. A response's rows replace all earlier ones
    (merged by `response_id`)."""
    response_id = response["id"]
    rows: Rows = {"responses": [response_row(response, discovered_via, fetched_at)], "response_items": [],
                  "response_file_search_results": [], "response_code_interpreter_outputs": []}
    for position, item in enumerate(_list(response.get("output"))):
        if not is_map(item):
            item = {"type": None, "value": item}
        rows["response_items"].append({"response_id": response_id, **item_row(item, position)})
        item_id = _str(item.get("id"))
        if item.get("type") == "file_search_call":
            for i, result in enumerate(_list(item.get("results"))):
                result = _map(result)
                rows["response_file_search_results"].append({
                    "response_id": response_id, "item_position": position, "position": i, "item_id": item_id,
                    "file_id": text(result.get("file_id")), "filename": text(result.get("filename")),
                    "score": _float(result.get("score")), "text": text(result.get("text")),
                    "attributes": json_value(result.get("attributes")),
                })
        elif item.get("type") == "code_interpreter_call":
            for i, out in enumerate(_list(item.get("outputs"))):
                out = _map(out)
                rows["response_code_interpreter_outputs"].append({
                    "response_id": response_id, "item_position": position, "position": i, "item_id": item_id,
                    "type": text(out.get("type")), "logs": text(out.get("logs")), "url": text(out.get("url")),
                })
    return rows


def conversation_row(conversation: Mapping[str, Any], item_count: Optional[int], discovered_via: Optional[str],
                     polled_at: Optional[datetime], last_item_id: Optional[str] = None) -> Row:
    """The `conversations` row of one Conversation object."""
    return {
        "id": conversation["id"],
        "created_at": to_timestamp(conversation.get("created_at")),
        "metadata": json_value(conversation.get("metadata")),
        "item_count": item_count,
        "last_item_id": last_item_id,
        "discovered_via": discovered_via,
        "last_polled_at": polled_at,
        "deleted_at": None,
    }


def conversation_item_rows(conversation_id: str, items: List[Any], first_position: int = 0) -> List[Row]:
    """`conversation_items` rows, in the conversation's order (oldest first), numbered from
    `first_position` (the count of items loaded before, when these follow them)."""
    rows = []
    for position, item in enumerate(items, start=first_position):
        if not is_map(item):
            item = {"type": None, "value": item}
        row = item_row(item, position)
        rows.append({
            "conversation_id": conversation_id, "position": position, "id": row["id"], "type": row["type"],
            "role": row["role"], "status": row["status"], "call_id": row["call_id"], "name": row["name"],
            "text": row["output"] if row["type"] in ("message", "output_message") else None,
            "response_id": _str(item.get("response_id")),
            "details": {k: v for k, v in item.items() if k not in ("id", "type", "role", "status", "call_id", "name", "response_id")} or None,
        })
    return rows
