"""Reliability, proven with the emulator's fault injection: transient faults change nothing,
permanent faults stop cleanly and commit nothing, deleted objects are recorded, concurrent loads
never corrupt anything, and the next load catches up. The first two hold for every API and flavour
(`tests.apis.CASES`)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterator

import duckdb
import pytest

from runsteps.emulator import Emulator, TrafficConfig
from tests.apis import CASES, ApiCase
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


@dataclass
class CleanLoad:
    """One world per API case, served for the whole module, and its load without faults."""

    emu: Emulator
    snapshot: dict
    requests: int


@pytest.fixture(scope="module")
def clean_load(tmp_path_factory) -> Iterator[Callable[[ApiCase], CleanLoad]]:
    loads: Dict[ApiCase, CleanLoad] = {}
    with contextlib.ExitStack() as stack:
        def get(case: ApiCase) -> CleanLoad:
            if case not in loads:
                # Responses worlds of 5 conversations (~80 requests): their chains are walked one
                # response after another, so every fault's back-off adds to the load's time.
                emu = stack.enter_context(case.emulator(108, 5 if case.responses else 8))
                db = tmp_path_factory.mktemp(str(case)) / "clean.duckdb"
                emu.reset_stats()
                assert run_cli(*case.load_args(emu, db), env=key_env(emu)).code == 0
                loads[case] = CleanLoad(emu, snapshot(db, table_keys=case.table_keys), api_requests(emu.stats()))
            return loads[case]
        yield get


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("case", CASES, ids=str)
def test_transient_faults_change_nothing(case: ApiCase, seed, clean_load, tmp_path):
    """Ten fault seeds on one world per API: the faulty load's tables equal the clean load's."""
    clean = clean_load(case)
    emu, faulty_db = clean.emu, tmp_path / "faulty.duckdb"
    emu.reset_stats()
    emu.set_traffic(TrafficConfig(fault_seed=seed, **TRANSIENT_MIX))
    try:
        result = run_cli(*case.load_args(emu, faulty_db, "--timeout", "1"), env=key_env(emu))
    finally:
        emu.set_traffic(TrafficConfig())
    assert result.code == 0, result.err
    faulty_requests = api_requests(emu.stats())
    case.assert_equals_world(faulty_db, emu)
    assert snapshot(faulty_db, table_keys=case.table_keys) == clean.snapshot
    # About 20% of requests fail once; retries stay bounded well under double the clean count.
    assert clean.requests < faulty_requests < 1.6 * clean.requests + 10


PERMANENT = {
    "key-revoked-mid-load": (dict(persistent_status=401, fault_after_requests=15), 2, "HTTP 401"),
    "forbidden": (dict(persistent_status=403, fault_after_requests=15), 2, "HTTP 403"),
    "insufficient-quota": (dict(fault_insufficient_quota=1.0, fault_after_requests=15), 3, "insufficient_quota"),
    "paging-loop": (dict(paging_loop=True, fault_after_requests=15), 3, "paging loop"),
    "persistent-5xx": (dict(persistent_status=503, fault_after_requests=15), 3, "gave up after 3 attempts"),
}


@pytest.mark.parametrize("name", list(PERMANENT))
@pytest.mark.parametrize("case", CASES, ids=str)
def test_permanent_faults_stop_cleanly_and_the_next_load_catches_up(case: ApiCase, name, db):
    traffic, code, says = PERMANENT[name]
    # No retention window: a response that passed it between the two loads would stay loaded, and
    # the world's truth at the later clock no longer counts it.
    with case.emulator(21, 8 if case.responses else 12, retention_days=None) as emu:
        env = key_env(emu)
        assert run_cli(*case.load_args(emu, db), env=env).code == 0
        before = snapshot(db, table_keys=case.table_keys)
        emu.advance(6 * 3600)  # new objects and finished ones for the failing load to (not) commit
        if case.responses:  # an incremental Responses load is short (Foundry's: about a dozen requests)
            traffic = {**traffic, "fault_after_requests": 5}
        emu.set_traffic(TrafficConfig(**traffic))
        result = run_cli(*case.load_args(emu, db, "--max-retries", "2"), env=env)
        assert result.code == code, result.err
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and says in lines[0] and "x-request-id: req_" in lines[0], lines
        assert snapshot(db, table_keys=case.table_keys) == before  # nothing half-done was committed

        emu.set_traffic(TrafficConfig())
        result = run_cli(*case.load_args(emu, db), env=env)
        assert result.code == 0, result.err
        case.assert_equals_world(db, emu)


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
