"""`runsteps load` against the emulator over real HTTP into a real DuckDB file.

Expected values come from the emulator's own world (`World.expected()` and its objects), never from
the loader.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Dict, List

import duckdb
import pytest

from runsteps.emulator import Emulator, export_world
from tests.helpers import api_requests, key_env, load_args, run_cli, snapshot

TERMINAL = {"completed", "failed", "cancelled", "expired", "incomplete"}


def counts(db: Path) -> Dict[str, object]:
    """What the warehouse holds, in the shape of the emulator's `expected()`."""
    with duckdb.connect(str(db), read_only=True) as con:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        tables = {t: q(f"select count(*) from assistants.{t}")[0][0] for t in
                  ("threads", "runs", "run_steps", "run_step_tool_calls", "code_interpreter_outputs", "file_search_results")}
        return {
            "tables": tables,
            "tool_calls_by_type": dict(q("select type, count(*) from assistants.run_step_tool_calls group by 1")),
            "steps_by_type": dict(q("select type, count(*) from assistants.run_steps group by 1")),
            "steps_by_status": dict(q("select status, count(*) from assistants.run_steps group by 1")),
            "runs_by_status": dict(q("select status, count(*) from assistants.runs group by 1")),
            "runs_by_last_error_code": dict(q("select last_error_code, count(*) from assistants.runs "
                                              "where last_error_code is not null group by 1")),
            "run_tokens": dict(zip(("prompt_tokens", "completion_tokens", "total_tokens"), q(
                "select coalesce(sum(prompt_tokens),0), coalesce(sum(completion_tokens),0), coalesce(sum(total_tokens),0) "
                "from assistants.runs")[0])),
            "step_tokens": dict(zip(("prompt_tokens", "completion_tokens", "total_tokens"), q(
                "select coalesce(sum(prompt_tokens),0), coalesce(sum(completion_tokens),0), coalesce(sum(total_tokens),0) "
                "from assistants.run_steps")[0])),
        }


def assert_equals_world(db: Path, expected: dict) -> None:
    got = counts(db)
    for key, value in got.items():
        assert value == expected[key], key
    with duckdb.connect(str(db), read_only=True) as con:
        by_model_day = {
            (m, str(d)): (r, p, c, t) for m, d, r, p, c, t in con.execute(
                "select model, (created_at at time zone 'UTC')::date, count(*), coalesce(sum(prompt_tokens),0), "
                "coalesce(sum(completion_tokens),0), coalesce(sum(total_tokens),0) from assistants.runs group by 1, 2"
            ).fetchall()
        }
    want = {(e["model"], e["day"]): (e["runs"], e["prompt_tokens"], e["completion_tokens"], e["total_tokens"])
            for e in expected["tokens_by_model_day"]}
    assert by_model_day == want


@pytest.mark.parametrize("flavour", ["openai", "azure", "foundry"])
def test_full_load_equals_the_world(flavour, db):
    with Emulator(seed=11, threads=12, flavour=flavour) as emu:
        result = run_cli(*load_args(emu, db, "--include-file-search-content"), env=key_env(emu))
        assert result.code == 0, result.err
        assert_equals_world(db, emu.world.expected())
        with duckdb.connect(str(db), read_only=True) as con:
            missing_content = con.execute("select count(*) from assistants.file_search_results where content is null").fetchone()[0]
        assert missing_content == 0  # asked for with include[]


def _pages(n: int) -> int:
    return max(1, math.ceil(n / 100))


def _listing_after_watermark(runs: List[dict], watermark_index: int) -> List[dict]:
    return runs[watermark_index:]


def _watermark_index(runs: List[dict]) -> int:
    """docs/design.md: the watermark is the last run of the longest all-terminal prefix."""
    i = 0
    while i < len(runs) and runs[i]["status"] in TERMINAL:
        i += 1
    return i


