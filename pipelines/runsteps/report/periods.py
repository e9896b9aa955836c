"""The report's calendar: which day counts as "today", and the periods the headlines compare.

All days are UTC dates, the same days the marts use (`run_date` is the UTC date of a run's
`created_at`). A period is a half-open range of whole days, `[start, end)`.

Anchoring: a nightly report is about the days that just ended, so "today" is the current UTC day
and "yesterday" the last full day. When the data stops more than `STALE_AFTER_DAYS` days before
today (a demo database, an archive loaded with `--from-export`, a loader that stopped running),
every figure would be zero and the report useless, so the report anchors on the data instead:
the last day with runs becomes "yesterday", and the report says so in large print.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import List, Optional

# Data that stops more than this many days before today anchors the report on its last day.
STALE_AFTER_DAYS = 2

# Headline periods: (key, label, length in days). The keys are part of `report_figures()`.
HEADLINE_PERIODS = (
    ("yesterday", "Yesterday", 1),
    ("last_7_days", "Last 7 days", 7),
    ("last_30_days", "Last 30 days", 30),
)


@dataclass(frozen=True)
class Period:
    """A half-open range of UTC days, `[start, end)`.

    Attributes:
        start: the first day in the period.
        end: the day after the last one.
    """

    start: date
    end: date

    @property
    def days(self) -> int:
        """The number of days in the period."""
        return (self.end - self.start).days

    @property
    def last(self) -> date:
        """The last day in the period."""
        return self.end - timedelta(days=1)

    def previous(self) -> "Period":
        """The period of the same length that ends where this one starts."""
        return Period(self.start - timedelta(days=self.days), self.start)

    def each_day(self) -> List[date]:
        """Every day of the period, in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def label(self) -> str:
        """`2026-11-23` for one day, `2026-11-17 – 2026-11-23` for several."""
        if self.days == 1:
            return self.start.isoformat()
        return f"{self.start.isoformat()} – {self.last.isoformat()}"


@dataclass(frozen=True)
class Anchor:
    """Which day the report treats as today.

    Attributes:
        now: the clock the report was made at (UTC).
        today: the day the periods end before: yesterday is `today - 1`.
        last_data_day: the last day with runs, or None when there are none.
        anchored_on_data: True when `today` was moved back to the day after `last_data_day`
            because the data is older than `STALE_AFTER_DAYS` days.
    """

    now: datetime
    today: date
    last_data_day: Optional[date]
    anchored_on_data: bool

    def period(self, days: int) -> Period:
        """The `days` full days before `today`."""
        return Period(self.today - timedelta(days=days), self.today)


def utc_now() -> datetime:
    """The current time in UTC (a function, so that callers can pass their own clock instead)."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def choose_anchor(now: Optional[datetime], last_data_day: Optional[date]) -> Anchor:
    """Decides which day counts as today.

    Args:
        now: the report's clock; the current UTC time when None.
        last_data_day: the last `run_date` in the marts, or None when they hold no runs.

    Returns:
        The anchor: today's UTC date, or the day after the data's last day when the data is more
        than `STALE_AFTER_DAYS` days old.
    """
    clock = as_utc(now) if now is not None else utc_now()
    today = clock.date()
    if last_data_day is not None and (today - last_data_day).days > STALE_AFTER_DAYS:
        return Anchor(clock, last_data_day + timedelta(days=1), last_data_day, True)
    return Anchor(clock, today, last_data_day, False)
