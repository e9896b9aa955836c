"""Explore Assistants API costs and failures from the runsteps marts.

Open it:        marimo edit notebooks/explore.py -- --db runsteps.duckdb
Run as a script: python notebooks/explore.py --db runsteps.duckdb
For Jupyter:     marimo export ipynb notebooks/explore.py -o explore.ipynb

The database path comes from `--db`, else $RUNSTEPS_DB, else ./runsteps.duckdb. The notebook opens
it read-only and reads the marts in schema `analytics` only. Charts are the report's own inline
SVG (runsteps.report.svg), so nothing needs a plotting library or the network.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="runsteps: explore costs and failures")


@app.cell(hide_code=True)
def _():
    import os
    from datetime import timedelta
    from pathlib import Path

    import duckdb
    import marimo as mo

    from runsteps.report import fmt
    from runsteps.report.charts import (cost_by_assistant, daily_cost_by_model, failure_rate_by_code,
                                        tool_calls_by_type)
    from runsteps.report.palette import model_colours
    from runsteps.report.queries import ErrorCodeRow, FailureRow, ToolRow, UsageRow
    from runsteps.report.svg import BarRow, horizontal_bars
    return (BarRow, ErrorCodeRow, FailureRow, Path, ToolRow, UsageRow, cost_by_assistant, daily_cost_by_model, duckdb,
            failure_rate_by_code, fmt, horizontal_bars, mo, model_colours, os, timedelta, tool_calls_by_type)


@app.cell(hide_code=True)
def _(Path, mo, os):
    # `--db` on the command line (after `--` with `marimo edit`), else $RUNSTEPS_DB, else the default.
    db_path = Path(str(mo.cli_args().get("db") or os.environ.get("RUNSTEPS_DB") or "runsteps.duckdb")).expanduser()
    mo.stop(
        not db_path.is_file(),
        mo.md(f"**No database at `{db_path}`.** Run `runsteps demo` or `runsteps nightly`, then open this notebook "
              "with `-- --db PATH` (or set `RUNSTEPS_DB`)."),
    )
    return (db_path,)


@app.cell(hide_code=True)
def _(db_path, duckdb, mo):
    # Read-only: the notebook never changes the warehouse, and can sit open beside other readers.
    con = duckdb.connect(str(db_path), read_only=True)

    def rows(sql, params=None):
        """A query's rows as dicts."""
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values)) for values in cursor.fetchall()]

    marts = {r["table_name"] for r in rows(
        "select table_name from information_schema.tables where table_schema = 'analytics'")}
    mo.stop(
        "fct_runs" not in marts,
        mo.md(f"**`{db_path}` has no marts yet.** Build them with `runsteps models --db {db_path}`."),
    )
    return con, rows


@app.cell(hide_code=True)
def _(db_path, fmt, mo, rows):
    overview = rows("""
        select min(run_date) as first_day, max(run_date) as last_day, count(*) as runs,
               count(distinct assistant_id) as assistants, count(distinct thread_id) as threads,
               sum(cost_usd) as cost_usd, sum(total_tokens) as total_tokens,
               count(case when not is_terminal then 1 end) as open_runs
        from analytics.fct_runs
    """)[0]
    last_day = overview["last_day"]
    mo.md(f"""
    # Assistants API: costs and failures

    Exploring **`{db_path}`**: {fmt.count(overview['runs'])} runs of {overview['assistants']} assistants in
    {overview['threads']} threads, from {overview['first_day']} to {last_day}
    ({fmt.count(overview['open_runs'])} still open). They cost **{fmt.money(overview['cost_usd'])}** for
    {fmt.compact(overview['total_tokens'])} tokens.

    Everything below reads the marts of schema `analytics` (see `sql/marts/`). Days are UTC, and a run's
    cost is its own usage at its model's price on its day; runs of models without a price have no cost
    (never 0), see *Unpriced models*.
    """)
    return (last_day,)


@app.cell(hide_code=True)
def _(mo):
    days = mo.ui.slider(7, 120, value=30, step=1, label="Days to look at", show_value=True)
    days
    return (days,)


@app.cell(hide_code=True)
def _(days, last_day, mo, timedelta):
    mo.stop(last_day is None, mo.md("No runs in the warehouse yet."))
    # The window ends with the last day that has runs, so an old database still shows its data.
    end = last_day + timedelta(days=1)
    start = end - timedelta(days=days.value)
    day_list = [start + timedelta(days=i) for i in range(days.value)]
    window = [start, end]
    mo.md(f"Looking at **{start} – {last_day}** ({days.value} days, ending with the last day that has runs).")
    return day_list, window


