"""The notebook's drill-down queries: an assistant's threads, a thread's runs, a run's steps and tool calls.

Lists come costliest first (unpriced last), so the first item of each leads to where the money
went; ties are broken by id so a list is the same every time. Same rules as `queries.py`: plain
SQL for DuckDB and PostgreSQL, values as literals, rounding in Python.
"""

from __future__ import annotations

from typing import List, Optional

from .literals import equals, in_period, integer, number, rounded, sql_string
from .periods import Period
from .warehouse import Row, Warehouse


def assistants_by_cost(wh: Warehouse, period: Period) -> List[Row]:
    """Each assistant with runs in the period: `assistant_id`, `cost_usd`, `runs`."""
    rows = wh.rows(f"""
        select assistant_id, sum(cost_usd) as cost_usd, count(*) as runs
        from {wh.name('fct_runs')}
        where {in_period(period)}
        group by assistant_id
        order by cost_usd desc nulls last, runs desc, assistant_id
    """)
    return [{"assistant_id": r["assistant_id"], "cost_usd": number(r["cost_usd"]), "runs": integer(r["runs"])}
            for r in rows]


def threads_by_cost(wh: Warehouse, assistant_id: Optional[str], period: Period) -> List[Row]:
    """The threads in which the assistant ran in the period, with their runs' cost, usage and failures."""
    rows = wh.rows(f"""
        select thread_id, count(*) as runs, sum(cost_usd) as cost_usd, sum(total_tokens) as total_tokens,
               count(case when is_error then 1 end) as error_runs,
               count(case when is_terminal and not is_completed then 1 end) as not_completed_runs,
               min(created_at) as first_run_at, max(created_at) as last_run_at
        from {wh.name('fct_runs')}
        where {equals('assistant_id', assistant_id)} and {in_period(period)}
        group by thread_id
        order by cost_usd desc nulls last, runs desc, thread_id
    """)
    return [{**r, "runs": integer(r["runs"]), "cost_usd": rounded(r["cost_usd"], 4),
             "total_tokens": integer(r["total_tokens"]), "error_runs": integer(r["error_runs"]),
             "not_completed_runs": integer(r["not_completed_runs"])}
            for r in rows]


def runs_by_cost(wh: Warehouse, thread_id: str, period: Period) -> List[Row]:
    """The thread's runs in the period: outcome, timings, usage, cost, steps and tool calls."""
    rows = wh.rows(f"""
        select run_id, model, status, last_error_code, created_at, queue_seconds, run_seconds, input_tokens,
               output_tokens, total_tokens, cost_usd, cost_basis, steps, tool_calls, failed_steps
        from {wh.name('fct_runs')}
        where {equals('thread_id', thread_id)} and {in_period(period)}
        order by cost_usd desc nulls last, created_at, run_id
    """)
    return [{**r, "cost_usd": rounded(r["cost_usd"], 6)} for r in rows]


def run(wh: Warehouse, run_id: str) -> Optional[Row]:
    """One run's `created_at`, `status` and `run_seconds`; None when there is no such run."""
    rows = wh.rows(f"""
        select created_at, status, run_seconds
        from {wh.name('fct_runs')}
        where run_id = {sql_string(run_id)}
    """)
    return rows[0] if rows else None


def steps(wh: Warehouse, run_id: str) -> List[Row]:
    """The run's steps in the order they were created, with their outcome, timing, usage and cost."""
    rows = wh.rows(f"""
        select step_id, step_type, status, last_error_code, created_at, ended_at, step_seconds, input_tokens,
               output_tokens, total_tokens, cost_usd, tool_call_count
        from {wh.name('fct_run_steps')}
        where run_id = {sql_string(run_id)}
        order by created_at, step_id
    """)
    return [{**r, "cost_usd": rounded(r["cost_usd"], 6)} for r in rows]


def tool_calls(wh: Warehouse, run_id: str) -> List[Row]:
    """The run's tool calls, step by step, with how their step ended."""
    return wh.rows(f"""
        select step_id, tool_call_position, tool_type, function_name, step_status, step_seconds, output_count,
               result_count
        from {wh.name('fct_tool_calls')}
        where run_id = {sql_string(run_id)}
        order by step_created_at, step_id, tool_call_position
    """)
