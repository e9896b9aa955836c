"""The report and the notebook's queries on PostgreSQL: the same world gives the same answers as on DuckDB.

The report's SQL goes through dlt's SQL client and must run on both engines; this runs it on a real
server (`.ci/run` starts one; locally the test is skipped without RUNSTEPS_TEST_POSTGRES_DSN).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict

import pytest

from openai_assistants import export_source
from runsteps.emulator import World, export_world
from runsteps.loading import build_pipeline, run_load
from runsteps.models import build_models
from runsteps.report import drilldown, queries, report_figures, write_report
from runsteps.report.periods import Period
from runsteps.report.warehouse import Warehouse, duckdb_warehouse, open_warehouse
from tests.helpers import POSTGRES_DSN

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_pipeline(tmp_path: Path):
    if not POSTGRES_DSN:
        pytest.skip("no PostgreSQL server: set RUNSTEPS_TEST_POSTGRES_DSN (.ci/run starts one)")
    suffix = uuid.uuid4().hex[:8]
    export_world(World(seed=7, threads=30), tmp_path / "export")
    pipeline = build_pipeline(destination="postgres", credentials=POSTGRES_DSN, dataset_name=f"assistants_{suffix}",
                              pipeline_name=f"report_test_{suffix}", pipelines_dir=tmp_path / "pipelines")
    schema = f"analytics_{suffix}"
    try:
        run_load(pipeline, export_source(str(tmp_path / "export")))
        build_models(pipeline, schema=schema)
        yield pipeline, schema
    finally:
        with pipeline.sql_client() as client:
            for name in (schema, pipeline.dataset_name, f"{pipeline.dataset_name}_staging"):
                client.execute_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def test_postgres_report_equals_duckdb(postgres_pipeline, warehouse, tmp_path: Path) -> None:
    pipeline, schema = postgres_pipeline
    on_postgres = report_figures(pipeline, now=warehouse.now, models_schema=schema)
    on_duckdb = report_figures(warehouse.pipeline(), now=warehouse.now)
    assert on_postgres["today"] == on_duckdb["today"]
    for key, period in on_duckdb["periods"].items():
        for side in ("current", "previous"):
            got, want = on_postgres["periods"][key][side], period[side]
            for field, value in want.items():
                if isinstance(value, float):
                    assert got[field] == pytest.approx(value, rel=1e-9), f"{key} {side} {field}"
                else:
                    assert got[field] == value, f"{key} {side} {field}"
    summary = write_report(pipeline, tmp_path / "report.html", now=warehouse.now, models_schema=schema)
    assert summary.startswith("runsteps report for ")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="daily-cost"' in html and "postgres" in html


def notebook_answers(wh: Warehouse, period: Period) -> Dict[str, Any]:
    """What the notebook's cells ask, down the drill-down's default path (the costliest each time)."""
    assistant = drilldown.assistants_by_cost(wh, period)[0]["assistant_id"]
    thread = drilldown.threads_by_cost(wh, assistant, period)[0]["thread_id"]
    run = drilldown.runs_by_cost(wh, thread, period)[0]["run_id"]
    return {
        "overview": vars(queries.overview(wh)),
        "cost_by_model": queries.cost_by_model(wh, period),
        "failures_by_assistant": queries.failures_by_assistant(wh, period),
        "assistants": drilldown.assistants_by_cost(wh, period),
        "threads": drilldown.threads_by_cost(wh, assistant, period),
        "runs": drilldown.runs_by_cost(wh, thread, period),
        "run": drilldown.run(wh, run),
        "steps": drilldown.steps(wh, run),
        "tool_calls": drilldown.tool_calls(wh, run),
    }


def comparable(value: Any, approx: bool = False) -> Any:
    """Numbers as floats (PostgreSQL returns numeric as Decimal), recursively; `approx` for the expected side."""
    if isinstance(value, dict):
        return {k: comparable(v, approx) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v, approx) for v in value]
    if isinstance(value, (Decimal, float)):
        return pytest.approx(float(value), rel=1e-9) if approx else float(value)
    return value


def test_postgres_answers_the_notebooks_queries_as_duckdb_does(postgres_pipeline, warehouse) -> None:
    pipeline, schema = postgres_pipeline
    on_duckdb = duckdb_warehouse(warehouse.db)
    last_day = queries.overview(on_duckdb).last_day
    period = Period(last_day - timedelta(days=29), last_day + timedelta(days=1))
    with open_warehouse(pipeline, schema) as on_postgres:
        got = notebook_answers(on_postgres, period)
    want = notebook_answers(on_duckdb, period)
    for key, value in want.items():
        assert value, f"{key}: nothing to compare"
        assert comparable(got[key]) == comparable(value, approx=True), key
