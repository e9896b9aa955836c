"""Writing the report: collect the data once, render the page and the summary, write atomically."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Optional

import dlt

from runsteps.models.prices import ensure_model_prices
from runsteps.models.project import MODELS_SCHEMA

from . import queries
from .data import ReportData, collect
from .figures import figures_dict
from .page import render_page
from .warehouse import DuckDBFile, Warehouse, WarehouseBusyError, open_warehouse
from .summary import summary_text


def describe_source(pipeline: dlt.Pipeline, wh: Warehouse) -> str:
    """`duckdb /path/to/file.duckdb, dataset assistants`; no credentials beyond a DuckDB file path."""
    name = pipeline.destination.destination_name
    where = f" {wh.connector.path}" if isinstance(wh.connector, DuckDBFile) else ""
    return f"{name}{where}, dataset {pipeline.dataset_name}"


def read_report_data(pipeline: dlt.Pipeline, days: int = 30, now: Optional[datetime] = None,
                     models_schema: str = MODELS_SCHEMA) -> ReportData:
    """Everything the report shows, read from the pipeline's destination.

    Prices are checked first: runs loaded since the last `runsteps models` get their prices
    (`ensure_model_prices`), so a cost is never missing because the models were not rebuilt.

    Raises:
        ModelsMissingError: the marts have not been built (`runsteps models`).
    """
    with open_warehouse(pipeline, models_schema) as wh:
        wh.require_marts()  # marts of an earlier release: say so before prices are refreshed into them
        needs_prices = queries.runs_without_price_interval(wh) > 0
    if needs_prices:
        refresh_missing_prices(pipeline, models_schema)
    with open_warehouse(pipeline, models_schema) as wh:
        return collect(wh, days=days, now=now, source=describe_source(pipeline, wh))


def refresh_missing_prices(pipeline: dlt.Pipeline, models_schema: str = MODELS_SCHEMA) -> None:
    """Prices the runs loaded since the last models build (writes `model_prices`, briefly).

    Only called when the read-only check found such runs, so a report usually never opens the
    warehouse for writing.

    Raises:
        WarehouseBusyError: another process has the DuckDB file open, so it cannot be written now.
    """
    try:
        ensure_model_prices(pipeline, schema=models_schema)
    except Exception as error:  # dlt wraps DuckDB's lock error in its own exception types
        if "lock" not in str(error).lower():
            raise
        raise WarehouseBusyError("runs were loaded since the last `runsteps models` and need their prices, but "
                                 "another process has the database open: try again when it has finished") from None


def prices_refreshed_for_file(db: Path, wh: Warehouse) -> bool:
    """For the notebook: prices the runs of a DuckDB file loaded since the last models build.

    Returns:
        True when prices were refreshed, False when every run already had its price interval.
    """
    if queries.runs_without_price_interval(wh) == 0:
        return False
    from runsteps.loading import build_pipeline

    refresh_missing_prices(build_pipeline(db, dataset_name=wh.raw_dataset), wh.models_schema)
    return True


def write_report(pipeline: dlt.Pipeline, out: Path, days: int = 30, now: Optional[datetime] = None, *,
                 models_schema: str = MODELS_SCHEMA) -> str:
    """Writes the HTML report and returns its text summary.

    Args:
        pipeline: the pipeline whose destination holds the marts (schema `analytics`).
        out: the HTML file to write; its folder is created if needed. The file is replaced
            atomically, so a web server never serves half a report.
        days: how many days the charts and run tables cover (the headlines always show yesterday,
            7 and 30 days).
        now: the report's clock; the current UTC time by default. When the data ends more than
            two days before it, the report anchors on the data's last day and says so.
        models_schema: the schema the models were built in (`build_models(schema=...)`).

    Returns:
        A few lines of plain text for mail or chat (see `summary.py` for an example).

    Raises:
        ModelsMissingError: the marts have not been built.
    """
    data = read_report_data(pipeline, days, now, models_schema)
    html = render_page(data)
    target = Path(out).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=str(target.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(html)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return summary_text(data)


def report_figures(pipeline: dlt.Pipeline, days: int = 30, now: Optional[datetime] = None, *,
                   models_schema: str = MODELS_SCHEMA) -> Dict[str, Any]:
    """The headline figures the report shows, as plain data (layout in `figures.figures_dict`).

    Args:
        pipeline: the pipeline whose destination holds the marts.
        days: the chart window (it does not change the headline periods; kept for symmetry
            with `write_report`, so both read the same data).
        now: the report's clock, as for `write_report`.
        models_schema: the schema the models were built in.
    """
    data = read_report_data(pipeline, days, now, models_schema)
    return figures_dict(data.anchor, data.headlines, data.partial)
