"""Prices: the genai-prices price in effect on the run's day, overrides that win, and no silent $0.

The genai-prices figures below are literals taken from genai-prices 0.2.3's data (OpenAI's list):
gpt-4o $2.50 / $10.00 per million input / output tokens; o3 $10 / $40 until 2025-06-09 and
$2 / $8 from 2025-06-10 on; deepseek-chat $0.27 / $1.10 from 00:30 to 16:30 UTC, $0.135 / $0.55
otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Optional

import pytest

from openai_assistants import export_source
from runsteps.loading import run_load
from runsteps.models import build_models, ensure_model_prices, refresh_model_prices
from runsteps.report import write_report
from tests.helpers import run_cli
from runsteps.models.price_lookup import (
    OVERRIDE_SOURCE,
    PriceOverridesError,
    genai_price,
    price_on,
    read_price_overrides,
)
from tests.models.warehouse import api_message_step, api_run, duckdb_warehouse, write_export

MILLION = 1_000_000


@pytest.mark.parametrize(
    ("model", "day", "input_usd", "output_usd", "priced_as"),
    [
        pytest.param("gpt-4o", "2025-03-03", "2.5", "10", "gpt-4o", id="gpt-4o"),
        pytest.param("gpt-4o-2024-08-06", "2025-03-03", "2.5", "10", "gpt-4o", id="dated snapshot resolves"),
        pytest.param("gpt-4o-mini", "2025-03-03", "0.15", "0.6", "gpt-4o-mini", id="gpt-4o-mini"),
        pytest.param("o3", "2025-06-09", "10", "40", "o3", id="o3 the day before its price cut"),
        pytest.param("o3", "2025-06-10", "2", "8", "o3", id="o3 from the day of its price cut"),
        pytest.param("o3-2025-04-16", "2025-05-01", "10", "40", "o3", id="o3 dated snapshot before the cut"),
    ],
)
def test_genai_prices_gives_the_price_in_effect_that_day(
    model: str, day: str, input_usd: str, output_usd: str, priced_as: str
) -> None:
    price = genai_price(model, date.fromisoformat(day))
    assert price is not None
    assert (price.input_usd_per_mtok, price.output_usd_per_mtok) == (Decimal(input_usd), Decimal(output_usd))
    assert price.priced_as == priced_as
    assert price.price_source.startswith("genai-prices ")


def test_a_model_no_price_list_knows_has_no_price() -> None:
    assert genai_price("acme-internal-llm-v1", date(2025, 3, 3)) is None


@pytest.mark.parametrize(
    ("model", "web_search", "file_search"),
    [
        pytest.param("gpt-4.1", "10", "2.5", id="gpt-4.1 has both per-call prices"),
        pytest.param("gpt-4o-2024-08-06", "10", "2.5", id="a dated snapshot gets its model's"),
        pytest.param("o3-mini", None, None, id="o3-mini has none: its searches stay unpriced"),
    ],
)
def test_genai_prices_gives_the_per_call_price_of_web_and_file_search(
    model: str, web_search: Optional[str], file_search: Optional[str]
) -> None:
    """genai-prices 0.2.3: OpenAI web searches $10, file searches (its storage searches) $2.50 per 1,000
    calls, on the models that list them."""
    price = genai_price(model, date(2026, 8, 10))
    assert price is not None
    assert price.web_search_usd_per_kcall == (Decimal(web_search) if web_search else None)
    assert price.file_search_usd_per_kcall == (Decimal(file_search) if file_search else None)


def test_an_override_prices_the_tools_it_names_and_no_others(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("model,valid_from,valid_to,input_usd_per_mtok,output_usd_per_mtok,note,web_search_usd_per_kcall,"
                    "file_search_usd_per_kcall\ngpt-4.1,,,1,4,EA,25,\n")
    price = price_on("gpt-4.1", date(2026, 8, 10), read_price_overrides(path))
    assert price is not None
    assert (price.web_search_usd_per_kcall, price.file_search_usd_per_kcall) == (Decimal("25"), None)
    # without the columns, an override prices tokens only
    plain = price_on("gpt-4.1", date(2026, 8, 10), read_price_overrides(write_csv(tmp_path / "p.csv", "gpt-4.1,,,1,4,")))
    assert plain is not None and (plain.web_search_usd_per_kcall, plain.file_search_usd_per_kcall) == (None, None)


def test_a_tool_price_that_is_not_a_number_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("model,input_usd_per_mtok,output_usd_per_mtok,web_search_usd_per_kcall\ngpt-4.1,1,4,ten\n")
    with pytest.raises(PriceOverridesError, match="o.csv:2: web_search_usd_per_kcall 'ten' is not a price"):
        read_price_overrides(path)


def write_csv(path: Path, *rows: str) -> Path:
    path.write_text("model,valid_from,valid_to,input_usd_per_mtok,output_usd_per_mtok,note\n" + "".join(r + "\n" for r in rows))
    return path


def test_an_override_wins_over_genai_prices_within_its_dates(tmp_path: Path) -> None:
    overrides = read_price_overrides(write_csv(tmp_path / "o.csv", "gpt-4o,2025-03-01,2025-03-31,2.0,8.0,Azure EA"))

    in_range = price_on("gpt-4o", date(2025, 3, 31), overrides)
    after = price_on("gpt-4o", date(2025, 4, 1), overrides)

    assert in_range is not None and after is not None
    assert (in_range.input_usd_per_mtok, in_range.price_source, in_range.note) == (Decimal("2.0"), OVERRIDE_SOURCE, "Azure EA")
    assert (after.input_usd_per_mtok, after.price_source) == (Decimal("2.5"), "genai-prices 0.2.3")


def test_an_override_with_open_ends_covers_every_day(tmp_path: Path) -> None:
    overrides = read_price_overrides(write_csv(tmp_path / "o.csv", "acme-internal-llm-v1,,,1,2,"))
    price = price_on("acme-internal-llm-v1", date(1999, 1, 1), overrides)
    assert price is not None and price.note is None


def test_a_missing_overrides_file_means_no_overrides(tmp_path: Path) -> None:
    assert read_price_overrides(tmp_path / "none.csv") == []


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        pytest.param(["gpt-4o,,,,8,"], "input_usd_per_mtok '' is not a price", id="empty price is no silent 0"),
        pytest.param(["gpt-4o,,,two,8,"], "input_usd_per_mtok 'two' is not a price", id="price not a number"),
        pytest.param(["gpt-4o,,,-1,8,"], "must be a number >= 0", id="negative price"),
        pytest.param(["gpt-4o,10/06/2025,,2,8,"], "valid_from '10/06/2025' is not a date", id="date not ISO"),
        pytest.param(["gpt-4o,2025-06-10,2025-06-01,2,8,"], "valid_from is after valid_to", id="reversed range"),
        pytest.param([",,,2,8,"], "model is empty", id="no model"),
        pytest.param(
            ["gpt-4o,2025-01-01,2025-06-30,2,8,", "gpt-4o,2025-06-30,,3,9,"],
            "lines 2 and 3 both price 'gpt-4o'",
            id="overlapping ranges",
        ),
    ],
)
def test_a_bad_overrides_file_is_refused_with_its_line(tmp_path: Path, rows: list, message: str) -> None:
    path = write_csv(tmp_path / "o.csv", *rows)
    with pytest.raises(PriceOverridesError, match=message.replace("(", r"\(")):
        read_price_overrides(path)


def test_an_overrides_file_without_a_price_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("model,input_usd_per_mtok\ngpt-4o,2\n")
    with pytest.raises(PriceOverridesError, match="missing column"):
        read_price_overrides(path)


# --- through the loader and the models -----------------------------------------------------------


def one_run_export(folder: Path, model: str, created_at: str, usage: Optional[tuple] = (MILLION, MILLION, 2 * MILLION)) -> Path:
    run = api_run("run_1", model=model, created_at=created_at, usage=usage)
    return write_export(folder, [run], [api_message_step("step_1", run)] if usage else [])


@pytest.mark.parametrize(
    ("created_at", "cost_usd"),
    [
        pytest.param("2025-06-09T23:59:59", 10 + 40, id="last second before the cut: $10 + $40"),
        pytest.param("2025-06-10T00:00:00", 2 + 8, id="first second after the cut: $2 + $8"),
    ],
)
def test_the_same_usage_costs_what_the_price_was_that_day(tmp_path: Path, created_at: str, cost_usd: float) -> None:
    warehouse = duckdb_warehouse(tmp_path / "w.duckdb", one_run_export(tmp_path / "export", "o3", created_at))

    build_models(warehouse.pipeline)

    (run,) = warehouse.rows("select cost_usd, is_priced from analytics.fct_runs")
    (step,) = warehouse.rows("select cost_usd from analytics.fct_run_steps")
    assert run == {"cost_usd": pytest.approx(cost_usd), "is_priced": True}
    assert step["cost_usd"] == pytest.approx(cost_usd)


def test_an_unpriced_model_gets_a_null_cost_never_zero_and_is_listed(tmp_path: Path) -> None:
    export = one_run_export(tmp_path / "export", "acme-internal-llm-v1", "2025-03-03T12:00:00")
    warehouse = duckdb_warehouse(tmp_path / "w.duckdb", export)

    result = build_models(warehouse.pipeline)

    assert warehouse.rows("select cost_usd, is_priced from analytics.fct_runs") == [{"cost_usd": None, "is_priced": False}]
    assert warehouse.rows("select cost_usd from analytics.fct_run_steps") == [{"cost_usd": None}]
    assert warehouse.rows("select cost_usd, unpriced_total_tokens from analytics.rpt_daily_usage") == [
        {"cost_usd": None, "unpriced_total_tokens": 2 * MILLION}
    ]
    assert warehouse.rows("select model, days, runs, total_tokens from analytics.unpriced_models") == [
        {"model": "acme-internal-llm-v1", "days": 1, "runs": 1, "total_tokens": 2 * MILLION}
    ]
    assert result.prices.unpriced == [("acme-internal-llm-v1", date(2025, 3, 3))]


def test_adding_an_override_fixes_past_costs_on_the_next_build(tmp_path: Path) -> None:
    export = one_run_export(tmp_path / "export", "acme-internal-llm-v1", "2025-03-03T12:00:00")
    warehouse = duckdb_warehouse(tmp_path / "w.duckdb", export)
    build_models(warehouse.pipeline)
    overrides = write_csv(tmp_path / "prices.csv", "acme-internal-llm-v1,2025-01-01,,0.5,1.5,internal chargeback")

    build_models(warehouse.pipeline, price_overrides=overrides)

    assert warehouse.rows("select cost_usd, price_source from analytics.fct_runs") == [
        {"cost_usd": pytest.approx(0.5 + 1.5), "price_source": "override"}
    ]
    assert warehouse.rows("select * from analytics.unpriced_models") == []


def test_refreshing_prices_alone_updates_costs_the_views_show(tmp_path: Path) -> None:
    export = one_run_export(tmp_path / "export", "gpt-4o", "2025-03-03T12:00:00")
    warehouse = duckdb_warehouse(tmp_path / "w.duckdb", export)
    build_models(warehouse.pipeline)
    overrides = write_csv(tmp_path / "prices.csv", "gpt-4o,,,1,4,negotiated")

    snapshot = refresh_model_prices(warehouse.pipeline, price_overrides=overrides)

    assert snapshot.unpriced == []
    assert warehouse.rows("select cost_usd from analytics.fct_runs") == [{"cost_usd": pytest.approx(1 + 4)}]
    assert warehouse.rows("select price_source, note from analytics.model_prices") == [
        {"price_source": "override", "note": "negotiated"}
    ]


def test_a_priced_run_without_usage_yet_has_no_cost_yet(tmp_path: Path) -> None:
    run = api_run("run_open", model="gpt-4o", created_at="2025-03-03T12:00:00", usage=None, status="in_progress")
    warehouse = duckdb_warehouse(tmp_path / "w.duckdb", write_export(tmp_path / "export", [run]))

    build_models(warehouse.pipeline)

    assert warehouse.rows("select is_priced, cost_usd from analytics.fct_runs") == [{"is_priced": True, "cost_usd": None}]
    assert warehouse.rows("select * from analytics.unpriced_models") == []


# --- prices at the run's moment, not at 00:00 of its day ---------------------------------------------


def test_a_run_is_priced_at_its_own_time_of_day(tmp_path: Path) -> None:
    """deepseek-chat has off-peak hours in genai-prices 0.2.3: $0.27 / $1.10 per million input / output
    tokens from 00:30 to 16:30 UTC, $0.135 / $0.55 otherwise. Priced at 00:00 UTC of the day (as before),
    all three runs below would cost the off-peak $0.685."""
    runs = [api_run(f"run_{hour[:2]}", model="deepseek-chat", created_at=f"2026-08-19T{hour}",
                    usage=(MILLION, MILLION, 2 * MILLION)) for hour in ("00:15:00", "10:00:00", "20:00:00")]
    export = write_export(tmp_path / "export", runs, [api_message_step(f"step_{r['id']}", r) for r in runs])
    warehouse = duckdb_warehouse(tmp_path / "w.duckdb", export)

    build_models(warehouse.pipeline)

    assert warehouse.rows("select run_id, cost_usd from analytics.fct_runs order by run_id") == [
        {"run_id": "run_00", "cost_usd": pytest.approx(0.135 + 0.55)},   # 00:15, before the peak starts
        {"run_id": "run_10", "cost_usd": pytest.approx(0.27 + 1.10)},    # 10:00, peak
        {"run_id": "run_20", "cost_usd": pytest.approx(0.135 + 0.55)},   # 20:00, off-peak again
    ]
    assert warehouse.rows("select cost_usd from analytics.fct_run_steps order by step_id") == [
        {"cost_usd": pytest.approx(0.685)}, {"cost_usd": pytest.approx(1.37)}, {"cost_usd": pytest.approx(0.685)}]
    # the day is cut where the price changes, so each interval has one price
    intervals = warehouse.rows("select cast(starts_at as varchar) as starts_at, cast(ends_at as varchar) as ends_at, "
                               "input_usd_per_mtok from analytics.model_prices order by starts_at")
    assert [(r["starts_at"][11:16], r["ends_at"][11:16], r["input_usd_per_mtok"]) for r in intervals] == [
        ("00:00", "00:30", 0.135), ("00:30", "16:30", 0.27), ("16:30", "00:00", 0.135)]


# --- overrides that match nothing ------------------------------------------------------------------


def test_an_override_that_matches_no_run_is_a_warning(tmp_path: Path) -> None:
    """Runs report gpt-4o-2024-08-06. An override for gpt-4o (the name in the docs' old example) and one
    for the right name on days without runs change no cost: the build and the report say so."""
    export = one_run_export(tmp_path / "export", "gpt-4o-2024-08-06", "2025-03-03T12:00:00")
    warehouse = duckdb_warehouse(tmp_path / "w.duckdb", export)
    overrides = write_csv(tmp_path / "prices.csv", "gpt-4o,,,2.00,8.00,negotiated",
                          "gpt-4o-2024-08-06,2024-01-01,2024-12-31,1.00,4.00,last year")

    result = build_models(warehouse.pipeline, price_overrides=overrides)

    assert result.warnings == [
        "price override gpt-4o (line 2) matches no run; runs report gpt-4o-2024-08-06",
        "price override gpt-4o-2024-08-06 2024-01-01..2024-12-31 (line 3) matches no run",
    ]
    assert warehouse.rows("select line, model from analytics.unmatched_price_overrides order by line") == [
        {"line": 2, "model": "gpt-4o"}, {"line": 3, "model": "gpt-4o-2024-08-06"}]
    # the run keeps genai-prices' gpt-4o price: $2.50 + $10.00
    assert warehouse.rows("select cost_usd, price_source from analytics.fct_runs") == [
        {"cost_usd": pytest.approx(12.5), "price_source": "genai-prices 0.2.3"}]

    summary = write_report(warehouse.pipeline, tmp_path / "r.html", now=datetime(2025, 3, 5, 6, tzinfo=timezone.utc))
    assert "price override gpt-4o (line 2) matches no run (runs report gpt-4o-2024-08-06)" in summary
    html = (tmp_path / "r.html").read_text()
    assert "The price override for gpt-4o</b>" in html and "Runs report gpt-4o-2024-08-06" in html

    # an override that matches is no warning
    fixed = write_csv(tmp_path / "fixed.csv", "gpt-4o-2024-08-06,2025-01-01,,2.00,8.00,negotiated EA price")
    assert build_models(warehouse.pipeline, price_overrides=fixed).warnings == []
    assert warehouse.rows("select cost_usd from analytics.fct_runs") == [{"cost_usd": pytest.approx(10.0)}]


def test_the_models_command_prints_the_warning(tmp_path: Path) -> None:
    export = one_run_export(tmp_path / "export", "gpt-4o-2024-08-06", "2025-03-03T12:00:00")
    db = tmp_path / "w.duckdb"
    warehouse = duckdb_warehouse(db, export, pipeline_name="runsteps")
    overrides = write_csv(tmp_path / "prices.csv", "gpt-4o,,,2.00,8.00,negotiated")

    result = run_cli("models", "--db", str(db), "--pipelines-dir", str(warehouse.pipeline.pipelines_dir),
                     "--price-overrides", str(overrides))

    assert result.code == 0, result.err
    assert "warning: price override gpt-4o (line 2) matches no run; runs report gpt-4o-2024-08-06" in result.out


def test_a_refresh_keeps_the_overrides_of_the_last_build(tmp_path: Path) -> None:
    """The report's refresh prices with the overrides `models --price-overrides FILE` stored, not the
    shipped CSV: a run loaded later is priced as the build would price it."""
    export = one_run_export(tmp_path / "export", "gpt-4o-2024-08-06", "2025-03-03T12:00:00")
    warehouse = duckdb_warehouse(tmp_path / "w.duckdb", export)
    build_models(warehouse.pipeline, price_overrides=write_csv(tmp_path / "p.csv", "gpt-4o-2024-08-06,,,1,4,EA"))
    later = api_run("run_2", model="gpt-4o-2024-08-06", created_at="2025-03-09T12:00:00",
                    usage=(MILLION, MILLION, 2 * MILLION))
    run_load(warehouse.pipeline, export_source(str(write_export(tmp_path / "export2", [later],
                                                                  [api_message_step("step_2", later)]))))

    snapshot = ensure_model_prices(warehouse.pipeline)

    assert snapshot is not None and ensure_model_prices(warehouse.pipeline) is None  # once is enough
    assert warehouse.rows("select run_id, cost_usd, price_source from analytics.fct_runs order by run_id") == [
        {"run_id": "run_1", "cost_usd": pytest.approx(5.0), "price_source": "override"},
        {"run_id": "run_2", "cost_usd": pytest.approx(5.0), "price_source": "override"}]


# --- Foundry deployment names (seeds/deployments.csv) ---------------------------------------------


def test_a_deployment_is_priced_as_the_model_it_serves_and_an_unmapped_one_has_no_price(tmp_path):
    from datetime import date as _date
    from decimal import Decimal as _Decimal

    from genai_prices import Usage, calc_price

    from runsteps.models.price_lookup import price_intervals, read_deployments

    seed = tmp_path / "deployments.csv"
    seed.write_text("deployment,model\ngpt-4o-prod,gpt-4o\n", encoding="utf-8")
    deployments = read_deployments(seed)
    day = _date(2026, 8, 1)
    intervals = {i.model: i.price for i in price_intervals([("gpt-4o-prod", day), ("acme-llm-canary", day)], [], deployments)}
    assert intervals["acme-llm-canary"] is None  # never $0: no price at all
    price = intervals["gpt-4o-prod"]
    assert price.priced_as == "gpt-4o" and price.note == "deployment of gpt-4o"
    # genai-prices' own figures for the model, called directly: input, cache read and output per million
    one_m = lambda **kw: calc_price(Usage(**kw), "gpt-4o", provider_id="openai").total_price  # noqa: E731
    assert price.input_usd_per_mtok == one_m(input_tokens=1_000_000)
    assert price.cached_input_usd_per_mtok == one_m(input_tokens=1_000_000, cache_read_tokens=1_000_000)
    assert price.output_usd_per_mtok == one_m(output_tokens=1_000_000)
    assert price.cached_input_usd_per_mtok < price.input_usd_per_mtok
    assert _Decimal(0) not in (price.input_usd_per_mtok, price.output_usd_per_mtok)


def test_a_deployments_file_with_a_bad_row_is_refused_naming_the_line(tmp_path):
    from runsteps.models.price_lookup import PriceOverridesError, read_deployments

    seed = tmp_path / "deployments.csv"
    seed.write_text("deployment,model\ngpt-4o-prod,gpt-4o\ngpt-4o-prod,gpt-4.1\n", encoding="utf-8")
    with pytest.raises(PriceOverridesError, match=":3: deployment 'gpt-4o-prod' is mapped twice"):
        read_deployments(seed)
    assert read_deployments(tmp_path / "missing.csv") == {}
