"""The HTML page: one self-contained file with its CSS inline and its charts as inline SVG.

Nothing on the page refers to anything outside it: no script, no stylesheet link, no web font, no
image URL. It opens from disk in any browser, prints, and survives being mailed as an attachment.
Every value that comes from the data goes through `esc()`.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import fmt
from .charts import Chart, all_charts, top_functions
from .data import ReportData
from .figures import Headline, Totals, change, cost_kind_text
from .palette import OTHER, model_colours
from .svg import FONT, esc, sparkline
from .summary import STALE_LOAD_HOURS, stale_load_hours

CSS = """
:root { --ink:#1f2733; --muted:#5b6472; --line:#e6e8ec; --bg:#f5f6f8; --card:#fff; --accent:#4269d0;
        --good:#23804a; --bad:#c2412f; --warn-bg:#fff8e6; --warn-line:#f0d48a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; background:var(--bg); color:var(--ink); font: 14px/1.45 FONT;
       font-variant-numeric: tabular-nums; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 40px; }
header h1 { font-size: 24px; font-weight: 650; margin: 0 0 4px; letter-spacing: -0.01em; }
header p { margin: 0; color: var(--muted); }
h2 { font-size: 16px; font-weight: 650; margin: 0 0 2px; }
h2 + .sub { margin: 0 0 12px; color: var(--muted); font-size: 13px; }
section { margin-top: 22px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px;
        box-shadow: 0 1px 2px rgba(16,24,40,.04); }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.grid3 { display: grid; grid-template-columns: repeat(3, 1fr); gap: 18px; }
