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
from runsteps.models.project import default_sql_dir, load_data_tests
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
               "queue_seconds", "run_seconds", "input_tokens", "output_tokens", "total_tokens", "cost_usd")
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
    # the Assistants API reports no cached or reasoning tokens: unknown (null), never 0; every input
    # token is priced at the full rate, so each cost is labelled a list-price estimate
    assert {(r["api"], r["cached_input_tokens"], r["reasoning_tokens"], r["cached_input_cost_usd"]) for r in rows} == {
        ("assistants", None, None, None)}
    assert as_tuples([r for r in rows if r["cost_usd"] is not None],
                     ("run_id", "input_cost_usd", "output_cost_usd", "cost_basis")) == [
        ("run_A1", pytest.approx(0.30), pytest.approx(0.30), "list_price_without_cache_discount"),
        ("run_A2", pytest.approx(0.125), pytest.approx(0.02), "list_price_without_cache_discount"),
        ("run_A3", pytest.approx(0.075), pytest.approx(0.05), "list_price_without_cache_discount"),
        ("run_A5", pytest.approx(0.25), pytest.approx(4.0), "list_price_without_cache_discount"),
    ]
    # errors are failed or expired runs; cancelled and incomplete runs are not errors
    assert [r["run_id"] for r in rows if r["is_error"]] == ["run_A2", "run_A3", "run_B2"]


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
    columns = ("run_date", "api", "assistant_id", "model", "runs", "terminal_runs", "steps", "input_tokens",
               "output_tokens", "total_tokens", "is_priced", "cost_usd", "unpriced_total_tokens")
    rows = golden.rows("select * from analytics.rpt_daily_usage order by run_date, assistant_id")
    assert_rows(as_tuples(rows, columns), [
        (D1, "assistants", "asst_alpha", GPT, 2, 2, 3, 170000, 32000, 202000, True, 0.745, 0),
        (D1, "assistants", "asst_beta", ACME, 1, 1, 1, 200000, 100000, 300000, False, None, 300000),
        # A4 is open: it counts as a run and a step, with no tokens and no cost yet
        (D2, "assistants", "asst_alpha", GPT, 3, 2, 3, 130000, 405000, 535000, True, 4.375, 0),
        (D2, "assistants", "asst_beta", ACME, 3, 3, 2, 26000, 1500, 27500, False, None, 27500),
    ])
    # cost by class: input 170,000 x $2.50/M = 0.425, output 32,000 x $10/M = 0.32 on the 3rd; all of it a
    # list-price estimate (no cached-token detail), and the cached and reasoning columns unknown
    assert_rows(as_tuples(rows, ("input_cost_usd", "output_cost_usd", "list_price_estimate_cost_usd")), [
        (0.425, 0.32, 0.745), (None, None, None), (0.325, 4.05, 4.375), (None, None, None)])
    assert {(r["cached_input_tokens"], r["reasoning_tokens"], r["cached_input_cost_usd"]) for r in rows} == {
        (None, None, None)}
    assert as_tuples(rows, ("input_usd_per_mtok", "output_usd_per_mtok", "price_source")) == [
        (2.5, 10.0, GENAI), (None, None, None), (2.5, 10.0, GENAI), (None, None, None)]


