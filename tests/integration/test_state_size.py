"""What a load writes as state does not grow with the threads ever seen (issue 13).

dlt rewrites its whole state blob on every load that changes it; the per-thread cursors used to live
there (~100 bytes a thread). Now they live in `thread_cursors`, and a load writes the cursors that
moved, in the same package as the data. The state row stays the same size for 10x the threads, and
a load in which no cursor moves writes no cursor row.
"""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb

from runsteps.emulator import Emulator
from tests.helpers import key_env, load_args, run_cli

HOUR = 3600
TERMINAL = {"completed", "failed", "cancelled", "expired", "incomplete"}


def _state_bytes(db: Path) -> int:
    """Bytes of the newest state row dlt wrote."""
    with duckdb.connect(str(db), read_only=True) as con:
        (state,) = con.execute("select state from assistants._dlt_pipeline_state order by version desc limit 1").fetchone()
    return len(state)


def _cursor_rows_written(db: Path) -> int:
    """Rows the last load wrote to thread_cursors, from dlt's own trace of it."""
    pipeline = dlt.attach("runsteps", pipelines_dir=str(db.with_name(db.name + ".dlt")))
    info = pipeline.last_trace.last_normalize_info
    return info.row_counts.get("thread_cursors", 0) if info else 0


def _first_load(tmp_path: Path, threads: int) -> int:
    db = tmp_path / f"w{threads}.duckdb"
    with Emulator(seed=41, threads=threads, flavour="openai") as emu:
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
        assert _cursor_rows_written(db) == len(emu.world.thread_ids())  # every thread's first cursor, once
    return _state_bytes(db)


def test_the_state_row_does_not_grow_with_the_threads(tmp_path):
    small = _first_load(tmp_path, 20)
    large = _first_load(tmp_path, 200)
    assert large < 2048 and large < 1.2 * small, (small, large)


def test_a_load_where_no_cursor_moves_writes_no_cursor_row(tmp_path):
    db = tmp_path / "w.duckdb"
    with Emulator(seed=43, threads=30, flavour="openai") as emu:
        env = key_env(emu)
        assert run_cli(*load_args(emu, db), env=env).code == 0
        state = _state_bytes(db)
        # the clock stands still: no run ends, no cursor can move
        assert run_cli(*load_args(emu, db, thread_ids=[]), env=env).code == 0
        assert _cursor_rows_written(db) == 0
        assert _state_bytes(db) == state
        before = _terminal_runs(emu.world)
        emu.advance(48 * HOUR)  # open runs end and new ones start: some cursors move, the others are not written
        after = _terminal_runs(emu.world)
        assert run_cli(*load_args(emu, db, thread_ids=[]), env=env).code == 0
        moved = [tid for tid in after if after[tid] != before[tid]]  # a cursor moves when a run ends
        assert 0 < len(moved) < 30
        assert _cursor_rows_written(db) == len(moved)


def _terminal_runs(world) -> dict:
    return {tid: {r["id"] for r in world.runs(tid) if r["status"] in TERMINAL} for tid in world.thread_ids()}
