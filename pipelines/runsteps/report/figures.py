"""Headline figures: cost, tokens, runs and failure rate of a period, against the period before.

Pure functions over the rows `queries.py` fetched, so the arithmetic is testable without a
database. The definitions are the marts' own, added up:

- cost: the sum of `rpt_daily_usage.cost_usd` (the runs' own usage at the price of the run's model
  at its creation). Usage of unpriced models is not in it; `unpriced_total_tokens` says how much is
  missing, and when nothing at all could be priced the cost is None, never a silent 0.
  `list_price_estimate_cost_usd` is the part priced without cached-token detail (every assistants
  run): a list-price upper bound, not an invoice.
- tokens: the sum of the runs' `total_tokens` (never the steps' as well: the same tokens again).
- runs: runs created in the period, open ones included.
- error rate: failed and expired runs over terminal runs; not-completed rate: adds cancelled and
  incomplete runs (`rpt_failure_rates`). None when no run of the period has ended.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Dict, Iterable, List, Optional

from . import fmt
from .periods import HEADLINE_PERIODS, Anchor, Period
from .queries import FailureRow, UsageRow


@dataclass(frozen=True)
class Totals:
    """One period's figures.

    Attributes:
        cost_usd: priced cost; None when the period has usage but none of it has a price.
        total_tokens, input_tokens, output_tokens: the runs' own usage.
        runs: runs created in the period; terminal_runs: those that ended.
        error_runs: terminal runs that failed or expired; error_rate: error_runs / terminal_runs.
        not_completed_runs: terminal runs that did not complete (errors, cancelled, incomplete);
            not_completed_rate: not_completed_runs / terminal_runs. Both rates None without
            terminal runs.
        unpriced_total_tokens: tokens of models without a price, missing from cost_usd.
        list_price_estimate_cost_usd: the part of cost_usd that is a list-price estimate without
            cache discounts.
    """

    cost_usd: Optional[float]
    total_tokens: int
    input_tokens: int
    output_tokens: int
    runs: int
    terminal_runs: int
    error_runs: int
    error_rate: Optional[float]
    not_completed_runs: int
    not_completed_rate: Optional[float]
    unpriced_total_tokens: int
    list_price_estimate_cost_usd: float = 0.0

    @property
    def cost_is_partial(self) -> bool:
        """Some usage of the period is missing from `cost_usd` for want of a price."""
        return self.unpriced_total_tokens > 0

    @property
    def list_price_estimate_share(self) -> Optional[float]:
        """The share of `cost_usd` that is a list-price estimate without cache discounts; None
        without cost."""
        if not self.cost_usd:
            return None
        return self.list_price_estimate_cost_usd / self.cost_usd


def cost_kind_text(share: Optional[float]) -> str:
    """Which share of a cost is which kind of figure, e.g. `60% list-price estimate (Assistants,
    no cache discounts), 40% with cache discounts (Responses)`; "" without cost."""
    if share is None:
        return ""
    estimate = f"{fmt.pct(share, 0)} list-price estimate (Assistants, no cache discounts)"
    discounted = f"{fmt.pct(1 - share, 0)} with cache discounts (Responses)"
    if share > 0.9995:
        return estimate
    if share < 0.0005:
        return discounted
    return f"{estimate}, {discounted}"


@dataclass(frozen=True)
class Headline:
    """A headline period with its figures and those of the period before it.

    Attributes:
        key: `yesterday`, `last_7_days` or `last_30_days`.
        label: the heading shown.
        period: the days it covers.
        current: its figures.
        previous: the figures of the period of the same length just before.
    """

    key: str
    label: str
    period: Period
    current: Totals
    previous: Totals


def totals(period: Period, usage: Iterable[UsageRow], failures: Iterable[FailureRow]) -> Totals:
    """Adds up the usage and failure rows that fall in the period."""
    in_usage = [u for u in usage if period.start <= u.run_date < period.end]
    in_failures = [f for f in failures if period.start <= f.run_date < period.end]
    costs = [u.cost_usd for u in in_usage if u.cost_usd is not None]
    unpriced = sum(u.unpriced_total_tokens for u in in_usage)
    # No priced cost but unpriced usage: the cost is unknown, not zero. fsum is exact, so the total
    # does not depend on the order the database returned the rows in.
    cost: Optional[float] = math.fsum(costs) if costs else (None if unpriced else 0.0)
    terminal = sum(f.terminal_runs for f in in_failures)
    errors = sum(f.error_runs for f in in_failures)
    not_completed = sum(f.not_completed_runs for f in in_failures)
    return Totals(
        cost_usd=cost,
        total_tokens=sum(u.total_tokens for u in in_usage),
        input_tokens=sum(u.input_tokens for u in in_usage),
        output_tokens=sum(u.output_tokens for u in in_usage),
        runs=sum(u.runs for u in in_usage),
        terminal_runs=terminal,
        error_runs=errors,
        error_rate=errors / terminal if terminal else None,
        not_completed_runs=not_completed,
        not_completed_rate=not_completed / terminal if terminal else None,
        unpriced_total_tokens=unpriced,
        list_price_estimate_cost_usd=math.fsum(u.list_price_estimate_cost_usd for u in in_usage
                                               if u.list_price_estimate_cost_usd is not None),
    )


def headline_span(anchor: Anchor) -> Period:
    """The days the headlines need: the longest period and the one before it."""
    longest = max(days for _, _, days in HEADLINE_PERIODS)
    return anchor.period(longest * 2)


def headlines(anchor: Anchor, usage: List[UsageRow], failures: List[FailureRow]) -> List[Headline]:
    """Yesterday, the last 7 and the last 30 days, each with the period before it."""
    out = []
    for key, label, days in HEADLINE_PERIODS:
        period = anchor.period(days)
        out.append(Headline(key, label, period, totals(period, usage, failures),
                            totals(period.previous(), usage, failures)))
    return out


def change(current: Optional[float], previous: Optional[float]) -> Optional[float]:
    """The relative change from previous to current (0.25 for +25 %); None when undefined."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous


def figures_dict(anchor: Anchor, items: List[Headline], partial: Optional[Totals] = None) -> Dict[str, Any]:
    """The headline figures as plain data: what `report_figures()` returns.

    Layout::

        {"today": date, "last_data_day": date | None, "anchored_on_data": bool,
         "last_complete_day": date, "observed_until": datetime | None,
         "partial_day": {"day": date, "through": datetime, "current": {<Totals fields>}} | None,
         "periods": {"yesterday": {"label", "start", "end", "days",
                                   "current": {<Totals fields>}, "previous": {<Totals fields>}},
                     "last_7_days": {...}, "last_30_days": {...}}}

    `end` is exclusive: a period covers `start <= run_date < end`. "yesterday" is the last complete
    day; the partial day after it is never compared with anything.
    """
    return {
        "today": anchor.today,
        "last_data_day": anchor.last_data_day,
        "anchored_on_data": anchor.anchored_on_data,
        "last_complete_day": anchor.last_complete_day,
        "observed_until": anchor.observed_until,
        "partial_day": ({"day": anchor.partial_day, "through": anchor.observed_until, "current": asdict(partial)}
                        if anchor.partial_day is not None and partial is not None else None),
        "periods": {
            h.key: {
                "label": h.label,
                "start": h.period.start,
                "end": h.period.end,
                "days": h.period.days,
                "current": asdict(h.current),
                "previous": asdict(h.previous),
            }
            for h in items
        },
    }
