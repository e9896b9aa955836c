"""The golden fixture, loaded through the loader and built: every mart row, written out by hand.

The fixture (tests/models/fixtures/golden, described in its README) holds nine runs of two
assistants over two UTC days:

- asst_alpha on gpt-4o-2024-08-06, a dated snapshot that genai-prices prices as gpt-4o at
  $2.50 per million input tokens and $10.00 per million output tokens (no change in March 2025);
- asst_beta on acme-internal-llm-v1, a model no price list knows.

The figures below were worked out by hand from the JSON files, not by running the models. Each test
runs on DuckDB and, when RUNSTEPS_TEST_POSTGRES_DSN names a server, on PostgreSQL.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import pytest

from runsteps.models import run_data_tests
from tests.models.totals import mart_totals
from tests.models.warehouse import Warehouse, as_tuples, day

GPT = "gpt-4o-2024-08-06"
ACME = "acme-internal-llm-v1"
D1, D2 = day("2025-03-03"), day("2025-03-04")
GENAI = "genai-prices 0.2.3"


def cost(prompt_tokens: int, completion_tokens: int) -> float:
    """gpt-4o's price, as genai-prices 0.2.3 has it: $2.50 in and $10.00 out per million tokens."""
    return prompt_tokens * 2.5 / 1e6 + completion_tokens * 10.0 / 1e6


def assert_rows(got: Sequence[Tuple[Any, ...]], want: Sequence[Tuple[Any, ...]]) -> None:
    """Equal row by row; floats to 1e-9 (they are dollars and seconds)."""
    assert len(got) == len(want), got
    for got_row, want_row in zip(got, want):
        assert got_row == pytest.approx(want_row, abs=1e-9), f"{got_row} != {want_row}"


