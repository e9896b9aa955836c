"""The report's five charts, built from `ReportData` with the primitives of `svg.py`.

Each function returns a `Chart`: the SVG, its HTML legend, and a note for what the chart cannot
show (such as usage of models without a price).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Dict, List, Optional, Sequence, Tuple

from . import fmt
from .data import ReportData
from .palette import (OTHER, OUTCOMES, TOOL_COMPLETED, TOOL_ENDED_OTHERWISE, TOOL_FAILED, TOOL_OPEN,
                      error_code_colours, model_colours)
from .queries import ErrorCodeRow, FailureRow, ToolRow, UsageRow
from .svg import BarRow, Series, esc, horizontal_bars, legend, stacked_columns

# Assistants shown by name in the cost chart; the rest are summed as "other".
TOP_ASSISTANTS = 8
NO_MODEL = "(no model)"
NO_ASSISTANT = "(no assistant)"


@dataclass(frozen=True)
class Chart:
    """A chart ready to embed.

    Attributes:
        svg: the drawing.
        legend: an HTML legend ("" when the chart needs none).
        note: a plain-text remark shown under it ("" for none).
    """

    svg: str
    legend: str = ""
    note: str = ""

    def html(self) -> str:
        """The chart, its legend and its note as one HTML fragment."""
        note = f'<p class="chart-note">{esc(self.note)}</p>' if self.note else ""
        return f'<div class="chart">{self.svg}{self.legend}{note}</div>'


def daily_cost_by_model(days: Sequence[date], usage: Sequence[UsageRow], colours: Dict[str, str],
                        width: int = 1080) -> Chart:
    """Stacked columns: each day's cost, split by model (the costliest model at the bottom)."""
    index = {d: i for i, d in enumerate(days)}
    by_model: Dict[str, List[float]] = defaultdict(lambda: [0.0] * len(days))
    unpriced: Dict[str, int] = defaultdict(int)
    for u in usage:
        model = u.model or NO_MODEL
        if u.run_date in index and u.cost_usd is not None:
            by_model[model][index[u.run_date]] += u.cost_usd
        if u.unpriced_total_tokens:
            unpriced[model] += u.unpriced_total_tokens
    order = sorted(by_model, key=lambda m: (-sum(by_model[m]), m))
    series = [Series(m, colours.get(m, OTHER), by_model[m]) for m in order if sum(by_model[m]) > 0]
    svg = stacked_columns(days, series, label="Daily cost by model (USD)", y_title="Cost (USD)",
                          value_format=fmt.money, tick_format=fmt.money_short, width=width)
    items = [(s.name, s.colour, fmt.money(sum(v or 0 for v in s.values))) for s in series]
    note = ""
    if unpriced:
        listed = ", ".join(f"{m} ({fmt.compact(t)} tokens)" for m, t in sorted(unpriced.items(), key=lambda kv: -kv[1]))
        note = f"Not in this chart for want of a price: {listed}."
    return Chart(svg, legend(items), note)


# The two APIs, in the order of the migration (Assistants first), with fixed colours.
APIS: Tuple[Tuple[str, str, str], ...] = (("assistants", "Assistants API (list-price estimate)", "#4269d0"),
                                          ("responses", "Responses API (with cache discounts)", "#efb118"))


def daily_cost_by_api(days: Sequence[date], usage: Sequence[UsageRow], width: int = 1080) -> Chart:
    """Stacked columns: each day's cost split by API, one continuous history across a migration
    from the Assistants API to the Responses API (every day of the window, $0 where none)."""
    index = {d: i for i, d in enumerate(days)}
    by_api: Dict[str, List[float]] = {api: [0.0] * len(days) for api, _, _ in APIS}
    for u in usage:
        if u.run_date in index and u.cost_usd is not None:
            by_api.setdefault(u.api or "assistants", [0.0] * len(days))[index[u.run_date]] += u.cost_usd
    names = {api: (label, colour) for api, label, colour in APIS}
    series = [Series(names.get(api, (api, OTHER))[0], names.get(api, (api, OTHER))[1], values)
              for api, values in by_api.items() if sum(values) > 0]
    svg = stacked_columns(days, series, label="Daily cost by API (USD)", y_title="Cost (USD)",
                          value_format=fmt.money, tick_format=fmt.money_short, width=width)
    items = [(s.name, s.colour, fmt.money(sum(v or 0 for v in s.values))) for s in series]
    return Chart(svg, legend(items))