@media (max-width: 900px) { .grid2, .grid3 { grid-template-columns: 1fr; } }
.banner { margin-top: 18px; padding: 12px 16px; border-radius: 10px; background: #eef3ff; border: 1px solid #c8d6fb; }
.warnings { background: var(--warn-bg); border-color: var(--warn-line); }
.warnings ul { margin: 6px 0 0; padding-left: 20px; }
.warnings li { margin: 4px 0; }
.kpi h3 { margin: 0; font-size: 13px; font-weight: 600; color: var(--muted); text-transform: uppercase;
          letter-spacing: .04em; display: flex; justify-content: space-between; }
.kpi h3 span { text-transform: none; letter-spacing: 0; font-weight: 400; }
.kpi .big { font-size: 30px; font-weight: 650; margin: 6px 0 0; letter-spacing: -0.02em; }
.kpi .big small { font-size: 13px; font-weight: 500; color: var(--muted); }
.kpi .vs { color: var(--muted); font-size: 12.5px; margin-bottom: 8px; }
.kpi { display: flex; flex-direction: column; }
.kpi table { width: 100%; border-collapse: collapse; margin-top: auto; padding-top: 6px; }
.kpi td { padding: 5px 0; border-top: 1px solid var(--line); }
.kpi td:nth-child(2) { text-align: right; font-weight: 600; }
.kpi td:nth-child(3) { text-align: right; width: 92px; font-size: 12.5px; }
.kpi .spark { margin: 2px 0 6px; }
.kpi .spark svg { width: 100%; height: 30px; }
.up-bad, .down-bad { color: var(--bad); } .up-good, .down-good { color: var(--good); } .flat { color: var(--muted); }
.chart { margin-top: 4px; overflow-x: auto; }
.chart svg { display: block; }
.chart-note { margin: 8px 0 0; color: var(--muted); font-size: 12.5px; }
table.runs { width: 100%; border-collapse: collapse; font-size: 12.5px; }
table.runs th { text-align: left; color: var(--muted); font-weight: 600; padding: 6px 7px; border-bottom: 1px solid var(--line);
                white-space: nowrap; }
table.runs td { padding: 6px 7px; border-bottom: 1px solid var(--line); white-space: nowrap; }
table.runs tr:last-child td { border-bottom: 0; }
table.runs .num { text-align: right; }
table.runs .strong { font-weight: 600; }
.id.short.run { max-width: 124px; }
.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace; font-size: 11.5px; }
.id.short { display: inline-block; max-width: 92px; overflow: hidden; text-overflow: ellipsis; vertical-align: bottom; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; vertical-align: 0; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 11.5px; background: #eef0f3; }
.badge.completed { background: #e3f4ea; color: #1c6b3d; } .badge.failed { background: #fde8e6; color: #a1291b; }
.badge.expired, .badge.incomplete { background: #fdf3da; color: #8a6100; }
.facts { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin: 0; }
@media (max-width: 900px) { .facts { grid-template-columns: 1fr 1fr; } }
.facts dt { color: var(--muted); font-size: 12.5px; }
.facts dd { margin: 2px 0 0; font-size: 15px; font-weight: 600; }
.facts dd small { display: block; font-weight: 400; color: var(--muted); font-size: 12.5px; }
.scroll { overflow-x: auto; }
footer { margin-top: 26px; color: var(--muted); font-size: 12.5px; }
footer dl { display: grid; grid-template-columns: 150px 1fr; gap: 4px 12px; margin: 8px 0 0; }
footer dt { font-weight: 600; color: var(--ink); }
footer dd { margin: 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace; font-size: 12px;
       background: #eef0f3; padding: 0 4px; border-radius: 4px; }
@media print { body { background: #fff; } .card { box-shadow: none; break-inside: avoid; } }
""".replace("FONT", FONT)

COMPARED_WITH = {"yesterday": "vs the day before", "last_7_days": "vs the 7 days before",
                 "last_30_days": "vs the 30 days before"}


def _trend(value: Optional[float], up_is_bad: Optional[bool], flat: float = 0.005) -> str:
    """A CSS class for a change: bad or good by direction, or flat."""
    if value is None or abs(value) < flat or up_is_bad is None:
        return "flat"
    if value > 0:
        return "up-bad" if up_is_bad else "up-good"
    return "down-good" if up_is_bad else "down-bad"


def _cost_text(t: Totals) -> str:
    if t.cost_usd is None:
        return "unpriced"
    return fmt.money(t.cost_usd) + ("*" if t.cost_is_partial else "")


def headline_card(h: Headline, daily_cost: List[float]) -> str:
    """One headline period: cost in large print, then tokens, runs and failure rate, each with its change."""
    cur, prev = h.current, h.previous
    cost_change = change(cur.cost_usd, prev.cost_usd)
    def rate_trend(now: Optional[float], before: Optional[float]) -> str:
        return _trend(None if now is None or before is None else now - before, True, flat=0.0005)

    rows: List[Tuple[str, str, str, str]] = [
        ("Tokens", fmt.compact(cur.total_tokens), fmt.signed_pct(change(cur.total_tokens, prev.total_tokens)),
         _trend(change(cur.total_tokens, prev.total_tokens), None)),
        ("Runs", fmt.count(cur.runs), fmt.signed_pct(change(cur.runs, prev.runs)), _trend(change(cur.runs, prev.runs), None)),
        ("Error rate", fmt.pct(cur.error_rate), fmt.points(cur.error_rate, prev.error_rate),
         rate_trend(cur.error_rate, prev.error_rate)),
        ("Not completed", fmt.pct(cur.not_completed_rate), fmt.points(cur.not_completed_rate, prev.not_completed_rate),
         rate_trend(cur.not_completed_rate, prev.not_completed_rate)),
    ]
    tips = {
        "Tokens": f"input {cur.input_tokens:,} + output {cur.output_tokens:,}; before: {prev.total_tokens:,}",
        "Runs": f"{cur.terminal_runs:,} ended; before: {prev.runs:,}",
        "Error rate": f"{cur.error_runs:,} of {cur.terminal_runs:,} ended runs failed or expired; "
                      f"before: {fmt.pct(prev.error_rate)}",
        "Not completed": f"{cur.not_completed_runs:,} of {cur.terminal_runs:,} ended runs did not complete (failed, "
                         f"expired, cancelled or incomplete); before: {fmt.pct(prev.not_completed_rate)}",
    }
    body = "".join(f'<tr title="{esc(tips[name])}"><td>{esc(name)}</td><td>{esc(value)}</td>'
                   f'<td class="{cls}">{esc(delta)}</td></tr>' for name, value, delta, cls in rows)
    spark = ""
    if len(daily_cost) > 1:
        spark = '<div class="spark">' + sparkline(daily_cost, "#4269d0", label=f"Daily cost, {h.label.lower()}") + "</div>"
    partial = (f'<div class="vs">* without {fmt.compact(cur.unpriced_total_tokens)} tokens of unpriced models</div>'
               if cur.cost_is_partial and cur.cost_usd is not None else "")
    kind = cost_kind(cur)
    if kind:
        partial += f'<div class="vs" title="{esc(COST_KIND_TIP)}">{esc(kind)}</div>'
    return (f'<div class="card kpi"><h3>{esc(h.label)}<span>{esc(h.period.label())}</span></h3>'
            f'<div class="big" title="Cost of the runs created in the period">{esc(_cost_text(cur))}</div>'
            f'<div class="vs"><span class="{_trend(cost_change, True)}">{esc(fmt.signed_pct(cost_change))}</span> '
            f'{esc(COMPARED_WITH.get(h.key, "vs the period before"))} ({esc(_cost_text(prev))})</div>'
            f"{partial}{spark}<table>{body}</table></div>")


COST_KIND_TIP = ("The Assistants API reports no cached-token detail, so every input token is priced at the full "
                 "list input rate: the figure is a list-price estimate without cache discounts, an upper bound "
                 "of what was billed, not an invoice. The Responses API reports cached input tokens, priced at "
                 "the list cache-read rate: a list price with cache discounts.")


def cost_kind(t: Totals) -> str:
    """Which share of the cost is which kind of figure (see `figures.cost_kind_text`)."""
    return cost_kind_text(t.list_price_estimate_share)


def partial_day_card(data: ReportData) -> str:
    """The partial day after yesterday: its figures so far, shown apart and compared with nothing."""
    a, t = data.anchor, data.partial
    if a.partial_day is None or t is None:
        return ""
    cost = _cost_text(t)
    return (f'<section class="card banner" id="partial-day"><b>{esc(a.partial_day.isoformat())} is partial</b>: the data '
            f"covers it only up to {esc(fmt.timestamp(a.observed_until))}, so it is left out of the periods above and "
            f"compared with nothing. So far: {esc(cost)} · {esc(fmt.count(t.runs))} runs · "
            f"{esc(fmt.compact(t.total_tokens))} tokens · error rate {esc(fmt.pct(t.error_rate))}.</section>")


def _daily_cost(data: ReportData, h: Headline) -> List[float]:
    by_day: Dict[Any, float] = {d: 0.0 for d in h.period.each_day()}
    for u in data.usage:
        if u.run_date in by_day and u.cost_usd:
            by_day[u.run_date] += u.cost_usd
    return [by_day[d] for d in h.period.each_day()]


def _warnings(data: ReportData) -> str:
    items = []
    for r in data.unpriced:
        model = r["model"] or "(runs with no model)"
        items.append(
            f"<li><b>{esc(model)}</b> has no price: {fmt.count(int(r['runs'] or 0))} runs and "
            f"{esc(fmt.compact(r['total_tokens']))} tokens between {esc(r['first_run_date'])} and "
            f"{esc(r['last_run_date'])} are in no cost figure. Add it to <code>sql/seeds/price_overrides.csv</code> "
            f"and run <code>runsteps models</code>.</li>")
    for r in data.unpriced_tools:
        items.append(
            f"<li><b>{esc(fmt.count(int(r['calls'] or 0)))} {esc(r['tool_type'])} calls</b> ({esc(r['api'])} API, "
            f"{esc(r['first_run_date'])} to {esc(r['last_run_date'])}) have a fee that is in no cost figure: "
            f"{esc(r['reason'])}. Web and file searches of the Responses API are priced per call where "
            f"genai-prices has a price; <code>analytics.unpriced_tool_calls</code> lists the rest by model.</li>")
    for r in data.unmatched_overrides:
        dates = ("" if r["valid_from_date"] is None and r["valid_to_date"] is None
                 else f" ({r['valid_from_date'] or '…'} to {r['valid_to_date'] or '…'})")
        hint = (f" Runs report {', '.join(r['similar_models'])}: name the model exactly as they do."
                if r["similar_models"] else " Check the model name and the dates.")
        items.append(f"<li><b>The price override for {esc(r['model'])}</b>{esc(dates)}, line {esc(r['line'])} of the "
                     f"overrides file, matches no run and changes no cost.{esc(hint)}</li>")
    issues = data.issues
    if issues.total:
        items.append(f"<li><b>{fmt.count(issues.total)} row{'s' if issues.total != 1 else ''} in "
                     f"<code>load_issues</code></b> ({fmt.count(issues.since_start)} since "
                     f"{esc(data.window.start.isoformat())}): objects the loader met but could not load. "
                     f"{_issues_table(issues.groups)}</li>")
    stale = stale_load_hours(data)
    if stale is not None:
        items.append(f"<li><b>The last load was {stale:.0f} hours ago</b> (more than {STALE_LOAD_HOURS} h): is the "
                     f"nightly job running?</li>")
    if not items:
        return ""
    return (f'<section class="card warnings" id="warnings"><h2>Warnings</h2><ul>{"".join(items)}</ul></section>')


def _issues_table(groups: Sequence[Dict[str, Any]]) -> str:
    if not groups:
        return ""
    head = "<tr><th>Object</th><th>Error</th><th class='num'>HTTP</th><th class='num'>Rows</th><th>Last seen</th>" \
           "<th>Example</th></tr>"
    rows = "".join(
        f"<tr><td>{esc(g['object_type'] or '-')}</td><td>{esc(g['error_code'] or '-')}</td>"
        f"<td class='num'>{esc(g['http_status'] if g['http_status'] is not None else '-')}</td>"
        f"<td class='num'>{fmt.count(int(g['issues']))}</td><td>{esc(fmt.timestamp(g['last_seen_at']))}</td>"
        f"<td><span class='id'>{esc(g['example_object_id'] or '')}</span> {esc(_clip(g['example_message'] or '', 90))}"
        f"</td></tr>" for g in groups)
    return f'<div class="scroll" style="margin-top:8px"><table class="runs">{head}{rows}</table></div>'


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _banner(data: ReportData) -> str:
    a = data.anchor
    if a.last_data_day is None:
        return ('<div class="banner">No runs in the warehouse yet. Load some with <code>runsteps load</code>, '
                'then run <code>runsteps models</code> and this report again.</div>')
    if a.is_stale:
        days = (a.now.date() - a.last_data_day).days
        return (f'<div class="banner"><b>The data ends on {esc(a.last_data_day.isoformat())}</b>, {days} days before '
                f"today ({esc(a.now.date().isoformat())}). So that the figures mean something, this report treats "
                f"the last complete day of the data, {esc(a.last_complete_day.isoformat())}, as “yesterday” and every "
                f"period ends with it.</div>")
    if a.anchored_on_data:
        return (f'<div class="banner"><b>The data is complete only up to {esc(fmt.timestamp(a.observed_until))}</b> '
                f"(no load since): “yesterday” is the last complete day, {esc(a.last_complete_day.isoformat())}.</div>")
    return ""


def _runs_table(rows: Sequence[Dict[str, Any]], colours: Dict[str, str], slow: bool) -> str:
    """The costliest (or slowest) runs; the ranked figure comes first among the numbers, never scrolled away."""
    if not rows:
        return '<p class="chart-note">No runs in these days.</p>'
    Column = Tuple[str, str, Callable[[Dict[str, Any]], str]]
    cost: Column = ("Cost", "num",
                    lambda r: esc(fmt.money(_f(r["cost_usd"])) if r["cost_usd"] is not None else "unpriced"))
    ran: Column = ("Ran", "num", lambda r: esc(fmt.seconds(_f(r["run_seconds"]))))
    queued: Column = ("Queued", "num", lambda r: esc(fmt.seconds(_f(r["queue_seconds"]))))
    ranked = [ran, cost, queued] if slow else [cost, ran, queued]
    ranked[0] = (ranked[0][0], "num strong", ranked[0][2])  # the figure the table is sorted by
    cols: List[Column] = [
        ("Run", "", lambda r: _short_id(r["run_id"], "run")),
        ("Assistant", "", lambda r: _short_id(r["assistant_id"])),
        ("Thread", "", lambda r: _short_id(r["thread_id"])),
        ("Model", "", lambda r: f'<span class="dot" style="background:{esc(colours.get(r["model"], OTHER))}"></span>'
                                f'{esc(r["model"] or "-")}'),
        ("Day", "", lambda r: esc(r["run_date"])),
        ("Status", "", lambda r: f'<span class="badge {esc(r["status"])}" title="{esc(r["last_error_code"] or "")}">'
                                 f'{esc(r["status"])}</span>'),
        *ranked,
        ("Tokens", "num", lambda r: esc(fmt.count(int(r["total_tokens"])) if r["total_tokens"] is not None else "-")),
        ("Steps / tools", "num",
         lambda r: esc(f'{fmt.count(int(r["steps"] or 0))} / {fmt.count(int(r["tool_calls"] or 0))}')),
    ]
    head = "".join(f'<th class="{c}">{esc(n)}</th>' for n, c, _ in cols)
    body = "".join("<tr>" + "".join(f'<td class="{c}">{cell(r)}</td>' for _, c, cell in cols) + "</tr>" for r in rows)
    return f'<div class="scroll"><table class="runs"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _short_id(value: Optional[str], kind: str = "") -> str:
    """An id cut short by CSS: the whole id stays in the page, so copying the cell copies all of it."""
    return f'<span class="id short {kind}" title="{esc(value or "")}">{esc(value or "-")}</span>'


def _f(value: Any) -> Optional[float]:
    return float(value) if value is not None else None


def _functions_table(data: ReportData) -> str:
    top = top_functions(data.tools)
    if not top:
        return ""
    rows = "".join(f"<tr><td>{esc(t)}</td><td class='id'>{esc(name)}</td><td class='num'>{fmt.count(calls)}</td>"
                   f"<td class='num'>{esc(fmt.pct(rate))}</td></tr>" for t, name, calls, rate in top)
    return ('<h2 style="margin-top:14px;font-size:14px">Most called named tools</h2>'
            '<table class="runs"><thead><tr><th>Type</th><th>Name</th><th class="num">Calls</th>'
            f'<th class="num">Failed</th></tr></thead><tbody>{rows}</tbody></table>')


def _freshness(data: ReportData) -> str:
    f = data.freshness
    now = data.anchor.now
    live = f.threads_known - f.threads_deleted
    facts = [
        ("Last load", fmt.timestamp(f.last_load_at), f"{fmt.age(f.last_load_at, now)} · {fmt.count(f.loads)} load{'s' if f.loads != 1 else ''} in all"),
        ("Threads polled", f"{fmt.count(f.threads_polled_recently)} of {fmt.count(live)}",
         f"latest poll {fmt.timestamp(f.latest_poll_at)}"
         + (f"; oldest {fmt.timestamp(f.oldest_poll_at)}" if f.oldest_poll_at != f.latest_poll_at else "")
         + (f"; {f.threads_deleted} deleted" if f.threads_deleted else "")),
        ("Runs still open", fmt.count(f.open_runs),
         f"oldest created {fmt.timestamp(f.oldest_open_run_at)}" if f.open_runs else "every run has ended"),
        ("Latest run", fmt.timestamp(f.latest_run_at), f"data through {data.anchor.last_data_day or '-'}"),
    ]
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}<small>{esc(s)}</small></dd></div>" for k, v, s in facts)
    return (f'<section class="card" id="freshness"><h2>Data freshness</h2><p class="sub">“Polled” counts live threads '
            f"polled within a day of the latest poll; open runs can still change cost and outcome.</p>"
            f'<dl class="facts">{items}</dl></section>')


FOOTER = """
<footer><b>How the figures are made</b>
<dl>
<dt>Day</dt><dd>The UTC date a run was created; a run's steps and tool calls count on its day.</dd>
<dt>Cost</dt><dd>Each run's own input and output tokens at its model's price at the moment the run was created
(<code>analytics.fct_runs.cost_usd</code>; prices from genai-prices or
<code>sql/seeds/price_overrides.csv</code>). Step usage is never added on top: it is the same tokens.
<b>Assistants API costs are a list-price estimate without cache discounts</b>: the API reports no cached-token
detail, so every input token is priced at the full input rate. The figure is an upper bound of the bill, not an
invoice; each card says which share of its cost is such an estimate.</dd>
<dt>Tokens, runs</dt><dd>All runs created in the period, including runs still open (their usage counts once they
end).</dd>
<dt>Error rate</dt><dd>Ended runs that failed or expired, over all ended runs
(<code>analytics.rpt_failure_rates.error_rate</code>).</dd>
<dt>Not completed</dt><dd>Ended runs that failed, expired, were cancelled or were incomplete, over all ended runs
(<code>not_completed_rate</code>): a cancel or a token limit is no error, but gave no full answer.</dd>
<dt>Yesterday</dt><dd>The last complete UTC day the data covers; a day the data covers only in part is shown
apart and never compared.</dd>
<dt>Tool failures</dt><dd>A tool call has no status of its own: it failed when its step failed
(<code>analytics.rpt_tool_usage</code>).</dd>
<dt>Changes</dt><dd>Each period against the one of the same length just before it.</dd>
</dl>
<p>Generated by runsteps from SOURCE at GENERATED.</p>
</footer>
"""


def render_page(data: ReportData) -> str:
    """The whole report as one HTML document."""
    charts: Dict[str, Chart] = all_charts(data)
    colours = model_colours(data.models)
    first = data.headlines[0].period.start if data.headlines else data.anchor.today
    title = f"Assistants cost report · {first.isoformat()}"
    cards = "".join(headline_card(h, _daily_cost_all(data, h)) for h in data.headlines)
    window = data.window
    window_text = f"{window.label()} · {window.days} day{'s' if window.days != 1 else ''}"
    totals = data.window_totals
    body = f"""
<header>
<h1>Assistants API: cost, usage and failures</h1>
<p>Report for <b>{esc(first.isoformat())}</b> (UTC) · charts cover {esc(window_text)} ·
generated {esc(fmt.timestamp(data.anchor.now))}</p>
</header>
{_banner(data)}
{_warnings(data)}
<section class="grid3" id="headlines">{cards}</section>
{partial_day_card(data)}
<section class="card" id="daily-cost">
<h2>Daily cost by model</h2>
<p class="sub">{esc(fmt.money(totals.cost_usd) if totals.cost_usd is not None else 'unpriced')} over {esc(window_text)};
hover a bar for the exact amount.</p>
{charts['daily_cost'].html()}
{charts['daily_cost_by_api'].html()}
</section>
<section class="grid2">
<div class="card" id="by-assistant"><h2>Cost by assistant</h2>
<p class="sub">The top assistants over the chart window, the rest as “other”; bars are split by model.</p>
{charts['by_assistant'].html()}</div>
<div class="card" id="tools"><h2>Tool calls by type</h2>
<p class="sub">Calls and how their steps ended; the failure rate is over calls whose step has ended.</p>
{charts['tools'].html()}{_functions_table(data)}</div>
</section>
<section class="card" id="failures">
<h2>Runs that did not complete, by day and reason</h2>
<p class="sub">Error rate {esc(fmt.pct(totals.error_rate))} (failed or expired) and not-completed rate
{esc(fmt.pct(totals.not_completed_rate))} (also cancelled or incomplete) of ended runs over the chart window; each part
of a bar is one reason.</p>
{charts['failures'].html()}
</section>
<section class="card" id="costliest"><h2>Costliest runs</h2>
<p class="sub">The {len(data.costliest_runs)} most expensive runs of the chart window.</p>
{_runs_table(data.costliest_runs, colours, slow=False)}</section>
<section class="card" id="slowest"><h2>Slowest runs</h2>
<p class="sub">The {len(data.slowest_runs)} completed runs of the chart window that ran longest (started → completed);
runs that expired or failed are in the failure chart.</p>
{_runs_table(data.slowest_runs, colours, slow=True)}</section>
{_freshness(data)}
{FOOTER.replace("SOURCE", esc(data.source or "the warehouse")).replace("GENERATED", esc(fmt.timestamp(data.anchor.now)))}
"""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="runsteps"><title>{esc(title)}</title><style>{CSS}</style></head>'
            f"<body><main>{body}</main></body></html>\n")


def _daily_cost_all(data: ReportData, h: Headline) -> List[float]:
    """Daily cost of a headline period; periods reaching before the chart window get no sparkline."""
    if h.period.start < data.window.start:
        return []
    return _daily_cost(data, h)

