"""API objects (threads, runs, steps, messages) as they look at a given clock.

Builders never mutate the cached terminal payloads from `details.py`: views that hide outputs
(in-progress steps) or file-search content (no `include[]`) are shallow copies.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import orjson

from .details import message_text, run_attrs, step_details, thread_attrs
from .generate import ThreadRecord, WorldShape
from .plan import RUN_EXPIRY_S, RunPlan, StepPlan, shows_outputs, step_status_at
from .vocab import RUN_ERROR_MESSAGES, STEP_ERROR_MESSAGES

# Foundry tool-call types that carry an `output` inside their payload (filled once the call returns).
_PAYLOAD_OUTPUT_TYPES = frozenset({"connected_agent", "azure_function", "deep_research", "browser_automation"})


def _usage(u) -> Dict[str, int]:
    return {"prompt_tokens": u[0], "completion_tokens": u[1], "total_tokens": u[2]}


def thread_object(shape: WorldShape, rec_or_header) -> Dict[str, Any]:
    """The thread object.

    Args:
        shape: world knobs.
        rec_or_header: a `ThreadRecord`, or any object with `index`, `id` and `created_at`.
    """
    if isinstance(rec_or_header, ThreadRecord) and rec_or_header.attrs is not None:
        attrs = rec_or_header.attrs
    else:
        attrs = thread_attrs(shape, rec_or_header.index)
        if isinstance(rec_or_header, ThreadRecord):
            rec_or_header.attrs = attrs
    return {
        "id": rec_or_header.id,
        "object": "thread",
        "created_at": rec_or_header.created_at,
        "metadata": attrs["metadata"],
        "tool_resources": attrs["tool_resources"],
    }


def run_object(shape: WorldShape, thread_id: str, assistant_id: str, run: RunPlan, now: int) -> Dict[str, Any]:
    """A run as the API returns it at `now`."""
    attrs = run_attrs(shape, run)
    status = run.status_at(now)
    terminal = now >= run.end_at
    end = run.end_at
    required_action = None
    if status == "requires_action":
        step = run.waiting_step(now)
        if step is not None:
            calls = step_details(shape, run, step)["tool_calls"]
            required_action = {
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {
                    "tool_calls": [
                        {
                            "id": c["id"],
                            "type": "function",
                            "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]},
                        }
                        for c in calls
                        if c["type"] == "function"
                    ]
                },
            }
    last_error = None
    if terminal and status == "failed":
        last_error = {"code": run.error_code, "message": RUN_ERROR_MESSAGES[run.error_code]}  # type: ignore[index]
    obj = {
        "id": run.id,
        "object": "thread.run",
        "created_at": run.created_at,
        "assistant_id": assistant_id,
        "thread_id": thread_id,
        "status": status,
        "started_at": run.started_at if run.started_at is not None and run.started_at <= now else None,
        # The API clears expires_at once a run is over, except for the runs that did expire.
        "expires_at": run.created_at + RUN_EXPIRY_S if (not terminal or status == "expired") else None,
        "cancelled_at": end if terminal and status == "cancelled" else None,
        "failed_at": end if terminal and status == "failed" else None,
        "completed_at": end if terminal and status in ("completed", "incomplete") else None,
        "required_action": required_action,
        "last_error": last_error,
        "model": run.model,
        "instructions": attrs["instructions"],
        "tools": attrs["tools"],
        "metadata": attrs["metadata"],
        "incomplete_details": {"reason": run.incomplete_reason} if terminal and status == "incomplete" else None,
        "usage": _usage(run.usage) if terminal else None,
        "temperature": attrs["temperature"],
        "top_p": attrs["top_p"],
        "max_prompt_tokens": run.max_prompt_tokens,
        "max_completion_tokens": run.max_completion_tokens,
        "truncation_strategy": attrs["truncation_strategy"],
        "tool_choice": attrs["tool_choice"],
        "parallel_tool_calls": attrs["parallel_tool_calls"],
        "response_format": attrs["response_format"],
    }
    if shape.foundry:  # Foundry runs carry the resources their tools use (OpenAI's RunObject has none)
        obj["tool_resources"] = attrs["tool_resources"]
    return obj


def details_view(details: Dict[str, Any], status: str, include_content: bool) -> Dict[str, Any]:
    """`step_details` as a client sees them for a step in `status`, with or without `include[]`."""
    if details["type"] != "tool_calls":
        return details
    show = shows_outputs(status)
    if show and include_content:
        return details
    calls: List[Dict[str, Any]] = []
    for c in details["tool_calls"]:
        t = c["type"]
        if t == "file_search":
            fs = c["file_search"]
            if not show:
                results: List[Dict[str, Any]] = []
            else:
                results = [{k: v for k, v in res.items() if k != "content"} for res in fs["results"]]
            c = {**c, "file_search": {**fs, "results": results}}
        elif show:
            pass
        elif t == "code_interpreter":
            c = {**c, "code_interpreter": {**c["code_interpreter"], "outputs": []}}
        elif t == "function":
            if "output" in c["function"]:
                c = {**c, "function": {**c["function"], "output": None}}
        elif t == "mcp":
            c = {**c, "output": None}
        elif t in _PAYLOAD_OUTPUT_TYPES:
            c = {**c, t: {**c[t], "output": None}}
        calls.append(c)
    return {"type": "tool_calls", "tool_calls": calls}


def step_object(
    shape: WorldShape,
    thread_id: str,
    assistant_id: str,
    run: RunPlan,
    step: StepPlan,
    now: int,
    include_content: bool,
) -> Dict[str, Any]:
    """A run step as the API returns it at `now`."""
    status = step_status_at(step, now)
    terminal = status != "in_progress"
    end = step.end_at
    obj: Dict[str, Any] = {
        "id": step.id,
        "object": "thread.run.step",
        "created_at": step.created_at,
        "run_id": run.id,
        "assistant_id": assistant_id,
        "thread_id": thread_id,
        "type": step.type,
        "status": status,
        "cancelled_at": end if status == "cancelled" else None,
        "completed_at": end if status == "completed" else None,
        "expired_at": end if status == "expired" else None,
        "failed_at": end if status == "failed" else None,
        "last_error": (
            {"code": step.error_code, "message": STEP_ERROR_MESSAGES[step.error_code]}  # type: ignore[index]
            if status == "failed"
            else None
        ),
        "step_details": details_view(step_details(shape, run, step), status, include_content),
        "metadata": {},
    }
    if not step.usage_absent:
        obj["usage"] = _usage(step.usage) if terminal else None
    return obj


def _compact(data: bytes) -> bytes:
    # orjson hands back its whole output buffer (~8 KB whatever the JSON's size): a copy of the
    # exact size is what a cache should keep.
    return memoryview(data).tobytes()


def run_json(shape: WorldShape, thread_id: str, assistant_id: str, run: RunPlan, now: int) -> bytes:
    """`run_object` serialized; a terminal run never changes again, so its bytes are cached."""
    if now >= run.end_at:
        if run.json is None:
            run.json = _compact(orjson.dumps(run_object(shape, thread_id, assistant_id, run, now)))
            run.attrs = None  # regenerated on demand, like step details
        return run.json
    return orjson.dumps(run_object(shape, thread_id, assistant_id, run, now))


def step_json(shape: WorldShape, thread_id: str, assistant_id: str, run: RunPlan, step: StepPlan, now: int,
              include_content: bool) -> bytes:
    """`step_object` serialized; terminal steps are cached (both `include[]` variants)."""
    if now < step.end_at:
        return orjson.dumps(step_object(shape, thread_id, assistant_id, run, step, now, include_content))
    cache = step.json
    if cache is None:
        cache = step.json = [None, None]
    data = cache[include_content]
    if data is None:
        data = _compact(orjson.dumps(step_object(shape, thread_id, assistant_id, run, step, now, include_content)))
        if any(c[0] == "file_search" for c in step.calls):
            cache[include_content] = data
        else:  # nothing to include: both variants are the same bytes
            cache[0] = cache[1] = data
        step.details = None  # the bytes are what is served from now on; details regenerate if needed
    return data


_MESSAGE_INCOMPLETE = {"failed": "run_failed", "cancelled": "run_cancelled", "expired": "run_expired"}


def message_object(
    shape: WorldShape,
    thread_id: str,
    assistant_id: str,
    run: RunPlan,
    step: Optional[StepPlan],
    now: int,
) -> Dict[str, Any]:
    """A message: the user message that started `run` (step None) or a message_creation step's."""
    if step is None:
        return {
            "id": run.user_message_id,
            "object": "thread.message",
            "created_at": run.user_message_at,
            "thread_id": thread_id,
            "status": "completed",
            "incomplete_details": None,
            "completed_at": run.user_message_at,
            "incomplete_at": None,
            "role": "user",
            "content": [message_text(shape, run.user_message_id, "user")],
            "assistant_id": None,
            "run_id": None,
            "attachments": [],
            "metadata": {},
        }
    step_status = step_status_at(step, now)
    status, reason = "completed", None
    if step_status == "in_progress":
        status = "in_progress"
    elif step_status in _MESSAGE_INCOMPLETE:
        status, reason = "incomplete", _MESSAGE_INCOMPLETE[step_status]
    elif run.incomplete_reason is not None and step is run.steps[-1] and now >= run.end_at:
        status, reason = "incomplete", "max_tokens"
    content = message_text(shape, step.message_id, "assistant")  # type: ignore[arg-type]
    if status == "in_progress":
        text = content["text"]["value"]
        content = {"type": "text", "text": {"value": text[: len(text) // 2], "annotations": []}}
    return {
        "id": step.message_id,
        "object": "thread.message",
        "created_at": step.created_at,
        "thread_id": thread_id,
        "status": status,
        "incomplete_details": {"reason": reason} if reason else None,
        "completed_at": step.end_at if status == "completed" else None,
        "incomplete_at": step.end_at if status == "incomplete" else None,
        "role": "assistant",
        "content": [content],
        "assistant_id": assistant_id,
        "run_id": run.id,
        "attachments": None,
        "metadata": {},
    }
