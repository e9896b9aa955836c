"""The report's pure parts: which days, the arithmetic, formatting, escaping and colours."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import pytest

from runsteps.report import fmt
from runsteps.report.figures import change, totals
from runsteps.report.palette import ERROR_CODES, error_code_colours, model_colours
from runsteps.report.periods import Period, choose_anchor
from runsteps.report.queries import FailureRow, UsageRow
from runsteps.report.svg import BarRow, Series, horizontal_bars, legend, nice_ticks, stacked_columns, truncate

NOW = datetime(2026, 11, 24, 3, 15, tzinfo=timezone.utc)


def usage(day: date, cost, tokens: int = 100, unpriced: int = 0, runs: int = 1) -> UsageRow:
    return UsageRow(day, "asst_1", "gpt-4o", runs, runs, tokens // 2, tokens - tokens // 2, tokens, cost, unpriced)


# --- periods -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("last_day, today, anchored", [
    (date(2026, 11, 23), date(2026, 11, 24), False),   # a nightly run: yesterday's data is there
    (date(2026, 11, 22), date(2026, 11, 24), False),   # two days old still counts as current
    (date(2026, 11, 21), date(2026, 11, 22), True),    # older: the last day becomes yesterday
    (None, date(2026, 11, 24), False),                 # no data: the clock decides
])
def test_anchor(last_day, today, anchored) -> None:
    anchor = choose_anchor(NOW, last_day)
    assert (anchor.today, anchor.anchored_on_data) == (today, anchored)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("now, last_day, observed, last_load, today, partial, anchored", [
    # nightly at 03:15 after a load at 03:10: the 23rd was seen to its end; the 24th so far is partial
    ("2026-11-24T03:15", date(2026, 11, 24), "2026-11-24T03:02", "2026-11-24T03:10", date(2026, 11, 24),
     date(2026, 11, 24), False),
    # a quiet org: no run today, but the load at 03:10 saw the 23rd end
    ("2026-11-24T03:15", date(2026, 11, 23), "2026-11-23T17:00", "2026-11-24T03:10", date(2026, 11, 24), None, False),
    # the last load ran at 22:00 on the 23rd: the 23rd is partial, yesterday is the 22nd
    ("2026-11-24T03:15", date(2026, 11, 23), "2026-11-23T21:58", "2026-11-23T22:00", date(2026, 11, 23),
     date(2026, 11, 23), True),
    # old data (an archive taken on 08-20 at 00:51): the load months later proves nothing; 08-20 holds one
    # run and is partial, yesterday is 08-19, the last day the data saw end
    ("2026-11-24T03:15", date(2026, 8, 20), "2026-08-20T00:51", "2026-11-24T03:10", date(2026, 8, 20),
     date(2026, 8, 20), True),
    # old data ending in the evening: nothing after midnight, so that day is partial too
    ("2026-11-24T03:15", date(2026, 8, 19), "2026-08-19T23:59:51", "2026-11-24T03:10", date(2026, 8, 19),
     date(2026, 8, 19), True),
])
def test_yesterday_is_the_last_complete_day(now, last_day, observed, last_load, today, partial, anchored) -> None:
    anchor = choose_anchor(_at(now), last_day, _at(observed), _at(last_load))
    assert (anchor.today, anchor.partial_day, anchor.anchored_on_data) == (today, partial, anchored)
    assert anchor.last_complete_day == today - timedelta(days=1)
    assert anchor.period(1) == Period(today - timedelta(days=1), today)


def test_naive_now_is_utc() -> None:
    assert choose_anchor(datetime(2026, 11, 24, 23, 30), None).today == date(2026, 11, 24)
    late_in_new_york = datetime(2026, 11, 24, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert choose_anchor(late_in_new_york, None).today == date(2026, 11, 25)


def test_period_arithmetic() -> None:
    week = choose_anchor(NOW, date(2026, 11, 23)).period(7)
    assert (week.start, week.end, week.last, week.days) == (date(2026, 11, 17), date(2026, 11, 24),
                                                           date(2026, 11, 23), 7)
    assert week.previous() == Period(date(2026, 11, 10), date(2026, 11, 17))
    assert len(week.each_day()) == 7 and week.each_day()[-1] == week.last
    assert Period(date(2026, 1, 1), date(2026, 1, 2)).label() == "2026-01-01"


# --- figures -----------------------------------------------------------------------------------------


def test_totals_keep_unpriced_cost_unknown() -> None:
    day = date(2026, 11, 23)
    period = Period(day, day + timedelta(days=1))
    only_unpriced = totals(period, [usage(day, None, unpriced=100)], [])
    assert only_unpriced.cost_usd is None and only_unpriced.cost_is_partial
    nothing = totals(period, [], [])
    assert nothing.cost_usd == 0.0 and nothing.error_rate is None and not nothing.cost_is_partial
    assert nothing.not_completed_rate is None
    mixed = totals(period, [usage(day, 1.25), usage(day, None, unpriced=50), usage(day - timedelta(days=1), 9.0)],
                   [FailureRow(day, 8, 1, 2, 1, 0, 1, 0), FailureRow(day - timedelta(days=1), 5, 5, 5, 5, 0, 0, 0)])
    assert (mixed.cost_usd, mixed.runs, mixed.total_tokens, mixed.unpriced_total_tokens) == (1.25, 2, 200, 50)
    assert (mixed.terminal_runs, mixed.error_runs, mixed.error_rate) == (8, 1, 0.125)
    assert (mixed.not_completed_runs, mixed.not_completed_rate) == (2, 0.25)


def test_error_rate_and_not_completed_rate_count_different_runs() -> None:
    """A hand-made day of 40 ended runs: 30 completed, 3 failed, 2 expired, 4 cancelled, 1 incomplete.

    Error rate = (3 + 2) / 40 = 12.5 %; not completed = (3 + 2 + 4 + 1) / 40 = 25 %.
    """
    day = date(2026, 11, 23)
    row = FailureRow(day, terminal_runs=40, error_runs=5, not_completed_runs=10, failed_runs=3, expired_runs=2,
                     cancelled_runs=4, incomplete_runs=1)
    t = totals(Period(day, day + timedelta(days=1)), [], [row])
    assert (t.error_rate, t.not_completed_rate) == (0.125, 0.25)


def test_the_list_price_estimate_share_says_which_part_of_the_cost_is_an_estimate() -> None:
    day = date(2026, 11, 23)
    rows = [UsageRow(day, "a", "gpt-4o", 1, 1, 50, 50, 100, 3.0, 0, 3.0),
            UsageRow(day, "b", "gpt-4o", 1, 1, 50, 50, 100, 1.0, 0, None)]
    t = totals(Period(day, day + timedelta(days=1)), rows, [])
    assert (t.cost_usd, t.list_price_estimate_cost_usd, t.list_price_estimate_share) == (4.0, 3.0, 0.75)


def test_change() -> None:
    assert change(150, 100) == 0.5
    assert change(1, 0) is None and change(None, 3) is None


# --- formatting --------------------------------------------------------------------------------------


def test_formats() -> None:
    assert fmt.money(None) == "-" and fmt.money(0.001) == "<$0.01" and fmt.money(1234.567) == "$1,234.57"
    assert fmt.money(0) == "$0.00"
    assert fmt.compact(987) == "987" and fmt.compact(45_600) == "45.6k" and fmt.compact(1_234_567) == "1.23M"
    assert fmt.pct(0.0412) == "4.1%" and fmt.pct(None) == "-"
    assert fmt.signed_pct(0.082) == "+8.2%" and fmt.signed_pct(-0.03) == "-3.0%" and fmt.signed_pct(83.9) == "+8,390%"
    assert fmt.points(0.05, 0.044) == "+0.6 pp"
    assert fmt.seconds(0.84) == "0.8 s" and fmt.seconds(245) == "4 min 05 s" and fmt.seconds(3720) == "1 h 02 min"
    assert fmt.timestamp(NOW) == "2026-11-24 03:15 UTC"
    assert fmt.age(NOW - timedelta(hours=5), NOW) == "5 h ago"


def test_nice_ticks_cover_the_top() -> None:
    for top in (0.003, 0.7, 1, 3.2, 47, 1234.5, 9e6):
        ticks = nice_ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) <= 7
        step = ticks[1]
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1, 2, 2.5, 5, 10)
    assert nice_ticks(0) == [0.0, 1.0]


def test_truncate() -> None:
    assert truncate("asst_yjUH3BNajh4cVC8HAVDCxdqM", 16) == "asst_yjUH…DCxdqM"
    assert truncate("a long name with spaces", 10) == "a long na…"
    assert truncate("short", 10) == "short"


# --- escaping and colours -----------------------------------------------------------------------------


def test_data_text_is_escaped_everywhere() -> None:
    nasty = '<script>alert("Zürich & 東京")</script>'
    days = [date(2026, 11, 22), date(2026, 11, 23)]
    svg = stacked_columns(days, [Series(nasty, "#4269d0", [1.0, 2.0])], label=nasty, y_title=nasty,
                          value_format=fmt.money, tick_format=fmt.money_short)
    bars = horizontal_bars([BarRow(nasty, [(3.0, "#4269d0", nasty)], nasty)], label=nasty, x_title=nasty,
                           tick_format=fmt.compact)
    for markup in (svg, bars, legend([(nasty, "#4269d0", nasty)])):
        assert "<script" not in markup and "&lt;script&gt;" in markup
        assert "Zürich &amp; 東京" in markup or "Zürich &amp; 東…" in markup


def test_empty_chart_says_so() -> None:
    svg = stacked_columns([date(2026, 11, 23)], [], label="x", y_title="y", value_format=fmt.money,
                          tick_format=fmt.money_short)
    assert "No data for these days" in svg


def test_model_colours_are_stable_and_distinct() -> None:
    models = ["o3", "gpt-4.1", "gpt-4o-mini", "acme-internal-llm-v1", "gpt-4o-2024-08-06"]
    colours = model_colours(models)
    assert colours == model_colours(reversed(models)) == model_colours(models + ["o3"])
    assert len(set(colours.values())) == len(models)


def test_error_code_colours() -> None:
    colours = error_code_colours(["server_error", "rate_limit_exceeded", "weird_new_code", "another"])
    assert colours["server_error"] == ERROR_CODES["server_error"]
    assert len(set(colours.values())) == 4


def test_the_cost_kind_says_which_share_is_an_assistants_estimate_and_which_has_cache_discounts():
    from runsteps.report.figures import cost_kind_text

    assert cost_kind_text(None) == ""
    assert cost_kind_text(1.0) == "100% list-price estimate (Assistants, no cache discounts)"
    assert cost_kind_text(0.0) == "100% with cache discounts (Responses)"
    assert cost_kind_text(0.6) == ("60% list-price estimate (Assistants, no cache discounts), "
                                   "40% with cache discounts (Responses)")
