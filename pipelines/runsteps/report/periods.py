"""The report's calendar: which day counts as "today", and the periods the headlines compare.

All days are UTC dates, the same days the marts use (`run_date` is the UTC date of a run's
`created_at`). A period is a half-open range of whole days, `[start, end)`.

Anchoring: a nightly report is about the days that just ended, so "yesterday" is the last
**complete** UTC day: a day the warehouse saw the end of. Evidence that a day is complete is a
moment after it ended: a run created, started or ended after midnight, or, for data that is
current (not older than `STALE_AFTER_DAYS` days), a load that finished after midnight (a load
polls every thread, so a run created before it is in the data).

When the data stops more than `STALE_AFTER_DAYS` days before today (a demo database, an archive
loaded with `--from-export`, a loader that stopped running), every figure would be zero and the
report useless, so the report anchors on the data instead, and says so in large print. Only the
data's own moments count then: a load long after the data says nothing about the source's clock.
The day the data ends in is usually partial then (an archive taken at noon): it is shown as a
partial day, never compared with whole days as if it were one.
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
        today: the day the periods end before: yesterday, `today - 1`, is the last complete day.
        last_data_day: the last day with runs, or None when there are none.
        anchored_on_data: True when `today` is not the clock's day: the last complete day is not
            the calendar's yesterday (old data, or a load that has not run since midnight).
        observed_until: the latest moment the warehouse is known complete up to; None without data.
        partial_day: `today` when it holds runs: a day the data covers only up to
            `observed_until`, shown apart and never compared; None otherwise.
    """

    now: datetime
    today: date
    last_data_day: Optional[date]
    anchored_on_data: bool
    observed_until: Optional[datetime] = None
    partial_day: Optional[date] = None

    @property
    def last_complete_day(self) -> date:
        """The last complete UTC day: what the report calls yesterday."""
        return self.today - timedelta(days=1)

    @property
    def is_stale(self) -> bool:
        """The data ends more than `STALE_AFTER_DAYS` days before the clock's day."""
        return self.last_data_day is not None and (self.now.date() - self.last_data_day).days > STALE_AFTER_DAYS

    def partial_period(self) -> Optional[Period]:
        """The partial day as a period, or None."""
        return Period(self.partial_day, self.partial_day + timedelta(days=1)) if self.partial_day else None

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


def choose_anchor(now: Optional[datetime], last_data_day: Optional[date],
                  observed_until: Optional[datetime] = None, last_load_at: Optional[datetime] = None) -> Anchor:
    """Decides which day counts as today: the day after the last complete day.

    Args:
        now: the report's clock; the current UTC time when None.
        last_data_day: the last `run_date` in the marts, or None when they hold no runs.
        observed_until: the latest moment the runs show (`queries.observed_until`); None treats
            the last day with runs as complete, as if nothing else were known.
        last_load_at: when the last load finished; evidence of completeness for current data only.

    Returns:
        The anchor. A day is complete when the warehouse holds a moment at or after its end: the
        latest of `observed_until` and, unless the data is older than `STALE_AFTER_DAYS` days,
        `last_load_at` (no later than `now`). Yesterday is the last complete day, never after the
        clock's yesterday; the day after it is partial when it holds runs.
    """
    clock = as_utc(now) if now is not None else utc_now()
    if last_data_day is None:
        return Anchor(clock, clock.date(), None, False)
    stale = (clock.date() - last_data_day).days > STALE_AFTER_DAYS
    if observed_until is None:
        # Nothing known about the data's moments: its last day counts as complete.
        seen = datetime.combine(last_data_day + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
        seen = seen if stale else clock
    else:
        moments = [as_utc(observed_until)]
        if last_load_at is not None and not stale:
            moments.append(min(as_utc(last_load_at), clock))
        seen = max(moments)
    today = min(clock.date(), seen.date())
    partial = today if last_data_day >= today else None
    return Anchor(clock, today, last_data_day, today != clock.date(), seen, partial)