@app.cell(hide_code=True)
def _(UsageRow, model_colours, rows, window):
    usage = [UsageRow(**r) for r in rows("""
        select run_date, assistant_id, model, runs, terminal_runs, prompt_tokens, completion_tokens, total_tokens,
               cost_usd, unpriced_total_tokens
        from analytics.rpt_daily_usage
        where run_date >= ? and run_date < ?
    """, window)]
    colours = model_colours(r["model"] for r in rows(
        "select distinct model from analytics.rpt_daily_usage where model is not null"))
    return colours, usage


@app.cell(hide_code=True)
def _(colours, cost_by_assistant, daily_cost_by_model, day_list, mo, usage):
    mo.vstack([
        mo.md("""
        ## Daily cost

        Each column is a day's cost, split by model (hover for amounts). The bars below rank assistants by
        their cost over the window, split by model the same way.
        """),
        mo.Html(daily_cost_by_model(day_list, usage, colours).html()),
        mo.Html(cost_by_assistant(usage, colours, width=760).html()),
    ])
    return


@app.cell(hide_code=True)
def _(fmt, mo, rows, window):
    by_model = rows("""
        select model, sum(runs) as runs, sum(total_tokens) as total_tokens, round(sum(cost_usd), 4) as cost_usd,
               max(input_usd_per_mtok) as input_usd_per_mtok, max(output_usd_per_mtok) as output_usd_per_mtok,
               max(price_source) as price_source, sum(unpriced_total_tokens) as unpriced_total_tokens
        from analytics.rpt_daily_usage
        where run_date >= ? and run_date < ?
        group by model
        order by cost_usd desc nulls last
    """, window)
    unpriced = rows("select * from analytics.unpriced_models order by total_tokens desc")
    mo.vstack([
        mo.md("### Cost by model\nPrices are per million tokens, as in effect on the runs' days."),
        mo.ui.table(by_model, selection=None, label="Cost by model"),
        mo.md("### Unpriced models\n" + (
            "Every model has a price." if not unpriced else
            "These models have no price, so their usage is in no cost figure: add them to "
            "`sql/seeds/price_overrides.csv` and run `runsteps models`. "
            + ", ".join(f"**{u['model']}** ({fmt.compact(u['total_tokens'])} tokens)" for u in unpriced))),
    ])
    return


@app.cell(hide_code=True)
def _(ErrorCodeRow, FailureRow, day_list, failure_rate_by_code, mo, rows, window):
    failures = [FailureRow(**r) for r in rows("""
        select run_date, sum(terminal_runs) as terminal_runs, sum(unsuccessful_runs) as unsuccessful_runs,
               sum(failed_runs) as failed_runs, sum(expired_runs) as expired_runs,
               sum(cancelled_runs) as cancelled_runs, sum(incomplete_runs) as incomplete_runs
        from analytics.rpt_failure_rates
        where run_date >= ? and run_date < ?
        group by run_date
    """, window)]
    codes = [ErrorCodeRow(**r) for r in rows("""
        select run_date, last_error_code, sum(runs) as runs, sum(failed_runs) as failed_runs
        from analytics.rpt_failures_by_error_code
        where run_date >= ? and run_date < ?
        group by run_date, last_error_code
    """, window)]
    by_assistant = rows("""
        select assistant_id, model, sum(terminal_runs) as ended_runs, sum(unsuccessful_runs) as unsuccessful_runs,
               round(sum(unsuccessful_runs) * 100.0 / sum(terminal_runs), 1) as failure_pct,
               sum(server_error_runs) as server_error, sum(rate_limit_exceeded_runs) as rate_limit_exceeded,
               sum(invalid_prompt_runs) as invalid_prompt, sum(expired_runs) as expired,
               sum(cancelled_runs) as cancelled, sum(incomplete_runs) as incomplete
        from analytics.rpt_failure_rates
        where run_date >= ? and run_date < ?
        group by assistant_id, model
        order by failure_pct desc, ended_runs desc
    """, window)
    mo.vstack([
        mo.md("""
        ## Failure rates

        The share of ended runs that did not complete, per day, split by reason: failed runs by their
        `last_error_code`, then expired, cancelled and incomplete runs. Runs still open are left out until
        they end.
        """),
        mo.Html(failure_rate_by_code(day_list, failures, codes).html()),
        mo.md("### By assistant and model"),
        mo.ui.table(by_assistant, selection=None, label="Failure rates by assistant and model"),
    ])
    return


