"""The runner: order from the SQL itself, views on the pipeline's destination, idempotent builds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Dict, List

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from openai_assistants import settings as assistants_settings
from openai_responses import settings as responses_settings
from runsteps.models import build_models, run_data_tests
from runsteps.models.dependencies import ModelDependencyError
from runsteps.models.destination import UnsupportedDestinationError
from runsteps.models.project import default_sql_dir
from runsteps.models.runner import ordered_models
from runsteps.models.transpile import Target, render_create_view
from tests.models.warehouse import GOLDEN, Warehouse, duckdb_warehouse

SQL = default_sql_dir()

# The Responses API's raw tables (load_issues is shared with the Assistants source).
RESPONSES_TABLES = sorted(t for t in responses_settings.TABLES
                          if t not in responses_settings.STATE_TABLES and t != "load_issues")


def analytics_state(db: Path) -> Dict[str, object]:
    """Everything in the analytics schema: each object, its definition and its rows."""
    with duckdb.connect(str(db), read_only=True) as con:
        views = dict(con.execute(
            "select view_name, sql from duckdb_views() where schema_name = 'analytics' order by 1").fetchall())
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'analytics' order by 1").fetchall()]
        rows = {name: sorted(map(repr, con.execute(f"select * from analytics.{name}").fetchall()))
                for name in [*views, *tables]}
    return {"views": views, "tables": tables, "rows": rows}


def test_building_twice_changes_nothing(fresh_golden: Warehouse, tmp_path: Path) -> None:
    first = build_models(fresh_golden.pipeline)
    db = Path(fresh_golden.pipeline.destination_client().config.credentials.database)
    before = analytics_state(db)

    second = build_models(fresh_golden.pipeline)

    assert analytics_state(db) == before
    assert second.model_names == first.model_names
    assert second.prices.priced == first.prices.priced


def test_every_model_is_built_after_the_models_it_reads() -> None:
    built: List[str] = []
    for model in ordered_models():
        assert model.models <= set(built), f"{model.name} reads {sorted(model.models - set(built))} before they exist"
        built.append(model.name)
    assert built[-1] in {"unpriced_models", "unpriced_tool_calls", "rpt_tool_usage", "rpt_failures_by_error_code", "rpt_failure_rates",
                         "rpt_daily_usage", "rpt_daily_timings"}


def test_the_build_result_lists_every_model_with_its_timing(fresh_golden: Warehouse) -> None:
    result = build_models(fresh_golden.pipeline)

    files = sorted(p.stem for layer in ("staging", "intermediate", "marts") for p in (SQL / layer).glob("*.sql"))
    assert sorted(result.model_names) == files
    assert all(m.seconds >= 0 for m in result.models)
    assert result.schema == "analytics" and result.dialect == "duckdb"
    assert result.missing_sources == RESPONSES_TABLES  # the golden warehouse loaded only the Assistants API


def test_views_are_readable_by_an_analyst_opening_the_file(fresh_golden: Warehouse) -> None:
    build_models(fresh_golden.pipeline)
    db = fresh_golden.pipeline.destination_client().config.credentials.database

    with duckdb.connect(db, read_only=True) as con:
        # a session in another time zone still dates runs by their UTC day
        con.execute("set TimeZone = 'America/Los_Angeles'")
        (run_date,) = con.execute("select run_date from analytics.fct_runs where run_id = 'run_B1'").fetchone()
    assert str(run_date) == "2025-03-03"


def test_the_raw_schema_is_rewritten_when_the_dataset_has_another_name(tmp_path: Path) -> None:
    warehouse = duckdb_warehouse(tmp_path / "w.duckdb", GOLDEN, dataset_name="openai_raw")

    build_models(warehouse.pipeline)

    assert warehouse.rows("select count(*) as runs from analytics.fct_runs") == [{"runs": 9}]
    assert all(r.passed for r in run_data_tests(warehouse.pipeline))


def test_the_models_schema_can_be_named(fresh_golden: Warehouse) -> None:
    result = build_models(fresh_golden.pipeline, schema="finance")

    assert result.schema == "finance"
    assert Warehouse(fresh_golden.pipeline, schema="finance").rows(
        "select count(*) as n from analytics.rpt_daily_usage") == [{"n": 4}]
    assert all(r.passed for r in run_data_tests(fresh_golden.pipeline, schema="finance"))


def test_a_raw_table_not_loaded_yet_reads_as_empty(fresh_golden: Warehouse) -> None:
    fresh_golden.execute("drop table assistants.file_search_results")

    result = build_models(fresh_golden.pipeline)

    # the golden warehouse loaded only the Assistants API: the Responses tables read as empty too
    assert result.missing_sources == sorted(["file_search_results", *RESPONSES_TABLES])
    assert fresh_golden.rows("select count(*) as n from analytics.stg_file_search_results") == [{"n": 0}]
    assert fresh_golden.rows("select count(*) as n from analytics.fct_runs") == [{"n": 9}]
    assert fresh_golden.rows("select count(*) as n from analytics.fct_runs where api = 'responses'") == [{"n": 0}]


def test_a_failed_build_commits_nothing(fresh_golden: Warehouse, tmp_path: Path) -> None:
    build_models(fresh_golden.pipeline)
    broken = tmp_path / "sql"
    shutil.copytree(SQL, broken)
    # valid SQL that only the database refuses: the column does not exist
    (broken / "marts" / "rpt_daily_usage.sql").write_text("select no_such_column from analytics.fct_runs\n")

    with pytest.raises(Exception, match="no_such_column"):
        build_models(fresh_golden.pipeline, sql_dir=broken)

    assert fresh_golden.rows("select count(*) as n from analytics.rpt_daily_usage") == [{"n": 4}]


def test_a_duckdb_file_named_like_the_models_schema_is_refused_clearly(tmp_path: Path) -> None:
    warehouse = duckdb_warehouse(tmp_path / "analytics.duckdb", GOLDEN)

    with pytest.raises(UnsupportedDestinationError, match="rename the file"):
        build_models(warehouse.pipeline)


# --- the dependency parser on small projects ------------------------------------------------------


def project(tmp_path: Path, **models: str) -> Path:
    """A SQL folder with the given models (name -> SQL); names decide the layer."""
    for name, sql in models.items():
        layer = {"stg": "staging", "int": "intermediate"}.get(name.split("_")[0], "marts")
        (tmp_path / layer).mkdir(parents=True, exist_ok=True)
        (tmp_path / layer / f"{name}.sql").write_text(sql)
    (tmp_path / "marts").mkdir(exist_ok=True)
    return tmp_path


def test_the_order_comes_from_what_each_model_reads(tmp_path: Path) -> None:
    sql_dir = project(
        tmp_path,
        fct_b="select * from analytics.int_a join analytics.stg_z using (id)",
        int_a="with x as (select * from analytics.stg_z) select * from x",
        stg_z="select id from assistants.runs",
    )
    assert [m.name for m in ordered_models(sql_dir)] == ["stg_z", "int_a", "fct_b"]


@pytest.mark.parametrize(
    ("models", "message"),
    [
        pytest.param({"fct_a": "select * from analytics.fct_missing"}, "there is no model 'fct_missing'", id="unknown model"),
        pytest.param({"fct_a": "select * from runs"}, "'runs' has no schema", id="unqualified table"),
        pytest.param({"fct_a": "select * from main.runs"}, "only assistants.* and analytics.* are known", id="other schema"),
        pytest.param(
            {"fct_a": "select * from analytics.fct_b", "fct_b": "select * from analytics.fct_a"},
            "cycle: fct_a -> fct_b -> fct_a$",
            id="cycle",
        ),
        pytest.param(
            {"fct_d": "select * from analytics.fct_a", "fct_c": "select * from analytics.fct_a",
             "fct_b": "select * from analytics.fct_c", "fct_a": "select * from analytics.fct_b"},
            r"cycle: fct_a -> fct_b -> fct_c -> fct_a$",
            id="cycle of three, and a model reading it",
        ),
        pytest.param({"fct_a": "select 1; select 2"}, "exactly one SELECT", id="two statements"),
        pytest.param({"fct_a": "delete from assistants.runs"}, "exactly one SELECT", id="not a query"),
        pytest.param({"fct_a": "select * from (select"}, "cannot parse", id="not SQL"),
    ],
)
def test_a_project_that_cannot_be_ordered_is_refused_with_the_reason(tmp_path: Path, models: dict, message: str) -> None:
    with pytest.raises(ModelDependencyError, match=message):
        ordered_models(project(tmp_path, **models))


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "snowflake", "bigquery", "redshift", "databricks"])
def test_every_model_transpiles_to_the_destination_dialect(dialect: str) -> None:
    target = Target(dialect=dialect, source_schema="raw", models_schema="marts")
    for model in ordered_models():
        sql = render_create_view(model.name, model.expression, target)
        assert sqlglot.parse_one(sql, read=dialect) is not None
        assert "assistants." not in sql and "analytics." not in sql


# --- the project's conventions --------------------------------------------------------------------


def model_files() -> List[Path]:
    return [p for layer in ("staging", "intermediate", "marts") for p in sorted((SQL / layer).glob("*.sql"))]


@pytest.mark.parametrize("path", model_files(), ids=lambda p: p.stem)
def test_each_model_opens_with_a_header_stating_its_grain_and_meaning(path: Path) -> None:
    lines = path.read_text().splitlines()
    header = []
    for line in lines:
        if not line.startswith("--"):
            break
        header.append(line)
    assert header and header[0] == f"-- {path.stem}"
    text = "\n".join(header)
    assert "Grain:" in text and "Meaning:" in text


@pytest.mark.parametrize("path", sorted((SQL / "tests").glob("*.sql")), ids=lambda p: p.stem)
def test_each_data_test_says_what_it_returns(path: Path) -> None:
    assert path.read_text().startswith(f"-- {path.stem}\n-- Returns:")


def test_models_are_named_for_their_layer() -> None:
    prefixes = {"staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "rpt_", "unpriced_models", "unpriced_tool_calls", "unmatched_price_overrides")}
    for path in model_files():
        assert path.stem.startswith(prefixes[path.parent.name]), path


def test_staging_is_one_to_one_with_the_raw_tables() -> None:
    staged = {m.name: m.sources for m in ordered_models() if m.file.layer == "staging"}
    assert {name: sorted(sources) for name, sources in staged.items()} == {
        f"stg_{t}": [t]
        for settings in (assistants_settings, responses_settings)
        for t in settings.TABLES if t not in settings.STATE_TABLES}
    assert all(not m.sources for m in ordered_models() if m.file.layer != "staging"), "only staging reads raw tables"


def test_the_cost_formula_is_written_in_one_model_only() -> None:
    # A price times tokens anywhere else would be a second copy that can drift from the first.
    def prices_usage(model) -> bool:
        return any(isinstance(operand, exp.Column) and operand.name.endswith("_usd_per_mtok")
                   for mul in model.expression.find_all(exp.Mul) for operand in (mul.left, mul.right))

    assert [m.name for m in ordered_models() if prices_usage(m)] == ["int_usage_priced"]