def predicted_requests(world, before: Dict[str, List[dict]], thread_ids: List[str]) -> int:
    """threads polled + extra run-list pages + step pages of new runs + step pages of runs open last time."""
    total = 0
    for tid in thread_ids:
        old = before[tid]
        old_ids = {r["id"] for r in old}
        wm = _watermark_index(old)
        now = world.runs(tid)
        listed = now[wm:]
        total += _pages(len(listed))
        open_last_time = {r["id"] for r in old[wm:] if r["status"] not in TERMINAL}
        for run in listed:
            if run["id"] not in old_ids or run["id"] in open_last_time:
                total += _pages(len(world.steps(tid, run["id"])))
    return total


def test_incremental_loads_make_exactly_the_predicted_requests(db):
    with Emulator(seed=5, threads=30, flavour="openai") as emu:
        world, env = emu.world, key_env(emu)
        ids = world.thread_ids()
        assert run_cli(*load_args(emu, db), env=env).code == 0
        before = {tid: world.runs(tid) for tid in ids}
        open_before = sum(1 for runs in before.values() for r in runs if r["status"] not in TERMINAL)
        assert open_before > 0, "the world should have open runs to make this test meaningful"

        emu.advance(3600)
        threads_with_new_runs = sum(1 for tid in ids if len(world.runs(tid)) > len(before[tid]))
        assert threads_with_new_runs > 0
        expected_requests = predicted_requests(world, before, ids)
        emu.reset_stats()
        # The second load names no threads: the known ones are polled from state.
        assert run_cli(*load_args(emu, db, thread_ids=[]), env=env).code == 0
        assert api_requests(emu.stats()) == expected_requests
        assert_equals_world(db, world.expected())

        # Nothing changed: one request per thread plus the step pages of the runs still open.
        after = {tid: world.runs(tid) for tid in ids}
        emu.reset_stats()
        assert run_cli(*load_args(emu, db, thread_ids=[]), env=env).code == 0
        still_open = [(tid, r["id"]) for tid in ids for r in after[tid] if r["status"] not in TERMINAL]
        expected_idle = sum(_pages(len(after[t][_watermark_index(after[t]):])) for t in ids) + sum(
            _pages(len(world.steps(t, r))) for t, r in still_open)
        assert api_requests(emu.stats()) == expected_idle
        assert_equals_world(db, world.expected())


def test_open_runs_get_their_final_rows_and_no_stale_children(db, tmp_path):
    with Emulator(seed=3, threads=20, flavour="openai") as emu:
        world, env = emu.world, key_env(emu)
        assert run_cli(*load_args(emu, db), env=env).code == 0
        open_runs = {r["id"]: tid for tid in world.thread_ids() for r in world.runs(tid) if r["status"] not in TERMINAL}
        assert open_runs
        emu.advance(7 * 24 * 3600)  # long enough for every open run to finish
        assert run_cli(*load_args(emu, db, thread_ids=[]), env=env).code == 0
        with duckdb.connect(str(db), read_only=True) as con:
            for run_id, tid in open_runs.items():
                final = next(r for r in world.runs(tid) if r["id"] == run_id)
                status, total = con.execute("select status, total_tokens from assistants.runs where id = ?", [run_id]).fetchone()
                assert (status, total) == (final["status"], (final.get("usage") or {}).get("total_tokens"))
                step_ids = sorted(s for (s,) in con.execute("select id from assistants.run_steps where run_id = ?", [run_id]).fetchall())
                assert step_ids == sorted(s["id"] for s in world.steps(tid, run_id))
                statuses = Counter(s for (s,) in con.execute("select status from assistants.run_steps where run_id = ?", [run_id]).fetchall())
                assert statuses == Counter(s["status"] for s in world.steps(tid, run_id))

        # An incremental sequence and one fresh load of the final world give identical tables.
        fresh = tmp_path / "fresh.duckdb"
        assert run_cli(*load_args(emu, fresh), env=env).code == 0
        assert snapshot(db) == snapshot(fresh)