@app.cell(hide_code=True)
def _(ToolRow, mo, rows, tool_calls_by_type, window):
    tools = [ToolRow(**r) for r in rows("""
        select tool_type, function_name, sum(tool_calls) as tool_calls,
               sum(terminal_tool_calls) as terminal_tool_calls, sum(completed_tool_calls) as completed_tool_calls,
               sum(failed_tool_calls) as failed_tool_calls, sum(cancelled_tool_calls) as cancelled_tool_calls,
               sum(expired_tool_calls) as expired_tool_calls
        from analytics.rpt_tool_usage
        where run_date >= ? and run_date < ?
        group by tool_type, function_name
    """, window)]
    tool_table = [
        {"tool_type": t.tool_type, "name": t.function_name, "calls": t.tool_calls, "ended": t.terminal_tool_calls,
         "failed": t.failed_tool_calls,
         "failure_pct": round(t.failure_rate * 100, 1) if t.failure_rate is not None else None}
        for t in sorted(tools, key=lambda t: -t.tool_calls)
    ]
    mo.vstack([
        mo.md("""
        ## Tool usage

        Tool calls by type, split by how their step ended. A tool call has no status of its own: it failed
        when its step failed. The table breaks the types down by function (or MCP tool, or agent) name.
        """),
        mo.Html(tool_calls_by_type(tools, width=760).html()),
        mo.ui.table(tool_table, selection=None, label="Tool calls by type and name"),
    ])
    return


@app.cell(hide_code=True)
def _(fmt, mo, rows, window):
    assistants = rows("""
        select assistant_id, sum(cost_usd) as cost_usd, count(*) as runs
        from analytics.fct_runs
        where run_date >= ? and run_date < ?
        group by assistant_id
        order by cost_usd desc nulls last, runs desc, assistant_id
    """, window)
    assistant_pick = mo.ui.dropdown(
        options={f"{a['assistant_id']} · {fmt.money(a['cost_usd'])} · {a['runs']} runs": a["assistant_id"]
                 for a in assistants},
        value=(f"{assistants[0]['assistant_id']} · {fmt.money(assistants[0]['cost_usd'])} · {assistants[0]['runs']} runs"
               if assistants else None),
        label="Assistant",
    )
    mo.vstack([
        mo.md("""
        ## Drill down: assistant → thread → run → steps

        Pick an assistant (costliest first), then one of its threads and runs. Each list starts with the
        costliest item, so the defaults lead straight to where the money went.
        """),
        assistant_pick,
    ])
    return (assistant_pick,)


@app.cell(hide_code=True)
def _(assistant_pick, fmt, mo, rows, window):
    mo.stop(assistant_pick.value is None, mo.md("No runs in this window."))
    threads = rows("""
        select thread_id, count(*) as runs, round(sum(cost_usd), 4) as cost_usd, sum(total_tokens) as total_tokens,
               count(case when not is_completed and is_terminal then 1 end) as unsuccessful_runs,
               min(created_at) as first_run_at, max(created_at) as last_run_at
        from analytics.fct_runs
        where assistant_id = ? and run_date >= ? and run_date < ?
        group by thread_id
        order by cost_usd desc nulls last, runs desc, thread_id
    """, [assistant_pick.value, *window])
    thread_pick = mo.ui.dropdown(
        options={f"{t['thread_id']} · {fmt.money(t['cost_usd'])} · {t['runs']} runs": t["thread_id"] for t in threads},
        value=f"{threads[0]['thread_id']} · {fmt.money(threads[0]['cost_usd'])} · {threads[0]['runs']} runs",
        label="Thread",
    )
    mo.vstack([mo.md(f"### Threads of `{assistant_pick.value}`"),
               mo.ui.table(threads, selection=None, label="Threads"), thread_pick])
    return (thread_pick,)


