"""Prices: the genai-prices price in effect on the run's day, overrides that win, and no silent $0.

The genai-prices figures below are literals taken from genai-prices 0.2.3's data (OpenAI's list):
gpt-4o $2.50 / $10.00 per million input / output tokens; o3 $10 / $40 until 2025-06-09 and
$2 / $8 from 2025-06-10 on.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Optional

import pytest

from runsteps.models import build_models, refresh_model_prices
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
