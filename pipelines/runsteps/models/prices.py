"""The `model_prices` table: the price of every (model, day) present in the runs, snapshotted anew.

It is rebuilt on every models build, so a price fixed in genai-prices or in the overrides file
fixes past costs too. Only pairs that have a price get a row: a model-day without one has no row,
so its cost is null (never 0) and `unpriced_models` lists it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

import dlt

from runsteps.models.destination import fetch_all, target_for
from runsteps.models.price_lookup import Price, prices_for, read_price_overrides
from runsteps.models.project import MODELS_SCHEMA, PRICE_OVERRIDES_FILE, resolve_sql_dir
from runsteps.models.transpile import Target, render_statement

TABLE = "model_prices"

# Written in DuckDB's dialect like the models, and transpiled the same way.
_COLUMNS: Sequence[Tuple[str, str]] = (
    ("model", "VARCHAR"),
    ("price_date", "DATE"),
    ("input_usd_per_mtok", "DOUBLE"),
    ("output_usd_per_mtok", "DOUBLE"),
    ("price_source", "VARCHAR"),
    ("priced_as", "VARCHAR"),
    ("note", "VARCHAR"),
)
# One aggregate over the raw runs, so the snapshot stays cheap on millions of rows. The day is the
# UTC date of the run's creation, the same expression the models use.
_MODEL_DAYS_SQL = """
SELECT model, CAST(created_at AT TIME ZONE 'UTC' AS DATE) AS price_date
FROM assistants.runs
WHERE model IS NOT NULL AND created_at IS NOT NULL
GROUP BY model, CAST(created_at AT TIME ZONE 'UTC' AS DATE)
"""
_ROWS_PER_INSERT = 200


@dataclass(frozen=True)
class PriceSnapshot:
    """What a refresh wrote.

    Attributes:
        priced: (model, day) pairs that got a price, with it.
        unpriced: (model, day) pairs present in the runs with no price.
        seconds: how long the refresh took.
    """

    priced: dict[Tuple[str, date], Price]
    unpriced: List[Tuple[str, date]]
    seconds: float


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def model_days(client: Any, target: Target) -> List[Tuple[str, date]]:
    """Every (model, UTC day) present in the raw runs, sorted."""
    if "runs" in target.missing_sources:
        return []
    rows = fetch_all(client, render_statement(_MODEL_DAYS_SQL, target))
    return sorted((str(model), _as_date(day)) for model, day in rows)


def _placeholders(sql: str) -> str:
    # sqlglot writes each dialect's own marker; dlt's clients all take `%s`
    return sql.replace("?", "%s")


def write_snapshot(client: Any, target: Target, priced: dict[Tuple[str, date], Price], *, recreate: bool) -> None:
    """Replaces the rows of `model_prices` (creating the schema and table when missing).

    Args:
        client: an open dlt SQL client, inside the caller's transaction.
        target: the destination and schemas.
        priced: the rows to write.
        recreate: drop and create the table, so a changed column list takes effect; only safe when
            no view reads the table at that moment (the runner drops its views first).
    """
    table = f"{MODELS_SCHEMA}.{TABLE}"
    client.execute_sql(render_statement(f"CREATE SCHEMA IF NOT EXISTS {MODELS_SCHEMA}", target))
    if recreate:
        client.execute_sql(render_statement(f"DROP TABLE IF EXISTS {table}", target))
    columns_ddl = ", ".join(f"{name} {data_type}" for name, data_type in _COLUMNS)
    client.execute_sql(render_statement(f"CREATE TABLE IF NOT EXISTS {table} ({columns_ddl})", target))
    client.execute_sql(render_statement(f"DELETE FROM {table}", target))

    rows = [
        (
            model,
            day,
            float(price.input_usd_per_mtok),
            float(price.output_usd_per_mtok),
            price.price_source,
            price.priced_as,
            price.note,
        )
        for (model, day), price in sorted(priced.items())
    ]
    names = ", ".join(name for name, _ in _COLUMNS)
    row_marks = "(" + ", ".join("?" for _ in _COLUMNS) + ")"
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        sql = render_statement(f"INSERT INTO {table} ({names}) VALUES " + ", ".join(row_marks for _ in chunk), target)
        client.execute_sql(_placeholders(sql), *[value for row in chunk for value in row])


def snapshot_prices(
    client: Any, target: Target, overrides_path: Path, *, recreate: bool = False
) -> PriceSnapshot:
    """Looks up the price of every model-day in the runs and writes `model_prices`.

    The caller owns the client and the transaction; `refresh_model_prices` is the public entry.
    """
    started = time.perf_counter()
    overrides = read_price_overrides(overrides_path)
    pairs = model_days(client, target)
    priced = prices_for(pairs, overrides)
    write_snapshot(client, target, priced, recreate=recreate)
    unpriced = [pair for pair in pairs if pair not in priced]
    return PriceSnapshot(priced=priced, unpriced=unpriced, seconds=time.perf_counter() - started)


def default_overrides_path(sql_dir: Optional[Path] = None) -> Path:
    """`seeds/price_overrides.csv` of the SQL folder (the shipped one by default)."""
    return resolve_sql_dir(sql_dir) / PRICE_OVERRIDES_FILE


def refresh_model_prices(
    pipeline: dlt.Pipeline,
    *,
    sql_dir: Optional[Path] = None,
    price_overrides: Optional[Path] = None,
    schema: str = MODELS_SCHEMA,
) -> PriceSnapshot:
    """Rewrites `<schema>.model_prices` for the (model, day) pairs present in the pipeline's runs.

    Overrides from the CSV win over genai-prices. The views read the table live, so costs follow at
    once. Runs in one transaction: readers see the old prices or the new ones.

    Args:
        pipeline: the pipeline whose destination holds the raw tables.
        sql_dir: the SQL folder whose `seeds/price_overrides.csv` to use; the shipped one by default.
        price_overrides: an overrides CSV to use instead of the SQL folder's.
        schema: the models schema.

    Returns:
        The pairs priced and those left without a price.
    """
    overrides_path = Path(price_overrides) if price_overrides is not None else default_overrides_path(sql_dir)
    with pipeline.sql_client() as client:
        target = target_for(client, models_schema=schema, sources=("runs",))
        with client.begin_transaction():
            return snapshot_prices(client, target, overrides_path)
