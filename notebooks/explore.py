"""Explore Assistants API costs and failures from the runsteps marts.

Open it:        runsteps notebook --db runsteps.duckdb   (or: marimo edit notebooks/explore.py -- --db ...)
Run as a script: python notebooks/explore.py --db runsteps.duckdb
For Jupyter:     marimo export ipynb notebooks/explore.py -o explore.ipynb

The database path comes from `--db`, else $RUNSTEPS_DB, else ./runsteps.duckdb. It reads the marts
in schema `analytics` only, through the report's own queries (runsteps.report.queries and
.drilldown): no SQL is typed here. Each query opens the database read-only and closes it, so an
open notebook never stops the nightly load from writing. Charts are the report's own inline SVG
(runsteps.report.svg), so nothing needs a plotting library or the network.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="runsteps: explore costs and failures")


@app.cell(hide_code=True)
def _():
    import os
    from datetime import timedelta
    from pathlib import Path

    import marimo as mo

    from runsteps.report import drilldown, figures, fmt, queries
    from runsteps.report.build import prices_refreshed_for_file
    from runsteps.report.charts import (cost_by_assistant, daily_cost_by_api, daily_cost_by_model,
                                        failure_rate_by_code, tool_calls_by_type)
    from runsteps.report.palette import model_colours
    from runsteps.report.periods import Period
    from runsteps.report.svg import BarRow, horizontal_bars
    from runsteps.report.warehouse import WarehouseBusyError, duckdb_warehouse
    return (BarRow, Path, Period, WarehouseBusyError, cost_by_assistant, daily_cost_by_api, daily_cost_by_model, drilldown,
            duckdb_warehouse, failure_rate_by_code, figures, fmt, horizontal_bars, mo, model_colours, os,
            prices_refreshed_for_file, queries, timedelta, tool_calls_by_type)


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
def _(WarehouseBusyError, db_path, duckdb_warehouse, mo, prices_refreshed_for_file):
    # No connection is kept: each query opens the file read-only and closes it, because DuckDB lets
    # the nightly load write only while no other process has the file open.
    wh = duckdb_warehouse(db_path)
    try:
        _missing = wh.missing_marts()
        # Runs loaded since the last `runsteps models` get their prices now (a brief write), so no
        # cost below is missing for want of a rebuild.
        _refreshed = not _missing and prices_refreshed_for_file(db_path, wh)
    except WarehouseBusyError as _error:
        mo.stop(True, mo.md(f"**{_error}**"))
    mo.stop(
        bool(_missing),
        mo.md(f"**`{db_path}` has no marts yet** ({', '.join(_missing)} missing). "
              f"Build them with `runsteps models --db {db_path}`."),
    )
    return (wh,)


@app.cell(hide_code=True)
def _(db_path, fmt, mo, queries, wh):
    overview = queries.overview(wh)
    last_day = overview.last_day
    mo.md(f"""
    # Assistants API: costs and failures

    Exploring **`{db_path}`**: {fmt.count(overview.runs)} runs of {overview.assistants} assistants in
    {overview.threads} threads, from {overview.first_day} to {last_day}
    ({fmt.count(overview.open_runs)} still open). They cost **{fmt.money(overview.cost_usd)}** for
    {fmt.compact(overview.total_tokens)} tokens.

    Everything below reads the marts of schema `analytics` (see `sql/marts/`). Days are UTC, and a run's
    cost is its own usage at its model's price at the moment it was created; runs of models without a
    price have no cost (never 0), see *Unpriced models*. **Assistants API costs are a list-price
    estimate without cache discounts**: the API reports no cached-token detail, so every input token
    is priced at the full input rate (an upper bound of the bill).
    """)
    return (last_day,)


@app.cell(hide_code=True)
def _(mo):
    days = mo.ui.slider(7, 120, value=30, step=1, label="Days to look at", show_value=True)
    days
    return (days,)


@app.cell(hide_code=True)
def _(Period, days, last_day, mo, timedelta):
    mo.stop(last_day is None, mo.md("No runs in the warehouse yet."))
    # The window ends with the last day that has runs, so an old database still shows its data.
    window = Period(last_day + timedelta(days=1) - timedelta(days=days.value), last_day + timedelta(days=1))
    day_list = window.each_day()
    mo.md(f"Looking at **{window.start} – {last_day}** ({days.value} days, ending with the last day that has runs).")
    return day_list, window


@app.cell(hide_code=True)
def _(model_colours, queries, window, wh):
    with wh.session():  # one connection for the cell's two queries, closed at the end of the block
        usage = queries.usage(wh, window)
        colours = model_colours(queries.model_names(wh))
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
def _(daily_cost_by_api, day_list, figures, mo, usage):
    _cost = sum(u.cost_usd or 0 for u in usage)
    _estimate = sum(u.list_price_estimate_cost_usd or 0 for u in usage)
    mo.vstack([
        mo.md(f"""
        ## Daily cost by API

        One history across the migration from the Assistants API to the Responses API: each column is a
        day's cost, split by API. Over the window: {figures.cost_kind_text(_estimate / _cost if _cost else None)}.
        """),
        mo.Html(daily_cost_by_api(day_list, usage).html()),
    ])
    return


@app.cell(hide_code=True)
def _(fmt, mo, queries, window, wh):
    with wh.session():
        by_model = queries.cost_by_model(wh, window)
        unpriced = queries.unpriced_models(wh)
        unpriced_tools = queries.unpriced_tool_calls(wh)
    mo.vstack([
        mo.md("### Cost by model\nPrices are per million tokens, as in effect on the runs' days."),
        mo.ui.table(by_model, selection=None, label="Cost by model"),
        mo.md("### Unpriced models\n" + (
            "Every model has a price." if not unpriced else
            "These models have no price, so their usage is in no cost figure: add them to "
            "`sql/seeds/price_overrides.csv` and run `runsteps models`. "
            + ", ".join(f"**{u['model']}** ({fmt.compact(u['total_tokens'])} tokens)" for u in unpriced))),
        mo.md("### Tool calls with a fee in no cost\n" + (
            "Every tool fee is priced." if not unpriced_tools else
            "Web and file searches of the Responses API are priced per call where genai-prices has a price; "
            "these are not: " + ", ".join(f"**{t['tool_type']}** ({t['api']}, {fmt.count(int(t['calls']))} calls: "
                                         f"{t['reason']})" for t in unpriced_tools))),
    ])
    return


@app.cell(hide_code=True)
def _(day_list, failure_rate_by_code, mo, queries, window, wh):
    with wh.session():
        failures = queries.failures(wh, window)
        codes = queries.error_codes(wh, window)
        by_assistant = queries.failures_by_assistant(wh, window)
    mo.vstack([
        mo.md("""
        ## Error and not-completed rates

        The share of ended runs that did not complete, per day, split by reason: failed runs by their
        `last_error_code`, then expired, cancelled and incomplete runs. The **error rate** counts failed
        and expired runs only; the **not-completed rate** adds cancelled and incomplete runs (no error,
        but no full answer). Runs still open are left out until they end.
        """),
        mo.Html(failure_rate_by_code(day_list, failures, codes).html()),
        mo.md("### By assistant and model"),
        mo.ui.table(by_assistant, selection=None, label="Error and not-completed rates by assistant and model"),
    ])
    return (failures,)


@app.cell(hide_code=True)
def _(mo, queries, tool_calls_by_type, window, wh):
    tools = queries.tool_usage(wh, window)
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
def _(drilldown, fmt, mo, window, wh):
    assistants = drilldown.assistants_by_cost(wh, window)
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
def _(assistant_pick, drilldown, fmt, mo, window, wh):
    mo.stop(assistant_pick.value is None, mo.md("No runs in this window."))
    threads = drilldown.threads_by_cost(wh, assistant_pick.value, window)
    thread_pick = mo.ui.dropdown(
        options={f"{t['thread_id']} · {fmt.money(t['cost_usd'])} · {t['runs']} runs": t["thread_id"] for t in threads},
        value=f"{threads[0]['thread_id']} · {fmt.money(threads[0]['cost_usd'])} · {threads[0]['runs']} runs",
        label="Thread",
    )
    mo.vstack([mo.md(f"### Threads of `{assistant_pick.value}`"),
               mo.ui.table(threads, selection=None, label="Threads"), thread_pick])
    return (thread_pick,)


@app.cell(hide_code=True)
def _(drilldown, fmt, mo, thread_pick, window, wh):
    runs = drilldown.runs_by_cost(wh, thread_pick.value, window)
    run_pick = mo.ui.dropdown(
        options={f"{r['run_id']} · {r['status']} · {fmt.money(r['cost_usd'])}": r["run_id"] for r in runs},
        value=f"{runs[0]['run_id']} · {runs[0]['status']} · {fmt.money(runs[0]['cost_usd'])}",
        label="Run",
    )
    mo.vstack([mo.md(f"### Runs of `{thread_pick.value}`"), mo.ui.table(runs, selection=None, label="Runs"), run_pick])
    return (run_pick,)


@app.cell(hide_code=True)
def _(BarRow, drilldown, fmt, horizontal_bars, mo, run_pick, wh):
    with wh.session():
        run = drilldown.run(wh, run_pick.value)
        steps = drilldown.steps(wh, run_pick.value)
        calls = drilldown.tool_calls(wh, run_pick.value)
    mo.stop(run is None, mo.md(f"`{run_pick.value}` is no longer in the warehouse: pick the thread again."))
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
def _(failures, figures, fmt, mo, usage, window):
    # Run as a script, the notebook prints what it looked at, so `python notebooks/explore.py` says something.
    if not mo.running_in_notebook():
        _totals = figures.totals(window, usage, failures)
        print(f"explored {window.start} - {window.end} (exclusive): {fmt.count(_totals.runs)} runs, "
              f"{fmt.money(_totals.cost_usd)}, {fmt.compact(_totals.total_tokens)} tokens, "
              f"error rate {fmt.pct(_totals.error_rate)}, not completed {fmt.pct(_totals.not_completed_rate)}")
    return


if __name__ == "__main__":
    app.run()
