"""Reliability, proven with the emulator's fault injection: transient faults change nothing,
permanent faults stop cleanly and commit nothing, deleted objects are recorded, concurrent loads
never corrupt anything, and the next load catches up."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import duckdb
import pytest

from runsteps.emulator import Emulator, TrafficConfig
from tests.helpers import api_requests, key_env, load_args, run_cli, snapshot
from tests.integration.test_load import assert_equals_world

TERMINAL = {"completed", "failed", "cancelled", "expired", "incomplete"}

TRANSIENT_MIX = dict(
    fault_429=0.06,        # with retry-after-ms and retry-after
    fault_429_bare=0.04,   # with neither: the client backs off by itself
    fault_500=0.0125, fault_502=0.0125, fault_503=0.0125, fault_504=0.0125,
    fault_reset=0.02,      # connection closed in the middle of the body
    fault_stall=0.01,      # no answer for longer than the client's timeout
    fault_truncated=0.01,  # a 200 whose JSON is cut short
    stall_seconds=3.0,
    retry_after_ms=50,
)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_transient_faults_change_nothing(seed, tmp_path):
    clean_db, faulty_db = tmp_path / "clean.duckdb", tmp_path / "faulty.duckdb"
    with Emulator(seed=100 + seed, threads=8, flavour="openai") as emu:
        env = key_env(emu)
        assert run_cli(*load_args(emu, clean_db), env=env).code == 0
        clean_requests = api_requests(emu.stats())
        emu.reset_stats()
        emu.set_traffic(TrafficConfig(fault_seed=seed, **TRANSIENT_MIX))
        result = run_cli(*load_args(emu, faulty_db, "--timeout", "1"), env=env)
        assert result.code == 0, result.err
        faulty_requests = api_requests(emu.stats())
    assert snapshot(faulty_db) == snapshot(clean_db)
    # About 20% of requests fail once; retries stay bounded well under double the clean count.
    assert clean_requests < faulty_requests < 1.6 * clean_requests + 10


PERMANENT = {
    "key-revoked-mid-load": (dict(persistent_status=401, fault_after_requests=15), 2, "HTTP 401"),
    "forbidden": (dict(persistent_status=403, fault_after_requests=15), 2, "HTTP 403"),
    "insufficient-quota": (dict(fault_insufficient_quota=1.0, fault_after_requests=15), 3, "insufficient_quota"),
    "paging-loop": (dict(paging_loop=True, fault_after_requests=15), 3, "paging loop"),
    "persistent-5xx": (dict(persistent_status=503, fault_after_requests=15), 3, "gave up after 3 attempts"),
}


@pytest.mark.parametrize("name", list(PERMANENT))
def test_permanent_faults_stop_cleanly_and_the_next_load_catches_up(name, db):
    traffic, code, says = PERMANENT[name]
    with Emulator(seed=21, threads=12, flavour="openai") as emu:
        env = key_env(emu)
        assert run_cli(*load_args(emu, db), env=env).code == 0
        before = snapshot(db)
        emu.advance(6 * 3600)  # new runs and finished runs for the failing load to (not) commit
        emu.set_traffic(TrafficConfig(**traffic))
        result = run_cli(*load_args(emu, db, "--max-retries", "2"), env=env)
        assert result.code == code, result.err
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and says in lines[0] and "x-request-id: req_" in lines[0], lines
        assert snapshot(db) == before  # nothing half-done was committed

        emu.set_traffic(TrafficConfig())
        result = run_cli(*load_args(emu, db), env=env)
        assert result.code == 0, result.err
        assert_equals_world(db, emu.world.expected())


def test_a_deleted_thread_and_a_vanished_run_are_recorded_and_the_rest_loads(db):
    with Emulator(seed=4, threads=10, flavour="openai") as emu:
        env, world = key_env(emu), emu.world
        ids = world.thread_ids()
        assert run_cli(*load_args(emu, db), env=env).code == 0
        known = {r["id"] for t in ids for r in world.runs(t)}
        emu.advance(2 * 24 * 3600)
        gone_thread = ids[3]
        # A new run that is listed, but whose steps answer 404 (deleted between listing and fetching).
        victim = next(r for t in ids if t != gone_thread for r in world.runs(t) if r["id"] not in known)
        emu.delete_thread(gone_thread)
        emu.set_traffic(TrafficConfig(persistent_status=404, fault_path=f"{victim['id']}/steps"))
        result = run_cli(*load_args(emu, db, thread_ids=[]), env=env)
        assert result.code == 0, result.err
        with duckdb.connect(str(db), read_only=True) as con:
            issues = con.execute("select object_type, object_id, http_status from assistants.load_issues order by 1").fetchall()
            assert issues == [("run", victim["id"], 404), ("thread", gone_thread, 404)]
            assert con.execute("select deleted_at is not null from assistants.threads where id = ?", [gone_thread]).fetchone() == (True,)
            # The rest of the load completed: every other run of every other thread is there.
            for tid in ids:
                if tid == gone_thread:
                    continue
                loaded = {r for (r,) in con.execute("select id from assistants.runs where thread_id = ?", [tid]).fetchall()}
                assert loaded == {r["id"] for r in world.runs(tid)} - {victim["id"]}
        # The deleted thread is no longer polled.
        emu.set_traffic(TrafficConfig())
        emu.reset_stats()
        assert run_cli(*load_args(emu, db, thread_ids=[]), env=env).code == 0
        polled = [r["path"] for r in emu.request_log if gone_thread in r["path"]]
        assert polled == []


def test_a_second_load_on_the_same_database_exits_with_a_clear_message(db):
    with Emulator(seed=6, threads=20, flavour="openai", traffic=TrafficConfig(latency_ms=40)) as emu:
        env = {**os.environ, **key_env(emu)}
        first = subprocess.Popen([sys.executable, "-m", "runsteps.cli", *load_args(emu, db, "--concurrency", "2")],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            lock = db.with_name(db.name + ".dlt") / "runsteps.lock"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
                time.sleep(0.05)
            assert first.poll() is None, "the first load finished before the second could start"
            second = run_cli(*load_args(emu, db), env=key_env(emu))
            assert second.code == 4
            assert "another runsteps load is running" in second.err and len(second.err.strip().splitlines()) == 1
        finally:
            out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
        assert_equals_world(db, emu.world.expected())
