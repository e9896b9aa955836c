"""Acceptance of issue 5: the report renders in a real browser, works offline, shows the right
figures.

Expected figures are computed here with SQL of their own, on `fct_runs` and on the raw `runs`
table, never through the report's code.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Tuple

import duckdb
import pytest

from runsteps.emulator import Emulator
from runsteps.report import ModelsMissingError, report_figures, write_report
from runsteps.report import fmt
from runsteps.report.palette import model_colours
from tests.helpers import run_cli
from tests.integration.test_models_world import TOKENS_ONLY_TOOLS, world_tool_calls
from tests.report.cdp import colour_counts, find_chromium, hex_rgb, visit


@pytest.fixture(scope="module")
def report(warehouse, tmp_path_factory) -> Tuple[Path, str]:
    """The report of the shared warehouse, written once for the module."""
    out = tmp_path_factory.mktemp("html") / "report.html"
    summary = write_report(warehouse.pipeline(), out, days=30, now=warehouse.now)
    return out, summary


def expected(db: Path, start: date, end: date) -> Dict[str, object]:
    """A period's figures straight from the marts' run table and the raw runs, by SQL of our own."""
    with duckdb.connect(str(db), read_only=True) as con:
        cost, unpriced = con.execute(
            "select sum(cost_usd), coalesce(sum(case when not is_priced then total_tokens end), 0) "
            "from analytics.fct_runs where run_date >= ? and run_date < ?", [start, end]).fetchone()
        runs, tokens, prompt, completion, ended, errors, not_completed = con.execute(
            "select count(*), coalesce(sum(total_tokens), 0), coalesce(sum(prompt_tokens), 0), "
            "coalesce(sum(completion_tokens), 0), "
            "count(case when status in ('completed','failed','cancelled','expired','incomplete') then 1 end), "
            "count(case when status in ('failed','expired') then 1 end), "
            "count(case when status in ('failed','cancelled','expired','incomplete') then 1 end) "
            "from assistants.runs where cast(created_at at time zone 'UTC' as date) >= ? "
            "and cast(created_at at time zone 'UTC' as date) < ?", [start, end]).fetchone()
    return {"cost_usd": cost, "unpriced_total_tokens": unpriced, "runs": runs, "total_tokens": tokens,
            "input_tokens": prompt, "output_tokens": completion, "terminal_runs": ended,
            "error_runs": errors, "error_rate": errors / ended if ended else None,
            "not_completed_runs": not_completed, "not_completed_rate": not_completed / ended if ended else None}


def assert_same(got: Dict[str, object], want: Dict[str, object], where: str) -> None:
    for key, value in want.items():
        if value is None or isinstance(value, int):
            assert got[key] == value, f"{where}: {key}"
        else:
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), f"{where}: {key}"


# --- figures ---------------------------------------------------------------------------------------


def test_headline_figures_equal_the_marts(warehouse) -> None:
    figures = report_figures(warehouse.pipeline(), days=30, now=warehouse.now)
    assert figures["today"] == warehouse.now.date()
    assert not figures["anchored_on_data"]
    lengths = {"yesterday": 1, "last_7_days": 7, "last_30_days": 30}
    for key, days in lengths.items():
        period = figures["periods"][key]
        end = warehouse.now.date()
        assert (period["start"], period["end"], period["days"]) == (end - timedelta(days=days), end, days)
        assert_same(period["current"], expected(warehouse.db, period["start"], period["end"]), key)
        before = period["start"] - timedelta(days=days)
        assert_same(period["previous"], expected(warehouse.db, before, period["start"]), f"{key} previous")
    # The world has runs yesterday, and usage of a model without a price: both must show.
    assert figures["periods"]["yesterday"]["current"]["runs"] > 0
    assert figures["periods"]["last_30_days"]["current"]["unpriced_total_tokens"] > 0


def test_old_data_anchors_on_its_last_complete_day(warehouse) -> None:
    """Weeks later, the load proves nothing about the data's clock: the emulator's world stops at
    2026-08-20 00:00 and its last moment is 2026-08-19 23:59:51, so 2026-08-19 is not known to be
    complete. 'Yesterday' becomes 2026-08-18, and 2026-08-19 is shown as a partial day."""
    later = report_figures(warehouse.pipeline(), now=warehouse.now + timedelta(days=40))
    assert later["anchored_on_data"]
    assert later["last_complete_day"] == date(2026, 8, 18) and later["today"] == date(2026, 8, 19)
    assert later["periods"]["yesterday"]["start"] == date(2026, 8, 18)
    for key, period in later["periods"].items():
        assert_same(period["current"], expected(warehouse.db, period["start"], period["end"]), key)
    partial = later["partial_day"]
    assert partial["day"] == date(2026, 8, 19) and partial["through"].date() == date(2026, 8, 19)
    assert_same(partial["current"], expected(warehouse.db, date(2026, 8, 19), date(2026, 8, 20)), "partial")


def test_report_shows_the_figures_and_summary(warehouse, report) -> None:
    out, summary = report
    figures = report_figures(warehouse.pipeline(), days=30, now=warehouse.now)
    html = out.read_text(encoding="utf-8")
    headlines = html[html.index('id="headlines"'):html.index('id="daily-cost"')]
    for key, period in figures["periods"].items():
        cur = period["current"]
        assert fmt.money(cur["cost_usd"]) in headlines, key
        assert fmt.money(cur["cost_usd"]) in summary, key
        assert fmt.count(cur["runs"]) in headlines and fmt.pct(cur["error_rate"]) in headlines, key
        assert fmt.pct(cur["not_completed_rate"]) in headlines, key
        assert "100% list-price estimate (Assistants, no cache discounts)" in headlines, key
    assert "Error rate" in headlines and "Not completed" in headlines and "Failure rate" not in html
    assert "Cost kind:     100% list-price estimate (Assistants, no cache discounts)" in summary
    assert "list-price estimate without cache discounts" in html
    yesterday = figures["periods"]["yesterday"]["start"].isoformat()
    assert summary.splitlines()[0].startswith(f"runsteps report for {yesterday}")
    assert "acme-internal-llm-v1" in summary and "without a price" in summary
    assert 5 <= len(summary.splitlines()) <= 12 and max(len(line) for line in summary.splitlines()) < 200


# --- offline -------------------------------------------------------------------------------------------


class _References(HTMLParser):
    """Collects everything in a page that could make a browser fetch something."""

    URL_ATTRS = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background",
                 "manifest", "ping", "codebase", "cite", "longdesc", "usemap", "icon"}
    FETCHING_TAGS = {"script", "link", "img", "iframe", "frame", "object", "embed", "audio", "video", "source",
                     "track", "image", "use", "feimage", "base", "meta"}

    def __init__(self) -> None:
        super().__init__()
        self.found: List[str] = []
        self.css: List[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, object]]) -> None:
        if tag == "style":
            self._in_style = True
        for name, value in attrs:
            if name in self.URL_ATTRS:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and value:
                self.css.append(str(value))
            if name == "http-equiv":
                self.found.append(f"<{tag} http-equiv={value!r}>")
        if tag in self.FETCHING_TAGS - {"meta"}:
            self.found.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css.append(data)


def test_report_references_nothing_outside_itself(report) -> None:
    html = report[0].read_text(encoding="utf-8")
    parser = _References()
    parser.feed(html)
    assert parser.found == []
    css = "\n".join(parser.css)
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    # Not even a namespace URI: the page holds no URL at all.
    assert not re.search(r"(?i)\b(https?|ftp)://|//[a-z0-9.-]+\.[a-z]{2,}/", html)


# --- browser -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if not path:
        pytest.skip("no Chromium: install Debian's `chromium` or set RUNSTEPS_CHROMIUM (.ci/run does)")
    return path


def test_report_renders_in_chromium(warehouse, report, chromium, tmp_path) -> None:
    out, _ = report
    page = visit(chromium, out, width=1280, height=2400)
    (tmp_path / "report.png").write_bytes(page.page_png)  # kept by pytest for a look when this fails
    assert page.errors == []
    assert page.requests == [out.resolve().as_uri()], "the page fetched something besides itself"
    assert page.title.startswith("Assistants cost report")
    assert len(page.charts) == 5  # daily cost by model, by API, by assistant, failures, tools
    for (x, y, width, height), png in zip(page.charts, page.chart_pngs):
        assert width > 300 and height > 100
        counts = colour_counts(png)
        # Drawn marks are saturated colours; text, grid and background are greys.
        marks = {c: n for c, n in counts.items() if max(c) - min(c) > 60 and n >= 40}
        assert marks, f"nothing drawn in the chart at y={y:.0f}"
    # The daily cost chart shows every priced model of the window in that model's colour.
    with duckdb.connect(str(warehouse.db), read_only=True) as con:
        models = [m for (m,) in con.execute("select distinct model from analytics.rpt_daily_usage "
                                            "where model is not null").fetchall()]
        cost = dict(con.execute(
            "select model, sum(cost_usd) from analytics.rpt_daily_usage where run_date >= ? and run_date < ? "
            "and cost_usd is not null group by model",
            [warehouse.now.date() - timedelta(days=30), warehouse.now.date()]).fetchall())
    # Models with at least 5% of the cost: a model with a few cents draws bars under a pixel high.
    priced = [m for m, c in cost.items() if c >= 0.05 * sum(cost.values())]
    colours = model_colours(models)
    daily = colour_counts(page.chart_pngs[0])
    assert len(priced) >= 3
    for model in priced:
        assert daily.get(hex_rgb(colours[model]), 0) >= 20, f"{model} is not drawn in its colour"


# --- CLI and errors ------------------------------------------------------------------------------------


def test_report_command_prints_the_summary(warehouse, tmp_path) -> None:
    out = tmp_path / "sub" / "costs.html"
    result = run_cli("report", "--db", str(warehouse.db), "--pipelines-dir", str(warehouse.pipelines_dir),
                     "--out", str(out), "--days", "14")
    assert result.code == 0, result.err
    assert out.is_file() and out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert result.out.startswith("runsteps report for ") and "Cost:" in result.out


def test_report_without_models_names_the_fix(tmp_path) -> None:
    from runsteps.loading import build_pipeline

    with pytest.raises(ModelsMissingError, match="runsteps models"):
        write_report(build_pipeline(tmp_path / "empty.duckdb"), tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_report_lists_the_tool_calls_whose_fee_is_in_no_cost(warehouse, report) -> None:
    """The Assistants API bills file search as vector-store storage and code interpreter per session:
    neither is in a cost, and the report says how many calls that leaves out (counted in the world)."""
    out, summary = report
    with Emulator(seed=7, threads=30) as emu:
        calls = world_tool_calls(emu.world)
    html = out.read_text(encoding="utf-8")
    for tool in ("file_search", "code_interpreter"):
        assert f"{fmt.count(calls[tool])} {tool} calls</b> (assistants API" in html
    warning = next(line for line in summary.splitlines() if "tool calls with a fee in no cost" in line)
    top = sorted(((n, t) for t, n in calls.items() if t not in TOKENS_ONLY_TOOLS), reverse=True)[0]
    assert f"({top[1]} {fmt.count(top[0])}" in warning
