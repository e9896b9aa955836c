"""A DuckDB file another process holds (a notebook, the duckdb CLI): the writers wait up to --wait,
then stop with exit 4 and one line naming the holder's PID, having changed nothing.

The holder is another process, as a notebook is: DuckDB lets no other process open a file that one
process has open for writing, and none write to a file that one reads.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from runsteps.emulator import Emulator
from tests.helpers import key_env, load_args, snapshot
from tests.integration.test_warehouse_faults import assert_one_line, run_process

SEED, THREADS = 29, 6


class Holder:
    """A process holding the DuckDB file open for `seconds`, then closing it and saying when."""

    def __init__(self, db: Path, read_only: bool, seconds: float) -> None:
        code = (f"import duckdb, time; c = duckdb.connect({str(db)!r}, read_only={read_only}); "
                f"print('held', flush=True); time.sleep({seconds}); c.close(); "
                f"print('released', time.time(), flush=True)")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "held"
        self.pid = self.proc.pid

    def released_at(self) -> float:
        line = self.proc.stdout.readline().split()
        self.proc.wait(timeout=60)
        assert line[0] == "released"
        return float(line[1])

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=60)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(seed=SEED, threads=THREADS, flavour="openai") as emulator:
        yield emulator


def nightly_args(emu: Emulator, db: Path, *extra: str) -> List[str]:
    args = load_args(emu, db, "--out", str(db.with_suffix(".html")), *extra)
    args[0] = "nightly"
    return args


def test_nightly_waits_for_a_notebook_to_let_go_then_completes(emu, tmp_path):
    db, clean_db = tmp_path / "warehouse.duckdb", tmp_path / "clean.duckdb"
    env = key_env(emu)
    assert run_process(*load_args(emu, db), env=env).code == 0  # the notebook's data
    holder = Holder(db, read_only=True, seconds=4)
    started = time.time()
    result = run_process(*nightly_args(emu, db, "--wait", "60"), env=env)
    ended = time.time()
    released = holder.released_at()
    assert result.code == 0, result.err
    assert started < released < ended  # it started while the file was held, and went on once it was not
    assert "built " in result.out and db.with_suffix(".html").exists()
    assert run_process(*load_args(emu, clean_db), env=env).code == 0
    assert snapshot(db) == snapshot(clean_db)


def test_nightly_stops_with_code_4_naming_a_holder_that_never_lets_go(emu, tmp_path):
    db, clean_db = tmp_path / "warehouse.duckdb", tmp_path / "clean.duckdb"
    env = key_env(emu)
    assert run_process(*load_args(emu, db), env=env).code == 0
    before = snapshot(db)
    emu.advance(6 * 3600)  # new runs the blocked nightly must not half-load
    holder = Holder(db, read_only=False, seconds=600)  # an open read-write session: the duckdb CLI
    try:
        started = time.monotonic()
        result = run_process(*nightly_args(emu, db, "--wait", "2"), env=env)
        waited = time.monotonic() - started
    finally:
        holder.kill()
    assert_one_line(result, 4, f"(PID {holder.pid})", str(db), "after waiting 2s", "--wait")
    assert 2 <= waited < 60
    assert snapshot(db) == before and not db.with_suffix(".html").exists()
    # Once the holder is gone, the same nightly finishes the job.
    assert run_process(*nightly_args(emu, db), env=env).code == 0
    assert run_process(*load_args(emu, clean_db), env=env).code == 0
    assert snapshot(db) == snapshot(clean_db)


@pytest.mark.parametrize("command", ["load", "load-threads-sql", "models", "report"])
def test_every_writer_names_a_read_only_holder_and_runs_once_it_is_gone(command, emu, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    env = key_env(emu)
    assert run_process(*load_args(emu, db), env=env).code == 0
    assert run_process("models", "--db", str(db)).code == 0
    args = {"load": load_args(emu, db),
            # reads the file for its thread ids before the load holds it
            "load-threads-sql": load_args(emu, db, "--threads-sql", "select id as thread_id from assistants.threads",
                                          thread_ids=[]),
            "models": ["models", "--db", str(db)],
            "report": ["report", "--db", str(db), "--out", str(tmp_path / "r.html")]}[command]
    holder = Holder(db, read_only=True, seconds=600)  # a notebook, left open
    try:
        result = run_process(*args, "--wait", "0.5", env=env)
    finally:
        holder.kill()
    assert_one_line(result, 4, f"(PID {holder.pid})", "close it there")
    assert run_process(*args, env=env).code == 0
