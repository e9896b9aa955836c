"""Hand-written inline SVG charts: stacked daily columns, horizontal bars, legends.

Why not a chart library: the report must open from disk with no network and no JavaScript, and the
environments it is built in have no plotting library. Inline SVG draws crisply at any zoom, prints,
and its `<title>` elements give hover tooltips in every browser for free.

Every function returns a string of markup that stands on its own (styles are attributes or inline
`style`), so the notebook can show the same charts with `mo.Html`. Every piece of text that comes
from data goes through `esc()`.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, List, Optional, Sequence, Tuple

from .palette import AXIS, GRID, INK, MUTED

FONT = ("system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', "
        "'Liberation Sans', sans-serif")

Formatter = Callable[[float], str]


def esc(text: object) -> str:
    """Text escaped for HTML and SVG, quotes included (it also goes into attributes)."""
    return html.escape(str(text), quote=True)


def _n(value: float) -> str:
    """A coordinate with at most two decimals, so the markup stays small."""
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def nice_ticks(top: float, count: int = 5) -> List[float]:
    """Round tick values from 0 to at least `top`: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = [0.0]
    while ticks[-1] < top - 1e-12:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis.

    Ids (no spaces) lose their middle, since both their prefix and their end tell them apart;
    prose loses its end.
    """
    if len(text) <= limit:
        return text
    if " " not in text and limit >= 8:
        head = (limit - 1) * 3 // 5
        return text[:head] + "…" + text[len(text) - (limit - 1 - head):]
    return text[: max(limit - 1, 1)] + "…"


def _svg_open(width: float, height: float, label: str, css_class: str) -> str:
    return (f'<svg class="{esc(css_class)}" viewBox="0 0 {_n(width)} '
            f'{_n(height)}" width="{_n(width)}" height="{_n(height)}" role="img" aria-label="{esc(label)}" '
            f'style="max-width:100%;height:auto;font-family:{esc(FONT)}">'
            f"<title>{esc(label)}</title>")


def _empty_note(x: float, y: float, text: str = "No data for these days") -> str:
    return (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" font-size="13" fill="{MUTED}">'
            f"{esc(text)}</text>")


@dataclass
class Series:
    """One stacked series of a column chart.

    Attributes:
        name: shown in the legend and tooltips.
        colour: fill colour.
        values: one value per category; None or 0 draws nothing.
        notes: optional text per category, appended to the segment's tooltip (such as counts).
    """

    name: str
    colour: str
    values: List[Optional[float]]
    notes: Optional[List[str]] = None


def stacked_columns(
    days: Sequence[date],
    series: Sequence[Series],
    *,
    label: str,
    y_title: str,
    value_format: Formatter,
    tick_format: Formatter,
    width: int = 1080,
    height: int = 300,
    empty_text: str = "No data for these days",
) -> str:
    """A stacked column chart with one column per day.

    Args:
        days: the categories, in order.
        series: stacked bottom-up in the order given.
        label: the chart's accessible name (also its tooltip on the background).
        y_title: the y axis title.
        value_format: formats values in tooltips.
        tick_format: formats the y axis ticks.
        width, height: the drawing size in pixels (it scales down to fit).
        empty_text: shown when there is nothing to draw.
    """
    left, right, top, bottom = 70, 12, 14, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(v or 0 for v in (s.values[i] for s in series)) for i in range(len(days))]
    ticks = nice_ticks(max(totals, default=0))
    y_max = ticks[-1]
    out = [_svg_open(width, height, label, "chart chart-columns")]

    def y(value: float) -> float:
        return top + plot_h - value / y_max * plot_h

    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{_n(y(t))}" y2="{_n(y(t))}" stroke="{GRID}" '
                   f'stroke-width="1"/>')
        out.append(f'<text x="{left - 8}" y="{_n(y(t) + 4)}" text-anchor="end" font-size="11" fill="{MUTED}">'
                   f"{esc(tick_format(t))}</text>")
    out.append(f'<text transform="translate(14 {_n(top + plot_h / 2)}) rotate(-90)" text-anchor="middle" '
               f'font-size="12" fill="{MUTED}">{esc(y_title)}</text>')
    out.append(f'<text x="{_n(left + plot_w / 2)}" y="{height - 6}" text-anchor="middle" font-size="12" '
               f'fill="{MUTED}">Day (UTC)</text>')

    band = plot_w / max(len(days), 1)
    bar = max(min(band * 0.74, 42), 1.5)
    # A label every few days, so that labels never collide (about 46 px each).
    every = max(1, math.ceil(46 / band))
    for i, day in enumerate(days):
        x0 = left + i * band + (band - bar) / 2
        # A full-height hover target under the segments gives the day's total everywhere in its band.
        out.append(f'<rect x="{_n(left + i * band)}" y="{top}" width="{_n(band)}" height="{plot_h}" '
                   f'fill="transparent"><title>{esc(day.isoformat())}: {esc(value_format(totals[i]))}'
                   f"</title></rect>")
        base = 0.0
        for s in series:
            v = s.values[i] or 0
            if v <= 0:
                continue
            share = f" ({v / totals[i] * 100:.0f}% of {value_format(totals[i])})" if totals[i] else ""
            if s.notes is not None:
                share = f" ({s.notes[i]})"
            out.append(f'<rect x="{_n(x0)}" y="{_n(y(base + v))}" width="{_n(bar)}" '
                       f'height="{_n(max(y(base) - y(base + v), 0.5))}" fill="{esc(s.colour)}">'
                       f"<title>{esc(day.isoformat())} · {esc(s.name)}: {esc(value_format(v))}{esc(share)}</title>"
                       f"</rect>")
            base += v
        if (len(days) - 1 - i) % every == 0:
            text = day.strftime("%b %d")
            out.append(f'<text x="{_n(left + i * band + band / 2)}" y="{top + plot_h + 16}" text-anchor="middle" '
                       f'font-size="11" fill="{MUTED}">{esc(text)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{AXIS}" '
               f'stroke-width="1"/>')
    if not any(totals):
        out.append(_empty_note(left + plot_w / 2, top + plot_h / 2, empty_text))
    out.append("</svg>")
    return "".join(out)


@dataclass
class BarRow:
    """One row of a horizontal bar chart.

    Attributes:
        label: the category, left of the bar (truncated to fit; the full text is in the tooltip).
        segments: (value, colour, tooltip) drawn left to right.
        note: text right of the bar, such as the value and a rate.
        strong_note: draw the note in the ink colour rather than muted.
    """

    label: str
    segments: List[Tuple[float, str, str]] = field(default_factory=list)
    note: str = ""
    strong_note: bool = True

    @property
    def total(self) -> float:
        return sum(v for v, _, _ in self.segments)


def horizontal_bars(
    rows: Sequence[BarRow],
    *,
    label: str,
    x_title: str,
    tick_format: Formatter,
    width: int = 520,
    label_width: int = 150,
    note_width: int = 120,
    row_height: int = 26,
    empty_text: str = "No data for these days",
) -> str:
    """A horizontal bar chart, one row per category, segments stacked left to right.

    Args:
        rows: the categories, top to bottom.
        label: the chart's accessible name.
        x_title: the x axis title.
        tick_format: formats the x axis ticks.
        width: the drawing width in pixels.
        label_width: room for the category labels.
        note_width: room for the notes right of the bars.
        row_height: pixels per row.
        empty_text: shown when there are no rows.
    """
    top, bottom = 8, 42
    left = label_width + 10
    plot_w = width - left - note_width
    plot_h = max(len(rows), 1) * row_height
    height = top + plot_h + bottom
    ticks = nice_ticks(max((r.total for r in rows), default=0), count=4)
    x_max = ticks[-1]
    out = [_svg_open(width, height, label, "chart chart-bars")]

    def x(value: float) -> float:
        return left + value / x_max * plot_w

    for t in ticks:
        out.append(f'<line x1="{_n(x(t))}" x2="{_n(x(t))}" y1="{top}" y2="{top + plot_h}" stroke="{GRID}"/>')
        out.append(f'<text x="{_n(x(t))}" y="{top + plot_h + 15}" text-anchor="middle" font-size="11" '
                   f'fill="{MUTED}">{esc(tick_format(t))}</text>')
    out.append(f'<text x="{_n(left + plot_w / 2)}" y="{height - 6}" text-anchor="middle" font-size="12" '
               f'fill="{MUTED}">{esc(x_title)}</text>')
    chars = max(int(label_width / 7.8), 4)  # about 7 px per character at 12 px, with room to spare
    for i, row in enumerate(rows):
        y0 = top + i * row_height
        mid = y0 + row_height / 2
        out.append(f'<text x="{label_width}" y="{_n(mid + 4)}" text-anchor="end" font-size="12" fill="{INK}">'
                   f"<title>{esc(row.label)}</title>{esc(truncate(row.label, chars))}</text>")
        cursor = 0.0
        for value, colour, tip in row.segments:
            if value <= 0:
                continue
            out.append(f'<rect x="{_n(x(cursor))}" y="{_n(y0 + 4)}" width="{_n(max(x(cursor + value) - x(cursor), 1))}"'
                       f' height="{row_height - 8}" rx="2" fill="{esc(colour)}"><title>{esc(tip)}</title></rect>')
            cursor += value
        out.append(f'<text x="{_n(x(cursor) + 6)}" y="{_n(mid + 4)}" font-size="12" '
                   f'fill="{INK if row.strong_note else MUTED}">{esc(row.note)}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="{AXIS}"/>')
    if not rows:
        out.append(_empty_note(left + plot_w / 2, top + plot_h / 2 + 4, empty_text))
    out.append("</svg>")
    return "".join(out)


def sparkline(values: Sequence[Optional[float]], colour: str, *, label: str, width: int = 320,
              height: int = 30) -> str:
    """A tiny line of daily values (None as 0) that stretches to the width of its container."""
    points = [v or 0.0 for v in values]
    # Stretched to its container's width: the line keeps its thickness (non-scaling stroke).
    out = [_svg_open(width, height, label, "sparkline").replace("<svg ", '<svg preserveAspectRatio="none" ', 1)]
    if len(points) >= 2 and max(points) > 0:
        top = max(points)
        step = (width - 4) / (len(points) - 1)
        coords = [(2 + i * step, height - 3 - v / top * (height - 6)) for i, v in enumerate(points)]
        path = " ".join(f"{_n(cx)},{_n(cy)}" for cx, cy in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="{esc(colour)}" stroke-width="1.6" '
                   f'stroke-linejoin="round" vector-effect="non-scaling-stroke"/>')
    out.append("</svg>")
    return "".join(out)


def legend(items: Sequence[Tuple[str, str, str]], indent: int = 70) -> str:
    """An HTML legend: (name, colour, detail) per item, laid out to wrap; `indent` aligns it with the plot."""
    parts = [f'<div class="legend" style="display:flex;flex-wrap:wrap;gap:6px 18px;margin:6px 0 0 {indent}px;'
             f'font-size:12px;color:{MUTED};font-family:{esc(FONT)}">']
    for name, colour, detail in items:
        parts.append('<span style="display:inline-flex;align-items:center;gap:6px">'
                     f'<span style="display:inline-block;width:11px;height:11px;border-radius:2px;'
                     f'background:{esc(colour)}"></span><span style="color:{INK}">{esc(name)}</span>'
                     + (f"<span>{esc(detail)}</span>" if detail else "") + "</span>")
    parts.append("</div>")
    return "".join(parts)
