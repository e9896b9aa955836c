"""Values into SQL text and back: literals both DuckDB and PostgreSQL read, and driver values as Python.

The queries take no parameters (their style differs per driver), so every value goes into the
SQL as a literal built here from a typed Python value, never as text pasted in.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from .periods import Period, as_utc


def sql_date(day: date) -> str:
    """A date literal both DuckDB and PostgreSQL read."""
    return f"cast('{day.isoformat()}' as date)"


def sql_timestamp(moment: datetime) -> str:
    """A UTC timestamp literal both DuckDB and PostgreSQL read."""
    return f"cast('{as_utc(moment).isoformat()}' as timestamp with time zone)"


def sql_string(text: str) -> str:
    """A string literal: quotes doubled, the one escape standard SQL strings have."""
    return "'" + str(text).replace("'", "''") + "'"


def equals(column: str, value: Optional[str]) -> str:
    """The WHERE condition for `column` equal to `value`, where None matches NULL (a run without an assistant)."""
    return f"{column} is null" if value is None else f"{column} = {sql_string(value)}"


def in_period(period: Period, column: str = "run_date") -> str:
    """The WHERE condition for `column` in `[period.start, period.end)`."""
    return f"{column} >= {sql_date(period.start)} and {column} < {sql_date(period.end)}"


def number(value: Any) -> Optional[float]:
    """A SQL number (int, float or Decimal) as float, keeping NULL as None (a null cost is unpriced, not zero)."""
    return float(value) if value is not None else None


def rounded(value: Any, digits: int) -> Optional[float]:
    """A SQL number rounded for display, NULL kept (PostgreSQL has no round(double, n), so Python rounds)."""
    amount = number(value)
    return round(amount, digits) if amount is not None else None


def integer(value: Any) -> int:
    """A SQL count as int; NULL (a sum over no rows) as 0."""
    return int(value) if value is not None else 0


def day_of(value: Any) -> date:
    """A `run_date` as a date (drivers return date, datetime or text depending on the engine)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
