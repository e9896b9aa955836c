"""Pure functions that turn Assistants API objects into table rows. No I/O here.

Every function accepts what the API (any flavour: OpenAI, Azure, Foundry) may send: optional fields
may be missing or null, and unknown step types and tool-call types are kept whole in a `details`
JSON column instead of being dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional

from sourcekit.values import as_float as _float
from sourcekit.values import as_int as _int
from sourcekit.values import as_list as _list
from sourcekit.values import as_map as _map
from sourcekit.values import as_text as _text
from sourcekit.values import is_map, json_value, to_timestamp

Row = Dict[str, Any]
Rows = Dict[str, List[Row]]

# Tool-call types whose payload has columns of its own; every other type keeps its payload in `details`.
_COLUMN_TOOL_TYPES = frozenset({"function", "code_interpreter", "file_search"})
# Foundry types whose payload (under a key named like the type) carries name/arguments/output.
_NAMED_PAYLOAD_KEYS = ("name", "arguments", "output", "input")


def _usage(obj: Mapping[str, Any]) -> Row:
    usage = _map(obj.get("usage"))
    return {
        "prompt_tokens": _int(usage.get("prompt_tokens")),
        "completion_tokens": _int(usage.get("completion_tokens")),
        "total_tokens": _int(usage.get("total_tokens")),
    }


def thread_row(
    thread: Mapping[str, Any],
    discovered_via: str,
    first_seen_at: Optional[datetime],
    last_polled_at: Optional[datetime],
    deleted_at: Optional[datetime] = None,
) -> Row:
    """One row of `threads`. `thread` may be a bare `{"id": ...}` when only the id is known."""
    return {
        "id": thread["id"],
        "discovered_via": discovered_via,
        "created_at": to_timestamp(thread.get("created_at")),
        "metadata": json_value(thread.get("metadata")),
        "first_seen_at": first_seen_at,
        "last_polled_at": last_polled_at,
        "deleted_at": deleted_at,
    }


def run_row(run: Mapping[str, Any]) -> Row:
    """One row of `runs`."""
    last_error = _map(run.get("last_error"))
    return {
        "id": run["id"],
        "thread_id": run.get("thread_id"),
        "assistant_id": run.get("assistant_id"),
        "status": run.get("status"),
        "model": run.get("model"),
        "created_at": to_timestamp(run.get("created_at")),
        "started_at": to_timestamp(run.get("started_at")),
        "completed_at": to_timestamp(run.get("completed_at")),
        "failed_at": to_timestamp(run.get("failed_at")),
        "cancelled_at": to_timestamp(run.get("cancelled_at")),
        "expires_at": to_timestamp(run.get("expires_at")),
        "last_error_code": _text(last_error.get("code")),
        "last_error_message": _text(last_error.get("message")),
        "incomplete_reason": _text(_map(run.get("incomplete_details")).get("reason")),
        "required_action_type": _text(_map(run.get("required_action")).get("type")),
        **_usage(run),
        "temperature": _float(run.get("temperature")),
        "top_p": _float(run.get("top_p")),
        "max_prompt_tokens": _int(run.get("max_prompt_tokens")),
        "max_completion_tokens": _int(run.get("max_completion_tokens")),
        "truncation_strategy": json_value(run.get("truncation_strategy")),
        "tool_choice": _text(run.get("tool_choice")),
        "response_format": _text(run.get("response_format")),
        "parallel_tool_calls": run.get("parallel_tool_calls") if isinstance(run.get("parallel_tool_calls"), bool) else None,
        "tools": json_value(run.get("tools")),
        "instructions": _text(run.get("instructions")),
        "metadata": json_value(run.get("metadata")),
    }


def tool_call_rows(
    tool_call: Mapping[str, Any], step: Mapping[str, Any], run_id: str, thread_id: Optional[str], position: int
) -> Rows:
    """The rows one tool call makes: itself, plus its code-interpreter outputs or file-search results."""
    call_type = _text(tool_call.get("type"))
    keys = {"step_id": step["id"], "run_id": run_id, "thread_id": thread_id}
    call: Row = {
        **keys,
        "position": position,
        "id": _text(tool_call.get("id")),
        "type": call_type,
        "name": None,
        "arguments": None,
        "input": None,
        "output": None,
        "server_label": None,
        "file_search_ranker": None,
        "file_search_score_threshold": None,
        "output_count": None,
        "result_count": None,
        "details": None,
    }
    out: Rows = {"run_step_tool_calls": [call], "code_interpreter_outputs": [], "file_search_results": []}
    child_keys = {**keys, "tool_call_position": position, "tool_call_id": call["id"]}

    if call_type == "function":
        function = _map(tool_call.get("function"))
        call.update(name=_text(function.get("name")), arguments=_text(function.get("arguments")),
                    output=_text(function.get("output")))
    elif call_type == "code_interpreter":
        code = _map(tool_call.get("code_interpreter"))
        outputs = _list(code.get("outputs"))
        call.update(input=_text(code.get("input")), output_count=len(outputs))
        for i, output in enumerate(outputs):
            output = _map(output)
            out["code_interpreter_outputs"].append({
                **child_keys,
                "position": i,
                "type": _text(output.get("type")),
                "logs": _text(output.get("logs")),
                "image_file_id": _text(_map(output.get("image")).get("file_id")),
            })
    elif call_type == "file_search":
        search = _map(tool_call.get("file_search"))
        ranking = _map(search.get("ranking_options"))
        results = _list(search.get("results"))
        call.update(file_search_ranker=_text(ranking.get("ranker")),
                    file_search_score_threshold=_float(ranking.get("score_threshold")),
                    result_count=len(results))
        for i, result in enumerate(results):
            result = _map(result)
            content = result.get("content")
            out["file_search_results"].append({
                **child_keys,
                "position": i,
                "file_id": _text(result.get("file_id")),
                "file_name": _text(result.get("file_name")),
                "score": _float(result.get("score")),
                "content": _content_text(content),
            })
    else:
        # Foundry kinds and anything unknown: the payload sits under a key named like the type
        # (azure_function, connected_agent, deep_research, ...) or, for mcp, on the call itself.
        payload = tool_call.get(call_type) if call_type else None
        named = payload if is_map(payload) else tool_call
        call.update({key: _text(named.get(key)) for key in _NAMED_PAYLOAD_KEYS})
        call["server_label"] = _text(named.get("server_label"))
        call["details"] = {k: v for k, v in tool_call.items() if k not in ("id", "type")} or None
    return out


def _content_text(content: Any) -> Optional[str]:
    """File-search content is a list of `{type: text, text}` parts; absent unless asked for."""
    if content is None:
        return None
    if isinstance(content, str):
        return content
    parts = [p.get("text") if is_map(p) else p for p in _list(content)]
    return "\n".join(_text(p) or "" for p in parts)


def step_rows(step: Mapping[str, Any], run: Mapping[str, Any]) -> Rows:
    """The rows one run step makes, in every table below `runs`.

    Args:
        step: the API step object.
        run: the run it was fetched under, which supplies `run_id` and `thread_id`.
    """
    # A step belongs to the run it was fetched under, whatever its payload says (`step_problems`
    # reports a disagreement); the details are what is flattened, so their type wins over `type`.
    run_id = run["id"]
    thread_id = run.get("thread_id") or step.get("thread_id")
    details = _map(step.get("step_details"))
    details_type = details.get("type")
    step_type = details_type if isinstance(details_type, str) and details_type else _text(step.get("type"))
    last_error = _map(step.get("last_error"))
    row: Row = {
        "id": step["id"],
        "run_id": run_id,
        "thread_id": thread_id,
        "assistant_id": step.get("assistant_id") or run.get("assistant_id"),
        "type": step_type,
        "status": _text(step.get("status")),
        "created_at": to_timestamp(step.get("created_at")),
        "completed_at": to_timestamp(step.get("completed_at")),
        "failed_at": to_timestamp(step.get("failed_at")),
        "cancelled_at": to_timestamp(step.get("cancelled_at")),
        "expired_at": to_timestamp(step.get("expired_at")),
        "last_error_code": _text(last_error.get("code")),
        "last_error_message": _text(last_error.get("message")),
        **_usage(step),
        "message_id": None,
        "tool_call_count": None,
        "metadata": json_value(step.get("metadata")),
        "details": None,
    }
    out: Rows = {"run_steps": [row], "run_step_tool_calls": [], "code_interpreter_outputs": [], "file_search_results": []}
    if step_type == "message_creation":
        row["message_id"] = _text(_map(details.get("message_creation")).get("message_id"))
    elif step_type == "tool_calls":
        calls = _list(details.get("tool_calls"))
        row["tool_call_count"] = len(calls)
        for position, call in enumerate(calls):
            for table, rows in tool_call_rows(_map(call), step, run_id, thread_id, position).items():
                out[table].extend(rows)
    else:
        row["details"] = dict(details) or None
    return out


def run_rows(run: Mapping[str, Any], steps: Iterable[Mapping[str, Any]]) -> Rows:
    """All rows of one run: the run itself and everything below it."""
    out: Rows = {"runs": [run_row(run)], "run_steps": [], "run_step_tool_calls": [],
                 "code_interpreter_outputs": [], "file_search_results": []}
    for step in steps:
        for table, rows in step_rows(step, run).items():
            out[table].extend(rows)
    return out


def step_problems(step: Mapping[str, Any], run: Mapping[str, Any]) -> List[str]:
    """What is wrong with a step that still loads: a `type` its details contradict, or a `run_id` or
    `thread_id` naming another run or thread than the one it was fetched under."""
    problems = []
    details_type = _map(step.get("step_details")).get("type")
    if isinstance(details_type, str) and details_type and step.get("type") and step.get("type") != details_type:
        problems.append(f"step type {step.get('type')!r} disagrees with step_details.type {details_type!r}; "
                        "loaded as its details say")
    for key, parent in (("run_id", run.get("id")), ("thread_id", run.get("thread_id"))):
        if step.get(key) and parent and step.get(key) != parent:
            problems.append(f"step names {key} {step.get(key)!r} but was listed under {parent!r}; "
                            "loaded under the latter")
    return problems
