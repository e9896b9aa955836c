"""Each data test catches the fault it is there for.

The golden fixture passes every test (test_models_golden). Here one fault at a time is put into a
fresh copy of it, straight into the raw tables, as a bad load or a faulty server would leave it (the
loader itself never writes duplicates or orphans), and the test for that fault must return rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runsteps.models import build_models, run_data_tests
from runsteps.models.project import default_sql_dir, load_data_tests
from tests.models.warehouse import Warehouse

# data test -> the fault that must make it return rows
FAULTS = {
    "assert_keys_are_unique": "insert into assistants.runs select * from assistants.runs where id = 'run_A1'",
    "assert_steps_and_tool_calls_have_a_run": (
        "insert into assistants.run_steps select * replace ('step_orphan' as id, 'run_never_loaded' as run_id) "
        "from assistants.run_steps where id = 'step_B4_1'"
    ),
    "assert_terminal_run_usage_equals_step_usage": (
        "update assistants.run_steps set prompt_tokens = prompt_tokens + 1, total_tokens = total_tokens + 1 "
        "where id = 'step_A1_1'"
    ),
    "assert_durations_are_not_negative": (
        "update assistants.runs set started_at = created_at - interval 5 second where id = 'run_B4'"
    ),
    # usage without the prompt/completion split cannot be priced, though the model has a price
    "assert_priced_usage_has_a_cost": (
        "update assistants.runs set prompt_tokens = null, completion_tokens = null where id = 'run_A1'"
    ),
    # a total that is not input + output
    "assert_usage_and_cost_add_up": "update assistants.runs set total_tokens = total_tokens + 7 where id = 'run_A1'",
    # a mart whose SQL doubles the tool calls (a join that fans out), put in after the build
    "assert_tool_calls_add_up": (
        "create table analytics.calls_once as select * from analytics.fct_tool_calls; "
        "create or replace view analytics.fct_tool_calls as "
        "select * from analytics.calls_once union all select * from analytics.calls_once"
    ),
    # overlapping price intervals (a second copy of every row), put in after the build
    "assert_each_run_has_one_price_interval": "insert into analytics.model_prices select * from analytics.model_prices",
    # a mart whose SQL doubles its rows (a join that fans out), put in after the build
    "assert_mart_grains_are_unique": (
        "create table analytics.usage_once as select * from analytics.rpt_daily_usage; "
        "create or replace view analytics.rpt_daily_usage as "
        "select * from analytics.usage_once union all select * from analytics.usage_once"
    ),
    "assert_tool_mart_grains_are_unique": (
        "create table analytics.tools_once as select * from analytics.rpt_tool_usage; "
        "create or replace view analytics.rpt_tool_usage as "
        "select * from analytics.tools_once union all select * from analytics.tools_once"
    ),
}
# faults in the runner's own tables or views: the build would repair them, so they go in after it
AFTER_BUILD = {"assert_each_run_has_one_price_interval", "assert_mart_grains_are_unique",
               "assert_tool_mart_grains_are_unique", "assert_tool_calls_add_up"}


def test_every_data_test_has_a_fault_that_breaks_it() -> None:
    assert sorted(t.name for t in load_data_tests(default_sql_dir())) == sorted(FAULTS)


@pytest.mark.parametrize("data_test", sorted(FAULTS))
def test_the_fault_makes_its_data_test_return_rows(fresh_golden: Warehouse, data_test: str) -> None:
    if data_test in AFTER_BUILD:
        build_models(fresh_golden.pipeline)
        fresh_golden.execute(FAULTS[data_test])
    else:
        fresh_golden.execute(FAULTS[data_test])
        build_models(fresh_golden.pipeline)

    results = {r.name: r for r in run_data_tests(fresh_golden.pipeline)}

    assert results[data_test].failing_rows > 0
    assert results[data_test].sample, "the failing rows are shown"
    assert not results[data_test].passed


def test_a_failing_data_test_reports_its_offending_rows(fresh_golden: Warehouse) -> None:
    fresh_golden.execute(FAULTS["assert_durations_are_not_negative"])
    build_models(fresh_golden.pipeline)

    (result,) = [r for r in run_data_tests(fresh_golden.pipeline) if r.name == "assert_durations_are_not_negative"]

    assert result.failing_rows == 1
    assert result.sample == [{"duration": "run queue_seconds", "object_id": "run_B4", "seconds": -5.0}]
    assert result.path == Path(default_sql_dir()) / "tests" / "assert_durations_are_not_negative.sql"