def cost_by_assistant(usage: Sequence[UsageRow], colours: Dict[str, str], top: int = TOP_ASSISTANTS,
                      width: int = 520) -> Chart:
    """Horizontal bars: cost per assistant over the window, split by model; the tail as "other"."""
    cost: Dict[str, Dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for u in usage:
        if u.cost_usd:
            cost[u.assistant_id or NO_ASSISTANT][u.model or NO_MODEL] += u.cost_usd
    ranked = sorted(cost, key=lambda a: (-sum(cost[a].values()), a))
    grand = sum(sum(m.values()) for m in cost.values())
    rows: List[BarRow] = []
    for assistant in ranked[:top]:
        rows.append(_assistant_row(assistant, cost[assistant], grand, colours))
    rest = ranked[top:]
    if rest:
        merged: Dict[str, float] = defaultdict(float)
        for assistant in rest:
            for model, value in cost[assistant].items():
                merged[model] += value
        total = sum(merged.values())
        rows.append(BarRow(f"other ({len(rest)} assistants)",
                           [(total, OTHER, f"{len(rest)} other assistants: {fmt.money(total)}")],
                           f"{fmt.money(total)} · {fmt.pct(total / grand, 0) if grand else '-'}", strong_note=False))
    svg = horizontal_bars(rows, label="Cost by assistant (USD)", x_title="Cost (USD), coloured by model",
                          tick_format=fmt.money_short, width=width, label_width=150, note_width=118)
    return Chart(svg)


def _assistant_row(assistant: str, by_model: Dict[str, float], grand: float, colours: Dict[str, str]) -> BarRow:
    total = sum(by_model.values())
    segments = [(v, colours.get(m, OTHER), f"{assistant} · {m}: {fmt.money(v)}")
                for m, v in sorted(by_model.items(), key=lambda kv: (-kv[1], kv[0]))]
    share = fmt.pct(total / grand, 0) if grand else "-"
    return BarRow(assistant, segments, f"{fmt.money(total)} · {share}")


def failure_rate_by_code(days: Sequence[date], failures: Sequence[FailureRow], codes: Sequence[ErrorCodeRow],
                         width: int = 1080) -> Chart:
    """Stacked columns: each day's failure rate, split by why runs did not complete.

    Failed runs are split by `last_error_code`; expired, cancelled and incomplete runs (which carry
    no code) are their own parts. The stack's height is the day's failure rate.
    """
    index = {d: i for i, d in enumerate(days)}
    terminal = [0] * len(days)
    outcome_counts: Dict[str, List[int]] = {k: [0] * len(days) for k in OUTCOMES}
    failed = [0] * len(days)
    for f in failures:
        if f.run_date in index:
            i = index[f.run_date]
            terminal[i] += f.terminal_runs
            failed[i] += f.failed_runs
            outcome_counts["expired"][i] += f.expired_runs
            outcome_counts["cancelled"][i] += f.cancelled_runs
            outcome_counts["incomplete"][i] += f.incomplete_runs
    code_counts: Dict[str, List[int]] = defaultdict(lambda: [0] * len(days))
    for c in codes:
        if c.run_date in index and c.failed_runs:
            code_counts[c.last_error_code][index[c.run_date]] += c.failed_runs
    for i in range(len(days)):
        outcome_counts["failed (no code)"][i] = max(failed[i] - sum(v[i] for v in code_counts.values()), 0)
    colours = error_code_colours(code_counts)
    parts: List[Tuple[str, str, List[int]]] = [
        (code, colours[code], code_counts[code]) for code in sorted(code_counts, key=lambda c: (-sum(code_counts[c]), c))
    ] + [(name, colour, outcome_counts[name]) for name, colour in OUTCOMES.items()]
    series = []
    items = []
    for name, colour, counts in parts:
        if not sum(counts):
            continue
        rates = [c / t if t else None for c, t in zip(counts, terminal)]
        notes = [f"{c} of {t} ended runs" for c, t in zip(counts, terminal)]
        series.append(Series(name, colour, rates, notes))
        items.append((name, colour, f"{sum(counts)} runs"))
    svg = stacked_columns(days, series, label="Runs that did not complete, by day and reason", y_title="Share of ended runs",
                          value_format=fmt.pct, tick_format=fmt.pct_short, width=width,
                          empty_text="No failed runs in these days" if sum(terminal) else "No ended runs in these days")
    total_terminal = sum(terminal)
    not_completed = sum(sum(c) for _, _, c in parts)
    errors = sum(failed) + sum(outcome_counts["expired"])
    note = (f"{not_completed} of {total_terminal} ended runs did not complete "
            f"({fmt.pct(not_completed / total_terminal)}); {errors} of them failed or expired (error rate "
            f"{fmt.pct(errors / total_terminal)}). Runs still open are left out until they end."
            if total_terminal else "")
    return Chart(svg, legend(items), note)


def tool_calls_by_type(tools: Sequence[ToolRow], width: int = 520) -> Chart:
    """Horizontal bars: tool calls per type, split by their step's outcome, with the failure rate."""
    by_type: Dict[str, List[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # calls, ended, completed, failed, other
    for t in tools:
        agg = by_type[t.tool_type]
        agg[0] += t.tool_calls
        agg[1] += t.terminal_tool_calls
        agg[2] += t.completed_tool_calls
        agg[3] += t.failed_tool_calls
        agg[4] += t.cancelled_tool_calls + t.expired_tool_calls
    rows = []
    for tool_type in sorted(by_type, key=lambda k: (-by_type[k][0], k)):
        calls, ended, completed, failed, other = by_type[tool_type]
        open_calls = calls - ended
        rate = (ended - completed) / ended if ended else None
        rows.append(BarRow(tool_type, [
            (completed, TOOL_COMPLETED, f"{tool_type}: {completed:,} completed"),
            (failed, TOOL_FAILED, f"{tool_type}: {failed:,} failed"),
            (other, TOOL_ENDED_OTHERWISE, f"{tool_type}: {other:,} cancelled or expired"),
            (open_calls, TOOL_OPEN, f"{tool_type}: {open_calls:,} still running"),
        ], f"{calls:,} · {fmt.pct(rate)} failed" if rate is not None else f"{calls:,}"))
    svg = horizontal_bars(rows, label="Tool calls by type", x_title="Tool calls, by the outcome of their step",
                          tick_format=fmt.compact, width=width, label_width=130, note_width=138,
                          empty_text="No tool calls in these days")
    items = [("completed", TOOL_COMPLETED, ""), ("failed", TOOL_FAILED, ""),
             ("cancelled or expired", TOOL_ENDED_OTHERWISE, ""), ("still running", TOOL_OPEN, "")]
    return Chart(svg, legend(items, indent=140))


def top_functions(tools: Sequence[ToolRow], limit: int = 8) -> List[Tuple[str, str, int, Optional[float]]]:
    """The most called named tools: (tool type, name, calls, failure rate)."""
    merged: Dict[Tuple[str, str], List[int]] = defaultdict(lambda: [0, 0, 0])
    for t in tools:
        if t.function_name:
            agg = merged[(t.tool_type, t.function_name)]
            agg[0] += t.tool_calls
            agg[1] += t.terminal_tool_calls
            agg[2] += t.completed_tool_calls
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    return [(k[0], k[1], v[0], (v[1] - v[2]) / v[1] if v[1] else None) for k, v in ranked]


def all_charts(data: ReportData) -> Dict[str, Chart]:
    """Every chart of the report, keyed by its place in the page."""
    days = data.window.each_day()
    colours = model_colours(data.models)
    return {
        "daily_cost": daily_cost_by_model(days, data.usage, colours),
        "daily_cost_by_api": daily_cost_by_api(days, data.usage),
        "by_assistant": cost_by_assistant(data.usage, colours),
        "failures": failure_rate_by_code(days, data.failures, data.error_codes),
        "tools": tool_calls_by_type(data.tools),
    }
