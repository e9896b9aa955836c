"""Everything the report shows, read from the warehouse in one pass.

`collect()` is the only function that queries; the HTML, the charts and the text summary are
rendered from the `ReportData` it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from runsteps.models.price_lookup import similar_models

from . import queries
from .figures import Headline, Totals, headline_span, headlines, totals
from .periods import Anchor, Period, choose_anchor
from .queries import ErrorCodeRow, FailureRow, Freshness, LoadIssues, ToolRow, UsageRow
from .warehouse import Row, Warehouse

# Runs listed in each of the "costliest" and "slowest" tables.
TOP_RUNS = 10


@dataclass(frozen=True)
class ReportData:
    """The report's content.

    Attributes:
        anchor: which day counts as today, and whether it was moved to the data's last day.
        window: the days the charts and tables cover (`--days`).
        headlines: yesterday (the last complete day), last 7 and last 30 days, each against the
            period before.
        partial: the figures of the partial day after yesterday, or None (see `anchor.partial_day`).
        window_totals: the figures of the whole chart window.
        usage: `rpt_daily_usage` rows of the window.
        failures: daily outcomes of the window's terminal runs.
        error_codes: daily runs per error code in the window.
        tools: tool calls per type and function in the window.
        costliest_runs: the costliest runs of the window; slowest_runs: its slowest completed runs.
        models: every model with runs (name order), which fixes each model's colour.
        unpriced: rows of `unpriced_models`.
        unmatched_overrides: rows of `unmatched_price_overrides`, each with `similar_models`: the
            models of the data it was probably meant for.
        unpriced_tools: tool calls whose fee is in no cost (`unpriced_tool_calls`, by API, tool and
            reason).
        freshness: last load, threads polled, open runs.
        issues: what `load_issues` holds.
        source: a short description of the warehouse (destination and dataset).
    """

    anchor: Anchor
    window: Period
    headlines: List[Headline]
    partial: Optional[Totals]
    window_totals: Totals
    usage: List[UsageRow]
    failures: List[FailureRow]
    error_codes: List[ErrorCodeRow]
    tools: List[ToolRow]
    costliest_runs: List[Row]
    slowest_runs: List[Row]
    models: List[str]
    unpriced: List[Row]
    unmatched_overrides: List[Row]
    unpriced_tools: List[Row]
    freshness: Freshness
    issues: LoadIssues
    source: str


def collect(wh: Warehouse, days: int = 30, now: Optional[datetime] = None, source: str = "") -> ReportData:
    """Reads everything the report shows.

    Args:
        wh: the warehouse to read.
        days: the length of the chart window, in days (at least 1).
        now: the report's clock; the current UTC time when None.
        source: how the report names the warehouse.

    Raises:
        ModelsMissingError: the marts have not been built.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    wh.require_marts()
    fresh = queries.freshness(wh)
    anchor = choose_anchor(now, queries.last_run_day(wh), queries.observed_until(wh), fresh.last_load_at)
    window = anchor.period(days)
    span = headline_span(anchor)
    # One fetch covers the headlines (60 days), the chart window and the partial day.
    fetched = Period(min(span.start, window.start), anchor.today + timedelta(days=1))
    usage = queries.usage(wh, fetched)
    failures = queries.failures(wh, fetched)
    partial_period = anchor.partial_period()
    models = queries.model_names(wh)
    return ReportData(
        anchor=anchor,
        window=window,
        headlines=headlines(anchor, usage, failures),
        partial=totals(partial_period, usage, failures) if partial_period else None,
        window_totals=totals(window, usage, failures),
        usage=[u for u in usage if window.start <= u.run_date < window.end],
        failures=[f for f in failures if window.start <= f.run_date < window.end],
        error_codes=queries.error_codes(wh, window),
        tools=queries.tool_usage(wh, window),
        costliest_runs=queries.top_runs(wh, window, "cost_usd", TOP_RUNS),
        slowest_runs=queries.top_runs(wh, window, "run_seconds", TOP_RUNS, completed_only=True),
        models=models,
        unpriced=queries.unpriced_models(wh),
        unmatched_overrides=[{**r, "similar_models": similar_models(str(r["model"]), models)}
                             for r in queries.unmatched_price_overrides(wh)],
        unpriced_tools=queries.unpriced_tool_calls(wh),
        freshness=fresh,
        issues=queries.load_issues(wh, window.start),
        source=source,
    )
