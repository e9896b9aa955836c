"""Ground truth of a Responses world: what a loader that read everything retrievable at the clock holds.

Computed from the plans and the clock only (never from API objects, never by loader code), so a
warehouse can be compared with it; the emulator's tests check that it agrees with what HTTP serves.

Counting rules:
- A response counts when it is retrievable: created by the clock, not deleted, not past retention.
- ``output_items`` (and per type) are the items of retrievable responses that are completed or
  incomplete (failed, cancelled and open responses have none); ``file_search_results`` and
  ``code_interpreter_outputs`` are what those items hold with ``include[]``.
- ``input_items``: every input item of every retrievable response.
- ``conversation_items``: items of live conversations visible at the clock, whatever became of their
  responses (retention does not touch conversations).
- ``tokens``: usage of retrievable responses that have one (completed and incomplete). ``cached_tokens``
  is part of ``input_tokens`` and ``reasoning_tokens`` part of ``output_tokens``;
  ``total_tokens = input_tokens + output_tokens``.
- ``tokens_by_model_day``: per (model or deployment, UTC day of ``created_at``): every retrievable
  response, and the usage of those that have one.
"""

from __future__ import annotations

import datetime as _dt
from bisect import bisect_right
from collections import Counter
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from .responses_plan import TERMINAL_STATUSES

if TYPE_CHECKING:  # pragma: no cover
    from .responses_world import ResponsesWorld

TOKEN_CLASSES = ("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "total_tokens")


def _day(ts: int) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%d")


def _tokens(usage: Tuple[int, int, int, int]) -> Tuple[int, int, int, int, int]:
    inp, cached, out, reasoning = usage
    return inp, cached, out, reasoning, inp + out


def compute_expected(world: "ResponsesWorld") -> Dict[str, Any]:
    """The expected totals of `world` at its clock (see the module docstring for the rules)."""
    now = world.now
    deleted = world._deleted_responses
    deleted_convs = world._deleted_conversations
    tables = Counter({k: 0 for k in ("conversations", "responses", "output_items", "input_items",
                                     "conversation_items", "file_search_results", "code_interpreter_outputs")})
    by_status: Counter = Counter()
    by_error: Counter = Counter()
    by_reason: Counter = Counter()
    by_agent: Counter = Counter()
    items_by_type: Counter = Counter()
    inputs_by_type: Counter = Counter()
    tokens = [0] * 5
    by_model_day: Dict[Tuple[str, str], List[int]] = {}
    open_responses = past_retention = 0

    for rec in world._iter_records():
        if rec.conversation_id and rec.index not in deleted_convs:
            tables["conversations"] += 1
            entries, at, _ = rec.item_entries()
            tables["conversation_items"] += bisect_right(at, now)
        for plan in rec.visible(now):
            if plan.id in deleted:
                continue
            if not world.retained(plan):
                past_retention += 1
                continue
            tables["responses"] += 1
            status = plan.status_at(now)
            by_status[status] += 1
            if status not in TERMINAL_STATUSES:
                open_responses += 1
            if status == "failed":
                by_error[plan.error_code] += 1
            if status == "incomplete":
                by_reason[plan.incomplete_reason] += 1
            if world.flavour == "foundry":
                by_agent[f"{rec.agent[0]}:{rec.agent[1]}" if rec.agent else None] += 1
            tables["input_items"] += len(plan.inputs)
            inputs_by_type.update(plan.inputs)
            row = by_model_day.setdefault((plan.model, _day(plan.created_at)), [0] * 6)
            row[0] += 1
            if plan.productive_at(now):
                for item_type, count in plan.outputs:
                    items_by_type[item_type] += 1
                    tables["output_items"] += 1
                    if item_type == "file_search_call":
                        tables["file_search_results"] += count
                    elif item_type == "code_interpreter_call":
                        tables["code_interpreter_outputs"] += count
                for i, n in enumerate(_tokens(plan.usage)):  # type: ignore[arg-type]
                    tokens[i] += n
                    row[i + 1] += n

    result: Dict[str, Any] = {
        "clock": now,
        "api": "responses",
        "flavour": world.flavour,
        "tables": dict(tables),
        "responses_by_status": dict(sorted(by_status.items())),
        "responses_by_error_code": dict(sorted(by_error.items())),
        "responses_by_incomplete_reason": dict(sorted(by_reason.items())),
        "output_items_by_type": dict(sorted(items_by_type.items())),
        "input_items_by_type": dict(sorted(inputs_by_type.items())),
        "tokens": dict(zip(TOKEN_CLASSES, tokens)),
        "tokens_by_model_day": [
            {"model": model, "day": day, "responses": row[0], **dict(zip(TOKEN_CLASSES, row[1:]))}
            for (model, day), row in sorted(by_model_day.items())
        ],
        "open_responses": open_responses,
        "responses_past_retention": past_retention,
    }
    if world.flavour == "foundry":
        result["responses_by_agent"] = {k: by_agent[k] for k in sorted(by_agent, key=lambda a: (a is None, a or ""))}
    return result
