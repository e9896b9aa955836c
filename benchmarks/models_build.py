"""Benchmark: building the SQL models on a world of one million run steps, on DuckDB.

The raw tables are generated straight in DuckDB with plain SQL (`range()`), with the columns and
types of `settings.TABLES`: no loader, no emulator, so only the models are measured. The build
(price snapshot + every view) is timed three times and the median reported; the target is < 5 s.
Views compute when read, so the time to read each mart in full is reported too.

    .venv/bin/python benchmarks/models_build.py [--steps 1000000] [--db PATH]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "pipelines"))

from openai_assistants.settings import TABLES  # noqa: E402
from runsteps.loading import build_pipeline  # noqa: E402
from runsteps.models import build_models  # noqa: E402

STEPS_PER_RUN = 4
DAYS = 90
ASSISTANTS = 20
# four models genai-prices knows (o3 changes price inside the window) and one it does not
MODELS = "['gpt-4o-2024-08-06', 'gpt-4o-mini', 'o3', 'gpt-4.1', 'acme-internal-llm-v1']"
START = "2025-05-01 00:00:00+00"
TARGET_S = 5.0
MARTS = ("fct_runs", "fct_run_steps", "fct_tool_calls", "rpt_daily_usage", "rpt_failure_rates",
         "rpt_failures_by_error_code", "rpt_tool_usage", "rpt_daily_timings", "unpriced_models", "unpriced_tool_calls")

_TYPES = {"text": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "bool": "BOOLEAN", "json": "JSON",
          "timestamp": "TIMESTAMPTZ"}


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists assistants")
    for table, spec in TABLES.items():
        columns = ", ".join(f'"{name}" {_TYPES[col["data_type"]]}' for name, col in spec["columns"].items())
        con.execute(f"create or replace table assistants.{table} ({columns}, _dlt_load_id VARCHAR, _dlt_id VARCHAR)")


def generate(con: duckdb.DuckDBPyConnection, steps: int) -> Tuple[int, int]:
    """Fills the raw tables; returns (runs, tool calls)."""
    runs = steps // STEPS_PER_RUN
    create_raw_tables(con)
    # run i: created spread over DAYS, status by i % 20 (mostly completed), usage = sum of its steps
    con.execute(f"""
        insert into assistants.runs (id, thread_id, assistant_id, status, model, created_at, started_at,
            completed_at, failed_at, cancelled_at, expires_at, last_error_code, prompt_tokens,
            completion_tokens, total_tokens)
        select
            'run_' || i, 'thread_' || (i // 10), 'asst_' || (i % {ASSISTANTS}), status,
            {MODELS}[1 + (i % 5)::int],
            created, created + interval 2 second,
            case when status = 'completed' then created + interval 30 second end,
            case when status = 'failed' then created + interval 20 second end,
            case when status = 'cancelled' then created + interval 10 second end,
            case when status in ('expired', 'in_progress') then created + interval 600 second end,
            case when status = 'failed' then (['server_error', 'rate_limit_exceeded', 'invalid_prompt'])[1 + (i % 3)::int] end,
            case when status <> 'in_progress' then {STEPS_PER_RUN} * (1000 + i % 100) end,
            case when status <> 'in_progress' then {STEPS_PER_RUN} * (200 + i % 50) end,
            case when status <> 'in_progress' then {STEPS_PER_RUN} * (1200 + i % 100 + i % 50) end
        from (
            select i,
                timestamptz '{START}' + to_seconds((i * {DAYS} * 86400) // {runs}) as created,
                case i % 20 when 0 then 'failed' when 1 then 'expired' when 2 then 'cancelled'
                    when 3 then 'incomplete' when 4 then 'in_progress' else 'completed' end as status
            from range({runs}) t(i)
        )
    """)
    con.execute(f"""
        insert into assistants.run_steps (id, run_id, thread_id, assistant_id, type, status, created_at,
            completed_at, prompt_tokens, completion_tokens, total_tokens, tool_call_count)
        select
            'step_' || r.id || '_' || s, r.id, r.thread_id, r.assistant_id,
            case when s % 2 = 0 then 'tool_calls' else 'message_creation' end,
            case when r.status = 'in_progress' then 'in_progress' else 'completed' end,
            r.started_at + to_seconds(s * 5),
            case when r.status <> 'in_progress' then r.started_at + to_seconds(s * 5 + 4) end,
            r.prompt_tokens // {STEPS_PER_RUN}, r.completion_tokens // {STEPS_PER_RUN}, r.total_tokens // {STEPS_PER_RUN},
            case when s % 2 = 0 then 1 + (s // 2) % 2 end
        from assistants.runs r, range({STEPS_PER_RUN}) t(s)
    """)
    con.execute("""
        insert into assistants.run_step_tool_calls (step_id, position, id, run_id, thread_id, type, name,
            output_count, result_count)
        select
            st.id, p, 'call_' || st.id || '_' || p, st.run_id, st.thread_id,
            (['function', 'code_interpreter', 'file_search', 'mcp'])[1 + (hash(st.id) % 4)::int],
            'fn_' || (hash(st.id) % 7), 1, 2
        from assistants.run_steps st, range(2) t(p)
        where st.type = 'tool_calls' and p < st.tool_call_count
    """)
    con.execute("""
        insert into assistants.code_interpreter_outputs (step_id, tool_call_position, position, run_id, thread_id, type, logs)
        select step_id, position, 0, run_id, thread_id, 'logs', 'ok'
        from assistants.run_step_tool_calls where type = 'code_interpreter'
    """)
    con.execute("""
        insert into assistants.file_search_results (step_id, tool_call_position, position, run_id, thread_id, file_id, score)
        select step_id, position, p, run_id, thread_id, 'file_' || p, 0.5
        from assistants.run_step_tool_calls, range(2) t(p) where type = 'file_search'
    """)
    (calls,) = con.execute("select count(*) from assistants.run_step_tool_calls").fetchone()
    return runs, calls


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None, help="DuckDB file (a temporary one by default)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "models_bench.duckdb"
        started = time.perf_counter()
        with duckdb.connect(str(db)) as con:
            runs, calls = generate(con, args.steps)
        generated_s = time.perf_counter() - started

        pipeline = build_pipeline(db, pipeline_name="models_bench")
        builds = [build_models(pipeline) for _ in range(args.repeat)]
        seconds = [b.seconds for b in builds]
        median = statistics.median(seconds)
        last = builds[-1]

        reads = []
        with pipeline.sql_client() as client:
            for mart in MARTS:
                t0 = time.perf_counter()
                client.execute_sql(f"select count(*) from (select * from analytics.{mart}) as m")
                reads.append((mart, time.perf_counter() - t0))

    print(f"world: {runs:,} runs, {args.steps:,} steps, {calls:,} tool calls over {DAYS} days "
          f"(generated in {generated_s:.1f} s)")
    print()
    print(f"{'what':<40}{'seconds':>10}")
    print(f"{'build_models, median of ' + str(args.repeat):<40}{median:>10.3f}")
    for i, s in enumerate(seconds, 1):
        print(f"{'  build ' + str(i):<40}{s:>10.3f}")
    print(f"{'  of which model_prices snapshot':<40}{last.prices.seconds:>10.3f}")
    print(f"{'  of which ' + str(len(last.models)) + ' views':<40}{sum(m.seconds for m in last.models):>10.3f}")
    print(f"{'  model_prices rows':<40}{len(last.prices.priced):>10}")
    for mart, s in reads:
        print(f"{'read ' + mart + ' in full':<40}{s:>10.3f}")
    print()
    verdict = "OK" if median < TARGET_S else "OVER TARGET"
    print(f"target: build < {TARGET_S:.0f} s on DuckDB: {verdict}")
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