@app.cell(hide_code=True)
def _(fmt, mo, rows, thread_pick, window):
    runs = rows("""
        select run_id, model, status, last_error_code, created_at, queue_seconds, run_seconds, prompt_tokens,
               completion_tokens, total_tokens, round(cost_usd, 6) as cost_usd, steps, tool_calls, failed_steps
        from analytics.fct_runs
        where thread_id = ? and run_date >= ? and run_date < ?
        order by cost_usd desc nulls last, created_at, run_id
    """, [thread_pick.value, *window])
    run_pick = mo.ui.dropdown(
        options={f"{r['run_id']} · {r['status']} · {fmt.money(r['cost_usd'])}": r["run_id"] for r in runs},
        value=f"{runs[0]['run_id']} · {runs[0]['status']} · {fmt.money(runs[0]['cost_usd'])}",
        label="Run",
    )
    mo.vstack([mo.md(f"### Runs of `{thread_pick.value}`"), mo.ui.table(runs, selection=None, label="Runs"), run_pick])
    return (run_pick,)


@app.cell(hide_code=True)
def _(BarRow, fmt, horizontal_bars, mo, rows, run_pick):
    run = rows("select created_at, status, run_seconds from analytics.fct_runs where run_id = ?", [run_pick.value])[0]
    steps = rows("""
        select step_id, step_type, status, last_error_code, created_at, ended_at, step_seconds, prompt_tokens,
               completion_tokens, total_tokens, round(cost_usd, 6) as cost_usd, tool_call_count
        from analytics.fct_run_steps
        where run_id = ?
        order by created_at, step_id
    """, [run_pick.value])
    calls = rows("""
        select step_id, tool_call_position, tool_type, function_name, step_status, step_seconds, output_count,
               result_count
        from analytics.fct_tool_calls
        where run_id = ?
        order by step_created_at, step_id, tool_call_position
    """, [run_pick.value])
    step_colour = {"completed": "#4269d0", "failed": "#e45756", "in_progress": "#c9d3e6"}

    def gantt_row(i, s):
        # An invisible lead-in places each step where it started within the run: a Gantt chart.
        offset = max((s["created_at"] - run["created_at"]).total_seconds(), 0.0)
        return BarRow(f"{i + 1}. {s['step_type']}",
                      [(offset, "transparent", f"{s['step_id']} starts {fmt.seconds(offset)} into the run"),
                       (float(s["step_seconds"] or 0), step_colour.get(s["status"], "#9498a0"),
                        f"{s['step_id']}: {s['status']}, {fmt.seconds(s['step_seconds'])}")],
                      f"{fmt.seconds(s['step_seconds'])} · {s['status']}")

    timeline = horizontal_bars(
        [gantt_row(i, s) for i, s in enumerate(steps)],
        label="Steps over the run's life", x_title="Seconds since the run was created",
        tick_format=lambda v: f"{v:g} s", width=760, label_width=160, note_width=150,
        empty_text="This run has no steps")
    mo.vstack([
        mo.md(f"""
        ### Steps of `{run_pick.value}`
        The run was created {fmt.timestamp(run['created_at'])}, is **{run['status']}**, and ran
        {fmt.seconds(run['run_seconds'])}. Each bar is a step, placed where it started. Step usage breaks the
        run's usage down: never add the two.
        """),
        mo.Html(timeline),
        mo.ui.table(steps, selection=None, label="Steps"),
        mo.md("#### Tool calls"),
        mo.ui.table(calls, selection=None, label="Tool calls") if calls else mo.md("_No tool calls in this run._"),
    ])
    return


@app.cell(hide_code=True)
def _(fmt, mo, rows, window):
    # Run as a script, the notebook prints what it looked at, so `python notebooks/explore.py` says something.
    if not mo.running_in_notebook():
        totals = rows("""
            select count(*) as runs, sum(cost_usd) as cost_usd, sum(total_tokens) as total_tokens,
                   count(case when is_terminal and not is_completed then 1 end) as unsuccessful,
                   count(case when is_terminal then 1 end) as ended
            from analytics.fct_runs
            where run_date >= ? and run_date < ?
        """, window)[0]
        rate = totals["unsuccessful"] / totals["ended"] if totals["ended"] else None
        print(f"explored {window[0]} - {window[1]} (exclusive): {fmt.count(totals['runs'])} runs, "
              f"{fmt.money(totals['cost_usd'])}, {fmt.compact(totals['total_tokens'])} tokens, "
              f"failure rate {fmt.pct(rate)}")
    return


if __name__ == "__main__":
    app.run()
