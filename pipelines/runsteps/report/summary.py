"""The short text summary: what `runsteps report` and `runsteps nightly` print, fit for mail or chat.

A handful of lines, plain ASCII apart from names that come from the data, each readable on its own.
Example::

    runsteps report for 2026-11-23 (UTC); charts cover 2026-10-25 - 2026-11-23
    Cost:          yesterday $41.07 (+6.1%) | 7 days $270.12 (-2.4%) | 30 days $1,136.50 (+9.8%)
    Tokens:        yesterday 3.12M (+4.0%) | 7 days 21.4M (-1.2%) | 30 days 88.9M (+7.5%)
    Runs:          yesterday 512 (+3.2%) | 7 days 3,480 (+0.4%) | 30 days 14,122 (+5.0%)
    Error rate:    yesterday 2.1% (+0.2 pp) | 7 days 2.4% (-0.1 pp) | 30 days 2.2% (+0.1 pp)
    Not completed: yesterday 3.9% (+0.4 pp) | 7 days 4.2% (-0.1 pp) | 30 days 4.0% (+0.3 pp)
    Cost kind:     100% list-price estimate (no cache discounts): Assistants API usage has no cached-token ...
    Partial:       2026-11-24 through 2026-11-24 03:02 UTC: $5.10, 61 runs, 0.4M tokens (an incomplete day, ...)
    Top assistants (30 days): asst_abc $412.30 (36%), asst_def $301.02 (26%), asst_ghi $150.00 (13%)
    Warnings: 1 model without a price (acme-internal-llm-v1: 4.1M tokens not in any cost); 3 rows in load_issues
    Data: last load 2026-11-24 03:15 UTC; 40 of 40 threads polled; 2 runs still open

Changes compare each period with the one of the same length just before it. "yesterday" is the last
complete UTC day; a partial day after it gets a `Partial:` line of its own, compared with nothing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Optional

from . import fmt
from .data import ReportData
from .figures import Headline, Totals, change, cost_kind_text
from .periods import as_utc

# The width of the line titles, so that the figures line up.
LABEL_WIDTH = 15
SHORT_LABELS = {"yesterday": "yesterday", "last_7_days": "7 days", "last_30_days": "30 days"}


def _cost(t: Totals) -> str:
    text = fmt.money(t.cost_usd)
    return f"{text} + unpriced" if t.cost_is_partial and t.cost_usd is not None else (
        "unpriced" if t.cost_usd is None else text)


def _line(title: str, headlines: List[Headline], value, delta) -> str:
    parts = [f"{SHORT_LABELS.get(h.key, h.label)} {value(h.current)} ({delta(h)})" for h in headlines]
    return f"{title:<{LABEL_WIDTH}}" + " | ".join(parts)


def summary_text(data: ReportData) -> str:
    """The summary of a report's data, a few lines long, ending without a newline."""
    hs = data.headlines
    anchor = data.anchor
    yesterday = hs[0].period.start if hs else anchor.today
    lines = [f"runsteps report for {yesterday.isoformat()} (UTC); charts cover {data.window.start.isoformat()} - "
             f"{data.window.last.isoformat()}"]
    if anchor.is_stale:
        lines.append(f"NOTE: the data ends on {anchor.last_data_day}, {(anchor.now.date() - anchor.last_data_day).days} "
                     f"days before today; 'yesterday' is its last complete day, {anchor.last_complete_day}.")
    elif anchor.anchored_on_data:
        lines.append(f"NOTE: the data is complete only up to {fmt.timestamp(anchor.observed_until)} (no load since); "
                     f"'yesterday' is {anchor.last_complete_day}.")
    if anchor.last_data_day is None:
        lines.append("No runs in the warehouse yet: load some with `runsteps load`.")
    lines += [
        _line("Cost:", hs, _cost, lambda h: fmt.signed_pct(change(h.current.cost_usd, h.previous.cost_usd))),
        _line("Tokens:", hs, lambda t: fmt.compact(t.total_tokens),
              lambda h: fmt.signed_pct(change(h.current.total_tokens, h.previous.total_tokens))),
        _line("Runs:", hs, lambda t: fmt.count(t.runs), lambda h: fmt.signed_pct(change(h.current.runs, h.previous.runs))),
        _line("Error rate:", hs, lambda t: fmt.pct(t.error_rate),
              lambda h: fmt.points(h.current.error_rate, h.previous.error_rate)),
        _line("Not completed:", hs, lambda t: fmt.pct(t.not_completed_rate),
              lambda h: fmt.points(h.current.not_completed_rate, h.previous.not_completed_rate)),
    ]
    kind = _cost_kind(data)
    if kind:
        lines.append(f"{'Cost kind:':<{LABEL_WIDTH}}{kind}")
    if anchor.partial_day is not None and data.partial is not None:
        p = data.partial
        lines.append(f"{'Partial:':<{LABEL_WIDTH}}{anchor.partial_day} through {fmt.timestamp(anchor.observed_until)}: "
                     f"{_cost(p)}, {fmt.count(p.runs)} runs, {fmt.compact(p.total_tokens)} tokens "
                     f"(an incomplete day, not compared)")
    top = _top_assistants(data)
    if top:
        lines.append(f"Top assistants ({data.window.days} days): {top}")
    warnings = warning_phrases(data)
    if warnings:
        lines.append("Warnings: " + "; ".join(warnings))
    fresh = data.freshness
    live = fresh.threads_known - fresh.threads_deleted
    lines.append(f"Data: last load {fmt.timestamp(fresh.last_load_at)}; {fresh.threads_polled_recently} of {live} "
                 f"threads polled; {fresh.open_runs} run{'s' if fresh.open_runs != 1 else ''} still open")
    return "\n".join(lines)


