"""Scale out: `--shard K/N` splits the threads by a stable hash; N shards loading at once into one
server dataset give exactly what a single load gives."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sourcekit.shards import Shard, in_shard
from runsteps.emulator import Emulator
from tests.helpers import key_env, load_args


def test_shards_partition_the_threads():
    ids = [f"thread_{i:05d}" for i in range(3000)]
    shards = [{t for t in ids if in_shard(t, Shard(k, 3))} for k in (1, 2, 3)]
    assert sum(len(s) for s in shards) == len(ids) and set().union(*shards) == set(ids)
    assert all(800 < len(s) < 1200 for s in shards)  # roughly even
    assert shards[0] == {t for t in ids if in_shard(t, Shard(1, 3))}  # stable


def _tables(dsn: str, dataset: str):
    import psycopg2

    out = {}
    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        for table, keys in (("threads", "id"), ("runs", "id"), ("run_steps", "id"),
                            ("run_step_tool_calls", "step_id, position"),
                            ("code_interpreter_outputs", "step_id, tool_call_position, position"),
                            ("file_search_results", "step_id, tool_call_position, position")):
            cur.execute("select column_name from information_schema.columns where table_schema = %s and table_name = %s "
                        "and column_name not in ('_dlt_load_id', '_dlt_id', 'first_seen_at', 'last_polled_at') order by 1",
                        (dataset, table))
            cols = ", ".join(f'"{c}"::text' for (c,) in cur.fetchall())
            cur.execute(f"select {cols} from {dataset}.{table} order by {keys}")
            out[table] = cur.fetchall()
    return out


@pytest.mark.postgres
def test_three_shards_at_once_equal_a_single_load(postgres_dsn, tmp_path):
    import psycopg2

    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
        cur.execute("select nspname from pg_namespace where nspname like 'shards_%' or nspname like 'single_%'")
        for (schema,) in cur.fetchall():
            cur.execute(f'drop schema "{schema}" cascade')
    with Emulator(seed=17, threads=24, flavour="openai") as emu:
        env = {**os.environ, **key_env(emu), "DESTINATION__POSTGRES__CREDENTIALS": postgres_dsn}
        common = ["--destination", "postgres", "--pipelines-dir", str(tmp_path / "pipelines")]
        procs = [subprocess.Popen([sys.executable, "-m", "runsteps.cli",
                                   *load_args(emu, tmp_path / "x.duckdb", *common, "--dataset", "shards_it", "--shard", f"{k}/3")],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (1, 2, 3)]
        results = [p.communicate(timeout=600) + (p.returncode,) for p in procs]
        for out, err, code in results:
            assert code == 0, err
        single = subprocess.run([sys.executable, "-m", "runsteps.cli",
                                 *load_args(emu, tmp_path / "x.duckdb", *common, "--dataset", "single_it")],
                                env=env, capture_output=True, text=True)
        assert single.returncode == 0, single.stderr
        expected_runs = emu.world.expected()["tables"]["runs"]
    sharded, whole = _tables(postgres_dsn, "shards_it"), _tables(postgres_dsn, "single_it")
    assert len(whole["runs"]) == expected_runs
    assert sharded == whole
