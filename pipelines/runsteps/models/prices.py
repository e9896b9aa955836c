"""The `model_prices` table: the price of every model at every moment the runs hold, snapshotted anew.

`model_prices` has one row per model and interval [starts_at, ends_at) over which its price does
not change, covering every UTC day on which the model has runs; an interval without a price has a
row with null prices, so "no price" and "not looked up yet" are told apart. It is rebuilt on every
models build, so a price fixed in genai-prices or in the overrides file fixes past costs too.

`price_overrides` keeps the overrides the last build used, so that a later refresh (the report's,
the notebook's) prices with the same overrides file as `runsteps models --price-overrides FILE` did.

Costs must never be missing because the models were not rebuilt after a load: every command that
reads costs calls `ensure_model_prices`, which checks that each run's (model, created_at) falls in
an interval and re-snapshots when one does not.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import dlt

from sourcekit.errors import ConfigError

from runsteps.models.destination import existing_tables, fetch_all, target_for
from runsteps.models.price_lookup import (
    Price,
    PriceInterval,
    PriceOverride,
    override_matches,
    price_intervals,
    read_deployments,
    read_price_overrides,
    similar_models,
)
from runsteps.models.project import DEPLOYMENTS_FILE, MODELS_SCHEMA, PRICE_OVERRIDES_FILE, resolve_sql_dir
from runsteps.models.transpile import Target, render_statement

logger = logging.getLogger(__name__)

TABLE = "model_prices"
OVERRIDES_TABLE = "price_overrides"

# Written in DuckDB's dialect like the models, and transpiled the same way.
_COLUMNS: Sequence[Tuple[str, str]] = (
    ("model", "VARCHAR"),
    ("starts_at", "TIMESTAMPTZ"),
    ("ends_at", "TIMESTAMPTZ"),
    ("input_usd_per_mtok", "DOUBLE"),
    ("cached_input_usd_per_mtok", "DOUBLE"),
    ("output_usd_per_mtok", "DOUBLE"),
    ("web_search_usd_per_kcall", "DOUBLE"),
    ("file_search_usd_per_kcall", "DOUBLE"),
    ("price_source", "VARCHAR"),
    ("priced_as", "VARCHAR"),
    ("note", "VARCHAR"),
)
_OVERRIDE_COLUMNS: Sequence[Tuple[str, str]] = (
    ("line", "BIGINT"),
    ("model", "VARCHAR"),
    ("valid_from_date", "DATE"),
    ("valid_to_date", "DATE"),
    ("input_usd_per_mtok", "DOUBLE"),
    ("output_usd_per_mtok", "DOUBLE"),
    ("note", "VARCHAR"),
    ("web_search_usd_per_kcall", "DOUBLE"),
    ("file_search_usd_per_kcall", "DOUBLE"),
)
_DEPLOYMENT_COLUMNS: Sequence[Tuple[str, str]] = (("deployment", "VARCHAR"), ("model", "VARCHAR"))
DEPLOYMENTS_TABLE = "deployments"
# The raw tables holding priced usage: Assistants runs and Responses responses (either may be
# absent: it then reads as an empty relation).
RUN_TABLES = ("runs", "responses")
_RUNS_OF_BOTH_APIS = "(SELECT model, created_at FROM assistants.runs UNION ALL SELECT model, created_at FROM assistants.responses)"
# One aggregate over the raw runs, so the snapshot stays cheap on millions of rows. The day is the
# UTC date of the run's creation, the same expression the models use.
_MODEL_DAYS_SQL = f"""
SELECT model, CAST(created_at AT TIME ZONE 'UTC' AS DATE) AS price_date
FROM {_RUNS_OF_BOTH_APIS} AS r
WHERE model IS NOT NULL AND created_at IS NOT NULL
GROUP BY model, CAST(created_at AT TIME ZONE 'UTC' AS DATE)
"""
# Runs whose model and moment no interval covers: prices were not refreshed since they were loaded.
_UNCOVERED_SQL = f"""
SELECT count(*) FROM {_RUNS_OF_BOTH_APIS} AS r
WHERE r.model IS NOT NULL AND r.created_at IS NOT NULL
AND NOT EXISTS (
    SELECT 1 FROM {MODELS_SCHEMA}.{TABLE} AS p
    WHERE p.model = r.model AND r.created_at >= p.starts_at AND r.created_at < p.ends_at
)
"""
_ROWS_PER_INSERT = 200


@dataclass(frozen=True)
class UnmatchedOverride:
    """An override row that prices no run: a name that differs from what the runs report, or dates
    with no runs. It changes nothing, which is worth saying.

    Attributes:
        override: the row.
        similar_models: models of the runs it was probably meant for (`gpt-4o-2024-08-06` for
            `gpt-4o`).
    """

    override: PriceOverride
    similar_models: List[str] = field(default_factory=list)

    def describe(self) -> str:
        """`price override gpt-4o (line 2) matches no run; runs report gpt-4o-2024-08-06`."""
        o = self.override
        dates = "" if o.valid_from is None and o.valid_to is None else f" {o.valid_from or '…'}..{o.valid_to or '…'}"
        hint = f"; runs report {', '.join(self.similar_models)}" if self.similar_models else ""
        return f"price override {o.model}{dates} (line {o.line}) matches no run{hint}"


@dataclass(frozen=True)
class PriceSnapshot:
    """What a refresh wrote.

    Attributes:
        intervals: every (model, [starts_at, ends_at)) written, with its price or None.
        unmatched_overrides: override rows that price no run.
        seconds: how long the refresh took.
    """

    intervals: List[PriceInterval]
    unmatched_overrides: List[UnmatchedOverride]
    seconds: float

    @property
    def priced(self) -> Dict[Tuple[str, datetime], Price]:
        """(model, starts_at) -> price, for the intervals that have one."""
        return {(i.model, i.starts_at): i.price for i in self.intervals if i.price is not None}

    @property
    def unpriced(self) -> List[Tuple[str, date]]:
        """(model, UTC day) pairs with runs and, for some of the day, no price; sorted."""
        days = set()
        for i in self.intervals:
            if i.price is None:
                days.add((i.model, i.starts_at.date()))
        return sorted(days)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def model_days(client: Any, target: Target) -> List[Tuple[str, date]]:
    """Every (model, UTC day) present in the raw runs and responses, sorted."""
    if all(t in target.missing_sources for t in RUN_TABLES):
        return []
    rows = fetch_all(client, render_statement(_MODEL_DAYS_SQL, target))
    return sorted((str(model), _as_date(day)) for model, day in rows)


def _placeholders(sql: str) -> str:
    # sqlglot writes each dialect's own marker; dlt's clients all take `%s`
    return sql.replace("?", "%s")


def _replace_rows(client: Any, target: Target, table: str, columns: Sequence[Tuple[str, str]],
                  rows: Sequence[Tuple[Any, ...]], *, recreate: bool) -> None:
    qualified = f"{MODELS_SCHEMA}.{table}"
    client.execute_sql(render_statement(f"CREATE SCHEMA IF NOT EXISTS {MODELS_SCHEMA}", target))
    if recreate:
        client.execute_sql(render_statement(f"DROP TABLE IF EXISTS {qualified}", target))
    columns_ddl = ", ".join(f"{name} {data_type}" for name, data_type in columns)
    client.execute_sql(render_statement(f"CREATE TABLE IF NOT EXISTS {qualified} ({columns_ddl})", target))
    client.execute_sql(render_statement(f"DELETE FROM {qualified}", target))
    names = ", ".join(name for name, _ in columns)
    row_marks = "(" + ", ".join("?" for _ in columns) + ")"
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        sql = render_statement(f"INSERT INTO {qualified} ({names}) VALUES " + ", ".join(row_marks for _ in chunk), target)
        client.execute_sql(_placeholders(sql), *[value for row in chunk for value in row])


def _money(value: Optional[Decimal]) -> Optional[float]:
    return float(value) if value is not None else None


def write_snapshot(client: Any, target: Target, intervals: Sequence[PriceInterval], *, recreate: bool) -> None:
    """Replaces the rows of `model_prices` (creating the schema and table when missing).

    Args:
        client: an open dlt SQL client, inside the caller's transaction.
        target: the destination and schemas.
        intervals: the rows to write.
        recreate: drop and create the table, so a changed column list takes effect; only safe when
            no view reads the table at that moment (the runner drops its views first).
    """
    rows = [
        (
            i.model,
            i.starts_at,
            i.ends_at,
            _money(i.price.input_usd_per_mtok) if i.price else None,
            _money(i.price.cached_input_usd_per_mtok) if i.price else None,
            _money(i.price.output_usd_per_mtok) if i.price else None,
            _money(i.price.web_search_usd_per_kcall) if i.price else None,
            _money(i.price.file_search_usd_per_kcall) if i.price else None,
            i.price.price_source if i.price else None,
            i.price.priced_as if i.price else None,
            i.price.note if i.price else "no price: not in genai-prices nor in the price overrides",
        )
        for i in intervals
    ]
    _replace_rows(client, target, TABLE, _COLUMNS, rows, recreate=recreate)


def write_overrides(client: Any, target: Target, overrides: Sequence[PriceOverride], *, recreate: bool) -> None:
    """Replaces `price_overrides` with the overrides a build used."""
    rows = [(o.line, o.model, o.valid_from, o.valid_to, float(o.input_usd_per_mtok), float(o.output_usd_per_mtok), o.note,
             _money(o.web_search_usd_per_kcall), _money(o.file_search_usd_per_kcall))
            for o in overrides]
    _replace_rows(client, target, OVERRIDES_TABLE, _OVERRIDE_COLUMNS, rows, recreate=recreate)


def write_deployments(client: Any, target: Target, deployments: Mapping[str, str], *, recreate: bool) -> None:
    """Replaces `deployments` with the deployment -> model mapping a build used."""
    rows = sorted(deployments.items())
    _replace_rows(client, target, DEPLOYMENTS_TABLE, _DEPLOYMENT_COLUMNS, rows, recreate=recreate)


def stored_deployments(client: Any, target: Target) -> Dict[str, str]:
    """The deployment mapping the last build stored (none when it stored none)."""
    if DEPLOYMENTS_TABLE not in existing_tables(client, target.models_schema):
        return {}
    rows = fetch_all(client, render_statement(
        f"SELECT deployment, model FROM {MODELS_SCHEMA}.{DEPLOYMENTS_TABLE} ORDER BY deployment", target))
    return {str(d): str(m) for d, m in rows}


def stored_overrides(client: Any, target: Target) -> List[PriceOverride]:
    """The overrides the last build stored (none when it stored none)."""
    if OVERRIDES_TABLE not in existing_tables(client, target.models_schema):
        return []
    rows = fetch_all(client, render_statement(
        f"SELECT line, model, valid_from_date, valid_to_date, input_usd_per_mtok, output_usd_per_mtok, note, "
        f"web_search_usd_per_kcall, file_search_usd_per_kcall "
        f"FROM {MODELS_SCHEMA}.{OVERRIDES_TABLE} ORDER BY line", target))
    return [PriceOverride(model=str(model), valid_from=_as_date(vf) if vf is not None else None,
                          valid_to=_as_date(vt) if vt is not None else None,
                          input_usd_per_mtok=Decimal(str(i)), output_usd_per_mtok=Decimal(str(o)), note=note,
                          line=int(line), web_search_usd_per_kcall=_decimal(ws), file_search_usd_per_kcall=_decimal(fs))
            for line, model, vf, vt, i, o, note, ws, fs in rows]


def _decimal(value: Any) -> Optional[Decimal]:
    return Decimal(str(value)) if value is not None else None


def unmatched_overrides(overrides: Sequence[PriceOverride], pairs: Sequence[Tuple[str, date]]) -> List[UnmatchedOverride]:
    """The overrides that price none of the (model, day) pairs of the runs."""
    models = sorted({m for m, _ in pairs})
    return [UnmatchedOverride(o, similar_models(o.model, models)) for o in overrides if not override_matches(o, pairs)]


def snapshot_prices(
    client: Any, target: Target, overrides: Sequence[PriceOverride], *, recreate: bool = False,
    deployments: Optional[Mapping[str, str]] = None,
) -> PriceSnapshot:
    """Looks up the price of every model over every day of the runs and writes `model_prices`,
    `price_overrides` and `deployments` (a deployment name is priced as the model it serves).

    The caller owns the client and the transaction; `refresh_model_prices` is the public entry.
    """
    started = time.perf_counter()
    pairs = model_days(client, target)
    deployments = dict(deployments or {})
    intervals = price_intervals(pairs, overrides, deployments)
    write_snapshot(client, target, intervals, recreate=recreate)
    write_overrides(client, target, overrides, recreate=recreate)
    write_deployments(client, target, deployments, recreate=recreate)
    return PriceSnapshot(intervals, unmatched_overrides(overrides, pairs), time.perf_counter() - started)


def default_overrides_path(sql_dir: Optional[Path] = None) -> Path:
    """`seeds/price_overrides.csv` of the SQL folder (the shipped one by default)."""
    return resolve_sql_dir(sql_dir) / PRICE_OVERRIDES_FILE


def default_deployments_path(sql_dir: Optional[Path] = None) -> Path:
    """`seeds/deployments.csv` of the SQL folder (the shipped one by default)."""
    return resolve_sql_dir(sql_dir) / DEPLOYMENTS_FILE


def refresh_model_prices(
    pipeline: dlt.Pipeline,
    *,
    sql_dir: Optional[Path] = None,
    price_overrides: Optional[Path] = None,
    schema: str = MODELS_SCHEMA,
    deployments: Optional[Path] = None,
) -> PriceSnapshot:
    """Rewrites `<schema>.model_prices` for every model and day present in the pipeline's runs.

    Overrides from the CSV win over genai-prices. The views read the table live, so costs follow at
    once. Runs in one transaction: readers see the old prices or the new ones.

    Args:
        pipeline: the pipeline whose destination holds the raw tables.
        sql_dir: the SQL folder whose `seeds/price_overrides.csv` to use; the shipped one by default.
        price_overrides: an overrides CSV to use instead of the SQL folder's.
        schema: the models schema.
        deployments: a deployments CSV to use instead of the SQL folder's `seeds/deployments.csv`.

    Returns:
        The intervals written, with or without a price, and the overrides that price no run.
    """
    overrides_path = Path(price_overrides) if price_overrides is not None else default_overrides_path(sql_dir)
    overrides = read_price_overrides(overrides_path)
    mapping = read_deployments(Path(deployments) if deployments is not None else default_deployments_path(sql_dir))
    with pipeline.sql_client() as client:
        target = target_for(client, models_schema=schema, sources=RUN_TABLES)
        with client.begin_transaction():
            return snapshot_prices(client, target, overrides, deployments=mapping)


def uncovered_runs(client: Any, target: Target) -> int:
    """Runs whose (model, created_at) no `model_prices` interval covers: loaded after the last
    snapshot. 0 when there are no runs."""
    if all(t in target.missing_sources for t in RUN_TABLES):
        return 0
    (count,) = fetch_all(client, render_statement(_UNCOVERED_SQL, target))[0]
    return int(count)


def ensure_model_prices(pipeline: dlt.Pipeline, *, schema: str = MODELS_SCHEMA) -> Optional[PriceSnapshot]:
    """Makes sure `model_prices` covers every run: re-snapshots when a run is not covered.

    Called by every command that reads costs (the report, the notebook), so that a load followed by
    a report, without `runsteps models` in between, never shows a cost missing for want of a
    price. The refresh uses the overrides the last build stored, so it prices exactly as
    `runsteps models` would. Nothing is written when every run is covered.

    Returns:
        The snapshot taken, or None when none was needed (or the models were never built: the
        caller says so).
    """
    with pipeline.sql_client() as client:
        target = target_for(client, models_schema=schema, sources=RUN_TABLES)
        if TABLE not in existing_tables(client, schema):
            return None
        stored = {str(r[0]).lower() for r in client.execute_sql(
            "SELECT column_name FROM information_schema.columns WHERE lower(table_schema) = lower(%s) "
            "AND lower(table_name) = %s", schema, TABLE) or []}
        if {name for name, _ in _COLUMNS} - stored:  # the runner recreates the table on each build
            raise ConfigError(f"the models in schema {schema!r} were built by an earlier runsteps: run `runsteps models` "
                              "once (`runsteps nightly` does)")
        missing = uncovered_runs(client, target)
        if not missing:
            return None
        logger.info("%d runs have no price interval yet (loaded after the last models build): refreshing prices", missing)
        with client.begin_transaction():
            return snapshot_prices(client, target, stored_overrides(client, target),
                                   deployments=stored_deployments(client, target))