def test_fct_runs_has_each_runs_day_outcome_timings_usage_and_cost(golden: Warehouse) -> None:
    columns = ("run_id", "run_date", "assistant_id", "status", "is_terminal", "last_error_code",
               "queue_seconds", "run_seconds", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd")
    rows = golden.rows("select * from analytics.fct_runs order by run_id")
    assert_rows(as_tuples(rows, columns), [
        ("run_A1", D1, "asst_alpha", "completed", True, None, 3.0, 30.0, 120000, 30000, 150000, 0.60),
        ("run_A2", D1, "asst_alpha", "failed", True, "server_error", 2.0, 10.0, 50000, 2000, 52000, 0.145),
        ("run_A3", D2, "asst_alpha", "expired", True, None, 1.0, 599.0, 30000, 5000, 35000, 0.125),
        # open: no usage yet, so no cost yet, and no end
        ("run_A4", D2, "asst_alpha", "in_progress", False, None, 5.0, None, None, None, None, None),
        ("run_A5", D2, "asst_alpha", "incomplete", True, None, 1.0, 20.0, 100000, 400000, 500000, 4.25),
        # created 23:59:30 UTC on the 3rd, started and ended on the 4th: it belongs to the 3rd
        ("run_B1", D1, "asst_beta", "completed", True, None, 40.0, 50.0, 200000, 100000, 300000, None),
        ("run_B2", D2, "asst_beta", "failed", True, "rate_limit_exceeded", 1.0, 2.0, 10000, 0, 10000, None),
        ("run_B3", D2, "asst_beta", "cancelled", True, None, 2.0, 7.0, 15000, 1000, 16000, None),
        ("run_B4", D2, "asst_beta", "completed", True, None, 1.0, 10.0, 1000, 500, 1500, None),
    ])


def test_fct_runs_prices_at_the_runs_model_and_day(golden: Warehouse) -> None:
    columns = ("run_id", "model", "is_priced", "input_usd_per_mtok", "output_usd_per_mtok", "price_source",
               "input_cost_usd", "output_cost_usd")
    rows = golden.rows("select * from analytics.fct_runs where run_id in ('run_A1', 'run_B1') order by run_id")
    assert_rows(as_tuples(rows, columns), [
        ("run_A1", GPT, True, 2.5, 10.0, GENAI, 0.30, 0.30),
        ("run_B1", ACME, False, None, None, None, None, None),
    ])
    assert round(rows[0]["cost_usd"], 2) == 0.60


def test_fct_runs_counts_each_runs_steps_and_tool_calls_by_type(golden: Warehouse) -> None:
    columns = ("run_id", "steps", "message_creation_steps", "tool_calls_steps", "failed_steps", "tool_calls",
               "code_interpreter_calls", "file_search_calls", "function_calls", "other_tool_calls")
    rows = golden.rows("select * from analytics.fct_runs order by run_id")
    assert as_tuples(rows, columns) == [
        ("run_A1", 2, 1, 1, 0, 3, 1, 0, 2, 0),
        ("run_A2", 1, 0, 1, 1, 2, 0, 1, 1, 0),
        ("run_A3", 1, 0, 1, 0, 1, 0, 0, 1, 0),
        ("run_A4", 1, 1, 0, 0, 0, 0, 0, 0, 0),
        ("run_A5", 1, 1, 0, 0, 0, 0, 0, 0, 0),
        ("run_B1", 1, 1, 0, 0, 0, 0, 0, 0, 0),
        ("run_B2", 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ("run_B3", 1, 0, 1, 0, 1, 0, 0, 0, 1),
        ("run_B4", 1, 1, 0, 0, 0, 0, 0, 0, 0),
    ]


def test_fct_run_steps_prices_each_step_at_its_runs_model(golden: Warehouse) -> None:
    columns = ("step_id", "run_id", "model", "run_date", "step_type", "status", "step_seconds", "total_tokens", "cost_usd")
    rows = golden.rows("select * from analytics.fct_run_steps order by step_id")
    assert_rows(as_tuples(rows, columns), [
        ("step_A1_1", "run_A1", GPT, D1, "tool_calls", "completed", 6.0, 90000, cost(80000, 10000)),
        ("step_A1_2", "run_A1", GPT, D1, "message_creation", "completed", 22.0, 60000, cost(40000, 20000)),
        ("step_A2_1", "run_A2", GPT, D1, "tool_calls", "failed", 9.0, 52000, cost(50000, 2000)),
        ("step_A3_1", "run_A3", GPT, D2, "tool_calls", "expired", 598.0, 35000, cost(30000, 5000)),
        ("step_A4_1", "run_A4", GPT, D2, "message_creation", "in_progress", None, None, None),
        ("step_A5_1", "run_A5", GPT, D2, "message_creation", "completed", 19.0, 500000, cost(100000, 400000)),
        # the step is on the 4th, its run on the 3rd: it counts on its run's day
        ("step_B1_1", "run_B1", ACME, D1, "message_creation", "completed", 49.0, 300000, None),
        ("step_B3_1", "run_B3", ACME, D2, "tool_calls", "cancelled", 6.0, 16000, None),
        ("step_B4_1", "run_B4", ACME, D2, "message_creation", "completed", 9.0, 1500, None),
    ])
    assert round(rows[0]["cost_usd"], 2) == 0.30


def test_step_costs_break_the_run_cost_down_without_adding_to_it(golden: Warehouse) -> None:
    (total,) = golden.rows(
        "select sum(cost_usd) as runs_cost, "
        "(select sum(cost_usd) from analytics.fct_run_steps) as steps_cost, "
        "(select sum(cost_usd) from analytics.rpt_daily_usage) as reported_cost "
        "from analytics.fct_runs"
    )
    # A4 is open (no usage): every priced step belongs to a run whose cost is its steps' sum
    assert total["runs_cost"] == pytest.approx(0.60 + 0.145 + 0.125 + 4.25)
    assert total["steps_cost"] == pytest.approx(total["runs_cost"])
    assert total["reported_cost"] == pytest.approx(total["runs_cost"])


def test_fct_tool_calls_has_each_call_with_its_steps_status_and_duration(golden: Warehouse) -> None:
    columns = ("step_id", "tool_call_position", "tool_type", "function_name", "step_status", "is_step_failed",
               "step_seconds", "run_date", "model")
    rows = golden.rows("select * from analytics.fct_tool_calls order by step_id, tool_call_position")
    assert as_tuples(rows, columns) == [
        ("step_A1_1", 0, "function", "get_weather", "completed", False, 6.0, D1, GPT),
        ("step_A1_1", 1, "function", "get_weather", "completed", False, 6.0, D1, GPT),
        ("step_A1_1", 2, "code_interpreter", None, "completed", False, 6.0, D1, GPT),
        ("step_A2_1", 0, "file_search", None, "failed", True, 9.0, D1, GPT),
        ("step_A2_1", 1, "function", "lookup_order", "failed", True, 9.0, D1, GPT),
        ("step_A3_1", 0, "function", "send_email", "expired", False, 598.0, D2, GPT),
        ("step_B3_1", 0, "mcp", "search_docs", "cancelled", False, 6.0, D2, ACME),
    ]
    outputs = golden.rows("select output_count, result_count from analytics.fct_tool_calls "
                          "where tool_type in ('code_interpreter', 'file_search') order by step_id")
    assert outputs == [{"output_count": 2, "result_count": None}, {"output_count": None, "result_count": 2}]


def test_rpt_daily_usage_gives_tokens_runs_steps_and_cost_by_day_assistant_and_model(golden: Warehouse) -> None:
    columns = ("run_date", "assistant_id", "model", "runs", "terminal_runs", "steps", "prompt_tokens",
               "completion_tokens", "total_tokens", "is_priced", "cost_usd", "unpriced_total_tokens")
    rows = golden.rows("select * from analytics.rpt_daily_usage order by run_date, assistant_id")
    assert_rows(as_tuples(rows, columns), [
        (D1, "asst_alpha", GPT, 2, 2, 3, 170000, 32000, 202000, True, 0.745, 0),
        (D1, "asst_beta", ACME, 1, 1, 1, 200000, 100000, 300000, False, None, 300000),
        # A4 is open: it counts as a run and a step, with no tokens and no cost yet
        (D2, "asst_alpha", GPT, 3, 2, 3, 130000, 405000, 535000, True, 4.375, 0),
        (D2, "asst_beta", ACME, 3, 3, 2, 26000, 1500, 27500, False, None, 27500),
    ])
    assert as_tuples(rows, ("input_usd_per_mtok", "output_usd_per_mtok", "price_source")) == [
        (2.5, 10.0, GENAI), (None, None, None), (2.5, 10.0, GENAI), (None, None, None)]


def test_rpt_failure_rates_counts_terminal_runs_only_by_outcome_and_error_code(golden: Warehouse) -> None:
    columns = ("run_date", "assistant_id", "terminal_runs", "completed_runs", "failed_runs", "expired_runs",
               "cancelled_runs", "incomplete_runs", "unsuccessful_runs", "failure_rate",
               "server_error_runs", "rate_limit_exceeded_runs", "invalid_prompt_runs", "other_error_code_runs")
    rows = golden.rows("select * from analytics.rpt_failure_rates order by run_date, assistant_id")
    assert_rows(as_tuples(rows, columns), [
        (D1, "asst_alpha", 2, 1, 1, 0, 0, 0, 1, 0.5, 1, 0, 0, 0),
        (D1, "asst_beta", 1, 1, 0, 0, 0, 0, 0, 0.0, 0, 0, 0, 0),
        # A4 (in_progress) is left out: 2 terminal runs of 3, neither completed
        (D2, "asst_alpha", 2, 0, 0, 1, 0, 1, 2, 1.0, 0, 0, 0, 0),
        (D2, "asst_beta", 3, 1, 1, 0, 1, 0, 2, 2 / 3, 0, 1, 0, 0),
    ])


def test_rpt_failures_by_error_code_lists_every_code(golden: Warehouse) -> None:
    columns = ("run_date", "assistant_id", "model", "last_error_code", "runs", "failed_runs", "terminal_runs",
               "share_of_terminal_runs")
    rows = golden.rows("select * from analytics.rpt_failures_by_error_code order by run_date")
    assert_rows(as_tuples(rows, columns), [
        (D1, "asst_alpha", GPT, "server_error", 1, 1, 2, 0.5),
        (D2, "asst_beta", ACME, "rate_limit_exceeded", 1, 1, 3, 1 / 3),
    ])


def test_rpt_tool_usage_gives_calls_and_failures_by_tool_type_and_function_name(golden: Warehouse) -> None:
    columns = ("run_date", "assistant_id", "tool_type", "function_name", "tool_calls", "steps", "runs",
               "terminal_tool_calls", "completed_tool_calls", "failed_tool_calls", "cancelled_tool_calls",
               "expired_tool_calls", "failed_steps", "failure_rate")
    rows = golden.rows("select * from analytics.rpt_tool_usage order by run_date, assistant_id, tool_type, function_name")
    assert_rows(as_tuples(rows, columns), [
        (D1, "asst_alpha", "code_interpreter", None, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0.0),
        (D1, "asst_alpha", "file_search", None, 1, 1, 1, 1, 0, 1, 0, 0, 1, 1.0),
        # two parallel calls in one step
        (D1, "asst_alpha", "function", "get_weather", 2, 1, 1, 2, 2, 0, 0, 0, 0, 0.0),
        (D1, "asst_alpha", "function", "lookup_order", 1, 1, 1, 1, 0, 1, 0, 0, 1, 1.0),
        (D2, "asst_alpha", "function", "send_email", 1, 1, 1, 1, 0, 0, 0, 1, 0, 1.0),
        (D2, "asst_beta", "mcp", "search_docs", 1, 1, 1, 1, 0, 0, 1, 0, 0, 1.0),
    ])


def test_rpt_daily_timings_gives_queue_run_and_step_times(golden: Warehouse) -> None:
    columns = ("run_date", "assistant_id", "runs", "started_runs", "queue_seconds_avg", "queue_seconds_max",
               "timed_runs", "run_seconds_avg", "run_seconds_p50", "run_seconds_max", "timed_steps",
               "step_seconds_avg", "step_seconds_max")
    rows = golden.rows("select * from analytics.rpt_daily_timings order by run_date, assistant_id")
    assert_rows(as_tuples(rows, columns), [
        (D1, "asst_alpha", 2, 2, 2.5, 3.0, 2, 20.0, 20.0, 30.0, 3, (6 + 22 + 9) / 3, 22.0),
        (D1, "asst_beta", 1, 1, 40.0, 40.0, 1, 50.0, 50.0, 50.0, 1, 49.0, 49.0),
        (D2, "asst_alpha", 3, 3, 7 / 3, 5.0, 2, 309.5, 309.5, 599.0, 2, (598 + 19) / 2, 598.0),
        (D2, "asst_beta", 3, 3, 4 / 3, 2.0, 3, 19 / 3, 7.0, 10.0, 2, 7.5, 9.0),
    ])


def test_unpriced_models_lists_the_model_without_a_price(golden: Warehouse) -> None:
    columns = ("model", "first_run_date", "last_run_date", "days", "runs", "prompt_tokens", "completion_tokens",
               "total_tokens")
    assert as_tuples(golden.rows("select * from analytics.unpriced_models"), columns) == [
        (ACME, D1, D2, 2, 4, 226000, 101500, 327500),
    ]


def test_model_prices_has_a_row_per_priced_model_and_day(golden: Warehouse) -> None:
    columns = ("model", "price_date", "input_usd_per_mtok", "output_usd_per_mtok", "price_source", "priced_as")
    rows = golden.rows("select * from analytics.model_prices order by price_date")
    assert as_tuples(rows, columns) == [
        (GPT, D1, 2.5, 10.0, GENAI, "gpt-4o"),
        (GPT, D2, 2.5, 10.0, GENAI, "gpt-4o"),
    ]


def test_data_tests_pass_on_the_golden_fixture(golden: Warehouse) -> None:
    results = run_data_tests(golden.pipeline, schema=golden.schema)
    assert [(r.name, r.failing_rows, r.sample) for r in results if not r.passed] == []
    assert len(results) == 5


def _column_types(golden: Warehouse) -> List[Dict[str, Any]]:
    return golden.rows(
        "select table_name, column_name, data_type from information_schema.columns "
        f"where table_schema = '{golden.schema}' and table_name not like 'stg_%'"
    )


def test_mart_columns_follow_the_naming_conventions(golden: Warehouse) -> None:
    columns = _column_types(golden)
    assert columns
    problems = []
    for col in columns:
        name, data_type = col["column_name"], col["data_type"].lower()
        if data_type == "boolean" and not name.startswith("is_"):
            problems.append(f"{col['table_name']}.{name}: a boolean is named is_<state>")
        if "timestamp" in data_type and not name.endswith("_at"):
            problems.append(f"{col['table_name']}.{name}: a timestamp is named <event>_at")
        if data_type == "date" and not name.endswith("_date"):
            problems.append(f"{col['table_name']}.{name}: a date is named <x>_date")
    assert problems == []


def test_mart_totals_sum_the_marts_in_the_emulators_shape(golden: Warehouse) -> None:
    totals = mart_totals(golden.pipeline, schema=golden.schema)

    assert totals["run_tokens"] == {"prompt_tokens": 526000, "completion_tokens": 538500, "total_tokens": 1064500}
    assert (totals["runs"], totals["steps"]) == (9, 9)
    assert totals["runs_by_last_error_code"] == {"server_error": 1, "rate_limit_exceeded": 1}
    assert totals["tokens_by_model_day"][0] == {
        "model": ACME, "day": "2025-03-03", "runs": 1,
        "prompt_tokens": 200000, "completion_tokens": 100000, "total_tokens": 300000,
    }
    assert totals["cost_usd"] == pytest.approx(0.745 + 4.375)
