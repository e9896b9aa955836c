"""Every query the report and the notebook run: plain SQL on the marts and a few raw tables.

One query layer for both, so the notebook never retypes the report's SQL: `explore.py` calls
these functions and `drilldown.py`'s. Each query goes through a `Warehouse`, which connects for the
query and closes straight after (see `warehouse.py` for why).

Every query here runs unchanged on DuckDB and PostgreSQL. That rules out dialect niceties: no
`::` casts, no `double` (a 4-byte float in some engines), no `round(double, n)` (PostgreSQL has
none), no query parameters (their style differs per driver). Values go in as literals built by
`literals.py` from dates and strings; divisions and rounding happen in Python.

The report's queries fetch days at the grain of the marts and leave the adding up to `figures.py`
and `charts.py`: one scan of each mart serves every period and chart, which matters because the
marts are views over the raw tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import List, Optional

from .literals import day_of, in_period, integer, number, rounded, sql_date, sql_timestamp
from .periods import Period
from .warehouse import Row, Warehouse

# --- the marts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageRow:
    """One row of `rpt_daily_usage`: a day, an assistant, a model, an API.

    Attributes:
        run_date, assistant_id, model, api: the grain (api: `assistants` or `responses`).
        runs: runs created that day; terminal_runs: those that ended.
        input_tokens, output_tokens, total_tokens: the runs' own usage.
        cost_usd: priced cost; None when unpriced or without usage yet.
        unpriced_total_tokens: tokens that `cost_usd` cannot price.
        list_price_estimate_cost_usd: the part of `cost_usd` priced without cached-token detail (all
            input at the full rate: every assistants run); None when there is none.
    """

    run_date: date
    assistant_id: Optional[str]
    model: Optional[str]
    runs: int
    terminal_runs: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: Optional[float]
    unpriced_total_tokens: int
    list_price_estimate_cost_usd: Optional[float] = None
    api: Optional[str] = None


@dataclass(frozen=True)
class FailureRow:
    """One day of `rpt_failure_rates`, summed over APIs, assistants and models.

    `error_runs` are failed and expired runs; `not_completed_runs` add cancelled and incomplete ones.
    """

    run_date: date
    terminal_runs: int
    error_runs: int
    not_completed_runs: int
    failed_runs: int
    expired_runs: int
    cancelled_runs: int
    incomplete_runs: int


@dataclass(frozen=True)
class ErrorCodeRow:
    """One day and error code of `rpt_failures_by_error_code`, summed over assistants and models."""

    run_date: date
    last_error_code: str
    runs: int
    failed_runs: int


@dataclass(frozen=True)
class ToolRow:
    """Tool calls of one type (and function name) in a period, from `rpt_tool_usage`."""

    tool_type: str
    function_name: Optional[str]
    tool_calls: int
    terminal_tool_calls: int
    completed_tool_calls: int
    failed_tool_calls: int
    cancelled_tool_calls: int
    expired_tool_calls: int

    @property
    def failure_rate(self) -> Optional[float]:
        """Unsuccessful over ended calls, as the mart defines it; None when none has ended."""
        if not self.terminal_tool_calls:
            return None
        return (self.terminal_tool_calls - self.completed_tool_calls) / self.terminal_tool_calls


def last_run_day(wh: Warehouse) -> Optional[date]:
    """The last day with runs, or None when the marts hold none."""
    row = wh.rows(f"select max(run_date) as last_day from {wh.name('rpt_daily_usage')}")[0]
    return day_of(row["last_day"]) if row["last_day"] is not None else None


def usage(wh: Warehouse, period: Period) -> List[UsageRow]:
    """`rpt_daily_usage` rows in the period."""
    rows = wh.rows(f"""
        select run_date, api, assistant_id, model, sum(runs) as runs, sum(terminal_runs) as terminal_runs,
               sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens,
               sum(total_tokens) as total_tokens, sum(cost_usd) as cost_usd,
               sum(unpriced_total_tokens) as unpriced_total_tokens,
               sum(list_price_estimate_cost_usd) as list_price_estimate_cost_usd
        from {wh.name('rpt_daily_usage')}
        where {in_period(period)}
        group by run_date, api, assistant_id, model
    """)
    return [UsageRow(day_of(r["run_date"]), r["assistant_id"], r["model"], integer(r["runs"]),
                     integer(r["terminal_runs"]), integer(r["input_tokens"]), integer(r["output_tokens"]),
                     integer(r["total_tokens"]), number(r["cost_usd"]), integer(r["unpriced_total_tokens"]),
                     number(r["list_price_estimate_cost_usd"]), r["api"])
            for r in rows]


def failures(wh: Warehouse, period: Period) -> List[FailureRow]:
    """Daily outcomes of terminal runs in the period, from `rpt_failure_rates`."""
    rows = wh.rows(f"""
        select run_date, sum(terminal_runs) as terminal_runs, sum(error_runs) as error_runs,
               sum(not_completed_runs) as not_completed_runs, sum(failed_runs) as failed_runs, sum(expired_runs) as expired_runs,
               sum(cancelled_runs) as cancelled_runs, sum(incomplete_runs) as incomplete_runs
        from {wh.name('rpt_failure_rates')}
        where {in_period(period)}
        group by run_date
    """)
    return [FailureRow(day_of(r["run_date"]), integer(r["terminal_runs"]), integer(r["error_runs"]),
                       integer(r["not_completed_runs"]), integer(r["failed_runs"]), integer(r["expired_runs"]), integer(r["cancelled_runs"]),
                       integer(r["incomplete_runs"])) for r in rows]


def error_codes(wh: Warehouse, period: Period) -> List[ErrorCodeRow]:
    """Daily runs per error code in the period, from `rpt_failures_by_error_code`."""
    rows = wh.rows(f"""
        select run_date, last_error_code, sum(runs) as runs, sum(failed_runs) as failed_runs
        from {wh.name('rpt_failures_by_error_code')}
        where {in_period(period)}
        group by run_date, last_error_code
    """)
    return [ErrorCodeRow(day_of(r["run_date"]), str(r["last_error_code"]), integer(r["runs"]),
                         integer(r["failed_runs"])) for r in rows]


def tool_usage(wh: Warehouse, period: Period) -> List[ToolRow]:
    """Tool calls per type and function name in the period, from `rpt_tool_usage`."""
    rows = wh.rows(f"""
        select tool_type, function_name, sum(tool_calls) as tool_calls,
               sum(terminal_tool_calls) as terminal_tool_calls, sum(completed_tool_calls) as completed_tool_calls,
               sum(failed_tool_calls) as failed_tool_calls, sum(cancelled_tool_calls) as cancelled_tool_calls,
               sum(expired_tool_calls) as expired_tool_calls
        from {wh.name('rpt_tool_usage')}
        where {in_period(period)}
        group by tool_type, function_name
    """)
    return [ToolRow(str(r["tool_type"]), r["function_name"], integer(r["tool_calls"]),
                    integer(r["terminal_tool_calls"]), integer(r["completed_tool_calls"]),
                    integer(r["failed_tool_calls"]), integer(r["cancelled_tool_calls"]),
                    integer(r["expired_tool_calls"])) for r in rows]


RUN_COLUMNS = ("run_id", "thread_id", "assistant_id", "model", "run_date", "status", "last_error_code",
               "created_at", "queue_seconds", "run_seconds", "total_tokens", "cost_usd", "is_priced", "steps",
               "tool_calls")


def top_runs(wh: Warehouse, period: Period, order_by: str, limit: int = 10, completed_only: bool = False) -> List[Row]:
    """The runs of the period with the largest `order_by` (`cost_usd` or `run_seconds`).

    Ties are broken by run id so the table is the same every time the report is rebuilt.
    `completed_only` keeps runs that completed: the slowest list is about latency, and expired
    runs (which all sit at the API's 10-minute limit) would otherwise fill it.
    """
    if order_by not in ("cost_usd", "run_seconds"):
        raise ValueError(f"cannot rank runs by {order_by!r}")
    completed = " and is_completed" if completed_only else ""
    return wh.rows(f"""
        select {', '.join(RUN_COLUMNS)}
        from {wh.name('fct_runs')}
        where {in_period(period)} and {order_by} is not null{completed}
        order by {order_by} desc, run_id
        limit {int(limit)}
    """)


def unmatched_price_overrides(wh: Warehouse) -> List[Row]:
    """`unmatched_price_overrides`: override rows that price no run (none when the mart is not built)."""
    if not wh.exists("unmatched_price_overrides"):
        return []
    return wh.rows(f"""
        select line, model, valid_from_date, valid_to_date, input_usd_per_mtok, output_usd_per_mtok, note
        from {wh.name('unmatched_price_overrides')}
        order by line
    """)


def unpriced_tool_calls(wh: Warehouse) -> List[Row]:
    """`unpriced_tool_calls`: tool calls whose fee is in no cost, most calls first (none when the
    mart is not built: a warehouse whose models predate it)."""
    if not wh.exists("unpriced_tool_calls"):
        return []
    return wh.rows(f"""
        select api, tool_type, reason, sum(calls) as calls, sum(runs) as runs,
               min(first_run_date) as first_run_date, max(last_run_date) as last_run_date
        from {wh.name('unpriced_tool_calls')}
        group by api, tool_type, reason
        order by calls desc, api, tool_type, reason
    """)


def runs_without_price_interval(wh: Warehouse) -> int:
    """Runs loaded since prices were last snapshotted: no `model_prices` interval holds their model
    and created_at. Their cost would read as missing; the report refreshes prices first."""
    if not wh.exists("runs", raw=True) or not wh.exists("model_prices"):
        return 0
    r = wh.rows(f"""
        select count(*) as runs
        from {wh.name('runs', raw=True)} r
        where r.model is not null and r.created_at is not null
          and not exists (select 1 from {wh.name('model_prices')} p
                          where p.model = r.model and r.created_at >= p.starts_at and r.created_at < p.ends_at)
    """)[0]
    return integer(r["runs"])


def observed_until(wh: Warehouse) -> Optional[datetime]:
    """The latest moment the runs show: the newest created_at, started_at or ended_at of any run.

    The data is known to be complete up to here at least (a run created earlier would be in it).
    """
    r = wh.rows(f"""
        select max(created_at) as created, max(started_at) as started, max(ended_at) as ended
        from {wh.name('fct_runs')}
    """)[0]
    moments = [v for v in (r["created"], r["started"], r["ended"]) if v is not None]
    return max(moments) if moments else None


def model_names(wh: Warehouse) -> List[str]:
    """Every model with runs, in name order: the basis of the colour each model keeps."""
    rows = wh.rows(f"select distinct model from {wh.name('rpt_daily_usage')} where model is not null")
    return sorted(str(r["model"]) for r in rows)


def unpriced_models(wh: Warehouse) -> List[Row]:
    """`unpriced_models`: the models whose usage has no price, biggest first."""
    return wh.rows(f"""
        select model, first_run_date, last_run_date, days, runs, total_tokens
        from {wh.name('unpriced_models')}
        order by total_tokens desc, runs desc
    """)


@dataclass(frozen=True)
class Overview:
    """Every run in the warehouse at a glance, from `fct_runs`.

    Attributes:
        first_day, last_day: the first and last day with runs; None when there are none.
        runs, assistants, threads: how many.
        cost_usd: their priced cost; None when nothing is priced.
        total_tokens: their usage.
        open_runs: runs not terminal yet.
    """

    first_day: Optional[date]
    last_day: Optional[date]
    runs: int
    assistants: int
    threads: int
    cost_usd: Optional[float]
    total_tokens: int
    open_runs: int


def overview(wh: Warehouse) -> Overview:
    """What the warehouse holds, over all days."""
    r = wh.rows(f"""
        select min(run_date) as first_day, max(run_date) as last_day, count(*) as runs,
               count(distinct assistant_id) as assistants, count(distinct thread_id) as threads,
               sum(cost_usd) as cost_usd, sum(total_tokens) as total_tokens,
               count(case when not is_terminal then 1 end) as open_runs
        from {wh.name('fct_runs')}
    """)[0]
    first, last = (day_of(r[k]) if r[k] is not None else None for k in ("first_day", "last_day"))
    return Overview(first, last, integer(r["runs"]), integer(r["assistants"]), integer(r["threads"]),
                    number(r["cost_usd"]), integer(r["total_tokens"]), integer(r["open_runs"]))


def cost_by_model(wh: Warehouse, period: Period) -> List[Row]:
    """Runs, tokens, cost and price per model in the period, costliest first, from `rpt_daily_usage`.

    The prices are the highest in effect on the period's days (a price that changed within the
    period shows its higher value), and `unpriced_total_tokens` is the usage no price covers.
    """
    rows = wh.rows(f"""
        select model, sum(runs) as runs, sum(total_tokens) as total_tokens, sum(cost_usd) as cost_usd,
               max(input_usd_per_mtok) as input_usd_per_mtok, max(output_usd_per_mtok) as output_usd_per_mtok,
               max(price_source) as price_source, sum(unpriced_total_tokens) as unpriced_total_tokens
        from {wh.name('rpt_daily_usage')}
        where {in_period(period)}
        group by model
        order by cost_usd desc nulls last, model
    """)
    return [{"model": r["model"], "runs": integer(r["runs"]), "total_tokens": integer(r["total_tokens"]),
             "cost_usd": rounded(r["cost_usd"], 4), "input_usd_per_mtok": number(r["input_usd_per_mtok"]),
             "output_usd_per_mtok": number(r["output_usd_per_mtok"]), "price_source": r["price_source"],
             "unpriced_total_tokens": integer(r["unpriced_total_tokens"])} for r in rows]


# Outcomes of ended runs that did not complete, as `rpt_failure_rates` counts them: (column, mart column).
UNSUCCESSFUL_OUTCOMES = (("server_error", "server_error_runs"), ("rate_limit_exceeded", "rate_limit_exceeded_runs"),
                         ("invalid_prompt", "invalid_prompt_runs"), ("expired", "expired_runs"),
                         ("cancelled", "cancelled_runs"), ("incomplete", "incomplete_runs"))


def failures_by_assistant(wh: Warehouse, period: Period) -> List[Row]:
    """Ended, errored and not-completed runs per assistant and model in the period, worst error rate first.

    `error_pct` is failed and expired runs over ended runs, `not_completed_pct` adds cancelled and
    incomplete runs; in percent to one decimal, None when none ended. From `rpt_failure_rates`.
    """
    outcomes = ", ".join(f"sum({mart}) as {name}" for name, mart in UNSUCCESSFUL_OUTCOMES)
    rows = wh.rows(f"""
        select assistant_id, model, sum(terminal_runs) as ended_runs, sum(error_runs) as error_runs,
               sum(not_completed_runs) as not_completed_runs, {outcomes}
        from {wh.name('rpt_failure_rates')}
        where {in_period(period)}
        group by assistant_id, model
    """)
    out = []
    for r in rows:
        ended, errors, not_completed = (integer(r["ended_runs"]), integer(r["error_runs"]),
                                        integer(r["not_completed_runs"]))
        out.append({"assistant_id": r["assistant_id"], "model": r["model"], "ended_runs": ended,
                    "error_runs": errors, "error_pct": round(errors * 100 / ended, 1) if ended else None,
                    "not_completed_runs": not_completed,
                    "not_completed_pct": round(not_completed * 100 / ended, 1) if ended else None,
                    **{name: integer(r[name]) for name, _ in UNSUCCESSFUL_OUTCOMES}})
    # Worst first; ties by volume, then by name so that the table is the same on every run.
    return sorted(out, key=lambda r: (r["error_pct"] is None, -(r["error_pct"] or 0), -(r["not_completed_pct"] or 0),
                                      -r["ended_runs"], r["assistant_id"] or "", r["model"] or ""))


# --- freshness and warnings: the raw tables ------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """How current the warehouse is.

    Attributes:
        last_load_at: when dlt last committed a load to the dataset; None before any load.
        loads: completed loads recorded in `_dlt_loads`.
        threads_known: threads in `threads`; threads_deleted: those the API answered 404 for.
        threads_polled_recently: threads polled within a day of the latest poll; a thread far
            behind the others is one the nightly load no longer reaches.
        latest_poll_at, oldest_poll_at: the newest and oldest `last_polled_at` of live threads.
        open_runs: runs not terminal yet (their cost and outcome can still change).
        oldest_open_run_at: the created_at of the oldest of them.
        latest_run_at: the newest run's created_at.
    """

    last_load_at: Optional[datetime]
    loads: int
    threads_known: int
    threads_deleted: int
    threads_polled_recently: int
    latest_poll_at: Optional[datetime]
    oldest_poll_at: Optional[datetime]
    open_runs: int
    oldest_open_run_at: Optional[datetime]
    latest_run_at: Optional[datetime]


def freshness(wh: Warehouse) -> Freshness:
    """Reads `_dlt_loads`, `threads` and the open runs of `fct_runs`."""
    last_load_at, loads = None, 0
    if wh.exists("_dlt_loads", raw=True):
        # Distinct: a load whose `_dlt_loads` insert lost its answer is recorded again when retried.
        r = wh.rows(f"select max(inserted_at) as last_load_at, count(distinct load_id) as loads "
                    f"from {wh.name('_dlt_loads', raw=True)} where status = 0")[0]
        last_load_at, loads = r["last_load_at"], integer(r["loads"])
    known = deleted = recent = 0
    latest_poll = oldest_poll = None
    if wh.exists("threads", raw=True):
        threads = wh.name("threads", raw=True)
        r = wh.rows(f"""
            select count(*) as known, count(deleted_at) as deleted,
                   max(case when deleted_at is null then last_polled_at end) as latest_poll,
                   min(case when deleted_at is null then last_polled_at end) as oldest_poll
            from {threads}
        """)[0]
        known, deleted = integer(r["known"]), integer(r["deleted"])
        latest_poll, oldest_poll = r["latest_poll"], r["oldest_poll"]
        if latest_poll is not None:
            # The cutoff is computed in Python: interval arithmetic is spelled differently per engine.
            cutoff = sql_timestamp(latest_poll - timedelta(days=1))
            recent = integer(wh.rows(f"select count(*) as n from {threads} "
                                  f"where deleted_at is null and last_polled_at >= {cutoff}")[0]["n"])
    runs = wh.name("fct_runs")
    r = wh.rows(f"""
        select count(case when not is_terminal then 1 end) as open_runs,
               min(case when not is_terminal then created_at end) as oldest_open,
               max(created_at) as latest_run
        from {runs}
    """)[0]
    return Freshness(last_load_at, loads, known, deleted, recent, latest_poll, oldest_poll, integer(r["open_runs"]),
                     r["oldest_open"], r["latest_run"])


@dataclass(frozen=True)
class LoadIssues:
    """What `load_issues` holds.

    Attributes:
        total: every problem (rows alike in every column count once).
        since_start: rows seen since the start of the report's chart window.
        groups: rows grouped by object type, error code and HTTP status, newest first, with a
            count, the last time seen and one example message and object id.
    """

    total: int
    since_start: int
    groups: List[Row]


def load_issues(wh: Warehouse, since: date, limit: int = 12) -> LoadIssues:
    """Summarises `load_issues` (empty when the table does not exist: nothing went wrong yet)."""
    if not wh.exists("load_issues", raw=True):
        return LoadIssues(0, 0, [])
    # Distinct: a copy job repeated after a lost commit appends the same rows again (`state_rows.py`),
    # and two rows alike in every column, seen at the same time, are one problem met.
    table = f"(select distinct * from {wh.name('load_issues', raw=True)}) as issues"
    r = wh.rows(f"select count(*) as total, count(case when seen_at >= {sql_date(since)} then 1 end) as recent "
                f"from {table}")[0]
    groups = wh.rows(f"""
        select object_type, error_code, http_status, count(*) as issues, max(seen_at) as last_seen_at,
               max(message) as example_message, max(object_id) as example_object_id
        from {table}
        group by object_type, error_code, http_status
        order by max(seen_at) desc, count(*) desc
        limit {int(limit)}
    """)
    return LoadIssues(integer(r["total"]), integer(r["recent"]), groups)
