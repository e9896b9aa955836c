"""Number, date and duration formatting shared by the HTML report, the charts and the summary.

Plain ASCII where the text may end up in a terminal, mail or chat ("-" rather than a minus sign);
None always renders as a dash, never as 0.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from .periods import as_utc

DASH = "-"


def money(value: Optional[float]) -> str:
    """`$1,234.56`; `<$0.01` for a positive amount that rounds to nothing; `-` for None."""
    if value is None:
        return DASH
    if 0 < abs(value) < 0.005:
        return "<$0.01"
    return f"${value:,.2f}"


def money_short(value: float) -> str:
    """Compact money for axis ticks: `$0`, `$0.25`, `$12`, `$1.5k`, `$2.1M`."""
    if value == 0:
        return "$0"
    if abs(value) >= 1e6:
        return f"${value / 1e6:.3g}M"
    if abs(value) >= 1e4:
        return f"${value / 1e3:.3g}k"
    if abs(value) >= 100:
        return f"${value:,.0f}"
    return f"${value:.3g}" if abs(value) >= 1 else f"${value:.2g}"


def compact(value: Optional[float]) -> str:
    """`987`, `45.6k`, `1.23M`, `4.5B`: token counts at a glance."""
    if value is None:
        return DASH
    n = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.0f}"


def count(value: Optional[int]) -> str:
    """`1,234`."""
    return DASH if value is None else f"{value:,}"


def pct(value: Optional[float], digits: int = 1) -> str:
    """A rate as a percentage: `4.1%`."""
    if value is None:
        return DASH
    return f"{value * 100:.{digits}f}%"


def pct_short(value: float) -> str:
    """Axis ticks: `0%`, `2.5%`, `10%`."""
    return f"{value * 100:.3g}%"


def signed_pct(value: Optional[float]) -> str:
    """A relative change: `+8.2%`, `-3.0%`, `+0.0%`."""
    if value is None:
        return DASH
    if abs(value) >= 1:  # past +100 % the decimal is noise
        return f"{value * 100:+,.0f}%"
    return f"{value * 100:+.1f}%"


def points(current: Optional[float], previous: Optional[float]) -> str:
    """The change between two rates in percentage points: `+0.6 pp`."""
    if current is None or previous is None:
        return DASH
    return f"{(current - previous) * 100:+.1f} pp"


def seconds(value: Optional[float]) -> str:
    """`0.8 s`, `42 s`, `4 min 05 s`, `1 h 02 min`."""
    if value is None:
        return DASH
    if value < 10:
        return f"{value:.1f} s"
    if value < 60:
        return f"{value:.0f} s"
    total = int(round(value))
    if total < 3600:
        return f"{total // 60} min {total % 60:02d} s"
    return f"{total // 3600} h {total % 3600 // 60:02d} min"


def timestamp(value: Optional[datetime]) -> str:
    """`2026-11-24 03:15 UTC`."""
    if value is None:
        return DASH
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def age(value: Optional[datetime], now: datetime) -> str:
    """How long before `now`: `12 min ago`, `5 h ago`, `3 days ago`."""
    if value is None:
        return DASH
    delta = (as_utc(now) - as_utc(value)).total_seconds()
    if delta < 0:
        return "in the future"
    if delta < 3600:
        return f"{int(delta // 60)} min ago"
    if delta < 2 * 86400:
        return f"{int(delta // 3600)} h ago"
    return f"{int(delta // 86400)} days ago"