def _cost_kind(data: ReportData) -> str:
    """What kind of figure the 30-day cost is, by share (the longest headline period)."""
    if not data.headlines:
        return ""
    t = data.headlines[-1].current
    share = t.list_price_estimate_share
    if share is None:
        return ""
    text = cost_kind_text(share)
    if share > 0.9995:
        return text + ": Assistants API usage has no cached-token detail, so all input is at the full rate"
    return text


def _top_assistants(data: ReportData, n: int = 3) -> str:
    cost: Dict[str, float] = defaultdict(float)
    for u in data.usage:
        if u.cost_usd:
            cost[u.assistant_id or "(no assistant)"] += u.cost_usd
    total = sum(cost.values())
    ranked = sorted(cost.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return ", ".join(f"{a} {fmt.money(v)} ({fmt.pct(v / total, 0)})" for a, v in ranked) if total else ""


def warning_phrases(data: ReportData) -> List[str]:
    """The warnings, one short phrase each (the HTML report spells them out)."""
    out = []
    if data.unpriced:
        names = ", ".join(f"{r['model'] or '(no model)'}: {fmt.compact(r['total_tokens'])} tokens"
                          for r in data.unpriced[:3])
        n = len(data.unpriced)
        out.append(f"{n} model{'s' if n != 1 else ''} without a price ({names} not in any cost)")
    if data.unpriced_tools:
        calls: Dict[str, int] = defaultdict(int)
        for r in data.unpriced_tools:
            calls[str(r["tool_type"])] += int(r["calls"] or 0)
        top = ", ".join(f"{t} {fmt.count(n)}" for t, n in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))[:2])
        out.append(f"{fmt.count(sum(calls.values()))} tool calls with a fee in no cost ({top})")
    for r in data.unmatched_overrides:
        hint = f" (runs report {', '.join(r['similar_models'])})" if r["similar_models"] else ""
        out.append(f"price override {r['model']} (line {r['line']}) matches no run{hint}")
    if data.issues.total:
        out.append(f"{data.issues.total} row{'s' if data.issues.total != 1 else ''} in load_issues "
                   f"({data.issues.since_start} since {data.window.start.isoformat()})")
    stale = stale_load_hours(data)
    if stale is not None:
        out.append(f"the last load was {stale:.0f} h ago")
    return out


# A nightly load older than this is worth a warning.
STALE_LOAD_HOURS = 36


def stale_load_hours(data: ReportData) -> Optional[float]:
    """Hours since the last load when that is more than `STALE_LOAD_HOURS`, else None."""
    last = data.freshness.last_load_at
    if last is None:
        return None
    hours = (data.anchor.now - as_utc(last)).total_seconds() / 3600
    return hours if hours > STALE_LOAD_HOURS else None
