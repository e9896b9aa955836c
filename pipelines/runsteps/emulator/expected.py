"""Ground truth: what the loader's tables must hold once everything visible now is loaded.

Computed from the world's plans and the clock, not from API objects and not by any loader code, so
tests can compare a warehouse against it. The emulator's own tests check that it agrees with what
the HTTP API serves (and with the export).

Counting rules (they follow the tables in `pipelines/openai_assistants/settings.py`):
- ``threads``: live threads (deleted ones excluded), including those without runs.
- ``runs``, ``run_steps``: visible runs and steps, any status and any step type (Foundry
  ``activities`` steps count as steps, with no tool calls).
- ``run_step_tool_calls``: tool calls of visible ``tool_calls`` steps, of every type.
- ``code_interpreter_outputs`` / ``file_search_results``: outputs and results of tool calls in
  steps that are ``completed`` (an in-progress, failed, cancelled or expired step shows none).
  File-search results count whether or not their ``content`` is included.
- ``run_tokens``: usage of terminal runs. ``step_tokens``: usage of terminal steps that carry a
  ``usage`` object (Foundry omits it on some steps; those still count in ``run_steps``).
- ``tokens_by_model_day``: per (run model, UTC day of run ``created_at``): all visible runs, and the
  usage of the terminal ones.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from typing import TYPE_CHECKING, Any, Dict, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from .world import World


def _day(ts: int) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%d")


def compute_expected(world: "World") -> Dict[str, Any]:
    """The expected totals of `world` at its clock.

    Returns:
        ``{"clock", "tables", "tool_calls_by_type", "steps_by_type", "steps_by_status",
        "runs_by_status", "runs_by_last_error_code", "run_tokens", "step_tokens",
        "tokens_by_model_day", "open_runs"}``.
    """
    now = world.now
    deleted_runs = world._deleted_runs
    tables = Counter({k: 0 for k in ("threads", "runs", "run_steps", "run_step_tool_calls",
                                     "code_interpreter_outputs", "file_search_results")})
    calls_by_type: Counter = Counter()
    steps_by_type: Counter = Counter()
    steps_by_status: Counter = Counter()
    runs_by_status: Counter = Counter()
    runs_by_error: Counter = Counter()
    run_tokens = [0, 0, 0]
    step_tokens = [0, 0, 0]
    by_model_day: Dict[Tuple[str, str], list] = {}
    open_runs = 0
    day_cache: Dict[int, str] = {}

    for rec in world._iter_records():
        tables["threads"] += 1
        for run in rec.runs:
            if run.created_at > now:
                break  # runs are ascending
            if run.id in deleted_runs:
                continue
            tables["runs"] += 1
            terminal = now >= run.end_at
            status = run.status if terminal else run.status_at(now)
            runs_by_status[status] += 1
            day_key = run.created_at // 86_400
            day = day_cache.get(day_key)
            if day is None:
                day = day_cache[day_key] = _day(run.created_at)
            bucket = by_model_day.get((run.model, day))
            if bucket is None:
                bucket = by_model_day[(run.model, day)] = [0, 0, 0, 0]
            bucket[0] += 1
            if terminal:
                if status == "failed" and run.error_code:
                    runs_by_error[run.error_code] += 1
                for i in range(3):
                    run_tokens[i] += run.usage[i]
                    bucket[i + 1] += run.usage[i]
            else:
                open_runs += 1
            for step in run.steps:
                if step.created_at > now:
                    break  # steps are ascending
                tables["run_steps"] += 1
                step_terminal = now >= step.end_at
                step_status = step.status if step_terminal else "in_progress"
                steps_by_type[step.type] += 1
                steps_by_status[step_status] += 1
                if step_terminal and not step.usage_absent:
                    for i in range(3):
                        step_tokens[i] += step.usage[i]
                if step.type != "tool_calls":
                    continue
                completed = step_status == "completed"
                for ctype, n_out, n_res in step.calls:
                    tables["run_step_tool_calls"] += 1
                    calls_by_type[ctype] += 1
                    if completed:
                        tables["code_interpreter_outputs"] += n_out
                        tables["file_search_results"] += n_res

    def tokens(t) -> Dict[str, int]:
        return {"prompt_tokens": t[0], "completion_tokens": t[1], "total_tokens": t[2]}

    return {
        "clock": now,
        "tables": dict(tables),
        "tool_calls_by_type": dict(sorted(calls_by_type.items())),
        "steps_by_type": dict(sorted(steps_by_type.items())),
        "steps_by_status": dict(sorted(steps_by_status.items())),
        "runs_by_status": dict(sorted(runs_by_status.items())),
        "runs_by_last_error_code": dict(sorted(runs_by_error.items())),
        "run_tokens": tokens(run_tokens),
        "step_tokens": tokens(step_tokens),
        "tokens_by_model_day": [
            {"model": model, "day": day, "runs": b[0], "prompt_tokens": b[1], "completion_tokens": b[2],
             "total_tokens": b[3]}
            for (model, day), b in sorted(by_model_day.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ],
        "open_runs": open_runs,
    }