def test_rpt_failure_rates_counts_terminal_runs_only_by_outcome_and_error_code(golden: Warehouse) -> None:
    columns = ("run_date", "api", "assistant_id", "terminal_runs", "completed_runs", "failed_runs", "expired_runs",
               "cancelled_runs", "incomplete_runs", "error_runs", "error_rate", "not_completed_runs",
               "not_completed_rate", "server_error_runs", "rate_limit_exceeded_runs", "invalid_prompt_runs",
               "other_error_code_runs")
    rows = golden.rows("select * from analytics.rpt_failure_rates order by run_date, assistant_id")
    assert_rows(as_tuples(rows, columns), [
        # A2 failed: 1 error of 2, 1 not completed of 2
        (D1, "assistants", "asst_alpha", 2, 1, 1, 0, 0, 0, 1, 0.5, 1, 0.5, 1, 0, 0, 0),
        (D1, "assistants", "asst_beta", 1, 1, 0, 0, 0, 0, 0, 0.0, 0, 0.0, 0, 0, 0, 0),
        # A4 (in_progress) is left out. A3 expired (an error), A5 incomplete (not an error, not completed)
        (D2, "assistants", "asst_alpha", 2, 0, 0, 1, 0, 1, 1, 0.5, 2, 1.0, 0, 0, 0, 0),
        # B2 failed (an error), B3 cancelled (not an error), B4 completed
        (D2, "assistants", "asst_beta", 3, 1, 1, 0, 1, 0, 1, 1 / 3, 2, 2 / 3, 0, 1, 0, 0),
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
               "completed_timed_runs", "completed_run_seconds_avg", "completed_run_seconds_p50",
               "completed_run_seconds_max", "expired_timed_runs", "expired_run_seconds_avg",
               "other_ended_timed_runs", "other_ended_run_seconds_avg", "timed_steps", "step_seconds_avg",
               "step_seconds_max")
    rows = golden.rows("select * from analytics.rpt_daily_timings order by run_date, assistant_id")
    assert_rows(as_tuples(rows, columns), [
        # A1 completed in 30 s; A2 failed after 10 s
        (D1, "asst_alpha", 2, 2, 2.5, 3.0, 1, 30.0, 30.0, 30.0, 0, None, 1, 10.0, 3, (6 + 22 + 9) / 3, 22.0),
        (D1, "asst_beta", 1, 1, 40.0, 40.0, 1, 50.0, 50.0, 50.0, 0, None, 0, None, 1, 49.0, 49.0),
        # A3 expired at its deadline (599 s) and is kept apart from A5 (incomplete, 20 s); A4 is open
        (D2, "asst_alpha", 3, 3, 7 / 3, 5.0, 0, None, None, None, 1, 599.0, 1, 20.0, 2, (598 + 19) / 2, 598.0),
        # B4 completed in 10 s; B2 failed after 2 s, B3 cancelled after 7 s
        (D2, "asst_beta", 3, 3, 4 / 3, 2.0, 1, 10.0, 10.0, 10.0, 0, None, 2, 4.5, 2, 7.5, 9.0),
    ])


def test_unpriced_models_lists_the_model_without_a_price(golden: Warehouse) -> None:
    columns = ("model", "first_run_date", "last_run_date", "days", "runs", "input_tokens", "output_tokens",
               "total_tokens")
    assert as_tuples(golden.rows("select * from analytics.unpriced_models"), columns) == [
        (ACME, D1, D2, 2, 4, 226000, 101500, 327500),
    ]


def test_model_prices_has_an_interval_per_model_and_unchanged_price(golden: Warehouse) -> None:
    columns = ("model", "starts_at", "ends_at", "input_usd_per_mtok", "cached_input_usd_per_mtok",
               "output_usd_per_mtok", "price_source", "priced_as")
    rows = golden.rows("select * from analytics.model_prices order by model, starts_at")
    # the two days of each model merge into one interval: the price did not change. The model without a
    # price has a row too (null prices), so a run loaded later, with no row at all, is told apart from it.
    # gpt-4o's cached input price, $1.25, is genai-prices 0.2.3's.
    assert [tuple(str(v) if hasattr(v, "tzinfo") else v for v in row) for row in as_tuples(rows, columns)] == [
        (ACME, "2025-03-03 00:00:00+00:00", "2025-03-05 00:00:00+00:00", None, None, None, None, None),
        (GPT, "2025-03-03 00:00:00+00:00", "2025-03-05 00:00:00+00:00", 2.5, 1.25, 10.0, GENAI, "gpt-4o"),
    ]


def test_data_tests_pass_on_the_golden_fixture(golden: Warehouse) -> None:
    results = run_data_tests(golden.pipeline, schema=golden.schema)
    assert [(r.name, r.failing_rows, r.sample) for r in results if not r.passed] == []
    assert sorted(r.name for r in results) == sorted(t.name for t in load_data_tests(default_sql_dir()))


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