def test_export_loads_the_same_tables_as_the_api(db, tmp_path):
    with Emulator(seed=9, threads=8, flavour="openai") as emu:
        assert run_cli(*load_args(emu, db, "--include-file-search-content"), env=key_env(emu)).code == 0
        export_world(emu.world, tmp_path / "archive")
        expected = emu.world.expected()
    from_export = tmp_path / "export.duckdb"
    result = run_cli("load", "--from-export", str(tmp_path / "archive"), "--db", str(from_export), "--progress", "none")
    assert result.code == 0, result.err
    assert_equals_world(from_export, expected)
    assert snapshot(from_export) == snapshot(db)


def test_threads_file_and_sql_select_the_threads(db, tmp_path):
    with Emulator(seed=2, threads=10, flavour="openai") as emu:
        ids = emu.world.thread_ids()
        csv = tmp_path / "threads.csv"
        csv.write_text("team,thread_id\n" + "".join(f"a,{t}\n" for t in ids[:4]) + f"a,{ids[0]}\n")
        result = run_cli(*load_args(emu, db, "--threads-file", str(csv), thread_ids=[]), env=key_env(emu))
        assert result.code == 0, result.err
        with duckdb.connect(str(db), read_only=True) as con:
            assert sorted(t for (t,) in con.execute("select id from assistants.threads").fetchall()) == sorted(ids[:4])
        # --threads-sql reads the destination: poll the threads of a table the analyst keeps there.
        with duckdb.connect(str(db)) as con:
            con.execute("create table main.wanted as select unnest(?::varchar[]) as thread_id", [ids[4:6]])
        result = run_cli(*load_args(emu, db, "--threads-sql", "select thread_id from main.wanted",
                                    "--no-known-threads", thread_ids=[]), env=key_env(emu))
        assert result.code == 0, result.err
        with duckdb.connect(str(db), read_only=True) as con:
            assert sorted(t for (t,) in con.execute("select id from assistants.threads").fetchall()) == sorted(ids[:6])


def test_wrong_key_exits_2_with_one_line_naming_the_fix(db):
    with Emulator(seed=1, threads=3, flavour="openai") as emu:
        result = run_cli(*load_args(emu, db), env={"OPENAI_API_KEY": "sk-wrong"})
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "401" in lines[0] and "OPENAI_API_KEY" in lines[0] and "x-request-id" in lines[0]


def test_a_malformed_thread_id_is_rejected_before_any_request(db):
    with Emulator(seed=1, threads=3, flavour="openai") as emu:
        result = run_cli(*load_args(emu, db, thread_ids=["thread_ok", "../../etc/passwd"]), env=key_env(emu))
        assert api_requests(emu.stats()) == 0
    assert result.code == 2
    assert "'../../etc/passwd'" in result.err and len(result.err.strip().splitlines()) == 1


@pytest.mark.postgres
def test_full_load_into_postgres_equals_the_world(postgres_dsn, tmp_path):
    import psycopg2

    dataset = "assistants_it"
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
        cur.execute(f"drop schema if exists {dataset} cascade; drop schema if exists {dataset}_staging cascade")
    with Emulator(seed=11, threads=8, flavour="openai") as emu:
        env = {**key_env(emu), "DESTINATION__POSTGRES__CREDENTIALS": postgres_dsn}
        args = load_args(emu, tmp_path / "unused.duckdb", "--destination", "postgres", "--dataset", dataset)
        result = run_cli(*args, env=env)
        assert result.code == 0, result.err
        expected = emu.world.expected()
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
        for table, n in expected["tables"].items():
            cur.execute(f"select count(*) from {dataset}.{table}")
            assert cur.fetchone()[0] == n, table
        cur.execute(f"select coalesce(sum(total_tokens), 0) from {dataset}.runs")
        assert cur.fetchone()[0] == expected["run_tokens"]["total_tokens"]
