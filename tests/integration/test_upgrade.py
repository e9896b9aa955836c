"""A warehouse written by an earlier release keeps loading: incrementally, with the predicted
requests, then models and report with the same numbers as a fresh load.

The fixtures (tests/fixtures/warehouses/README.md) were written by the release named in their file
name, before the change they guard; nothing here rebuilds them.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import orjson

from runsteps.emulator import Emulator
from tests.helpers import REPO, api_requests, key_env, load_args, run_cli, snapshot
from tests.integration.test_load import assert_equals_world, predicted_requests

FIXTURES = REPO / "tests" / "fixtures" / "warehouses"


def _unpack(name: str, into: Path) -> Path:
    db = into / "warehouse.duckdb"
    with gzip.open(FIXTURES / name) as src, open(db, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return db


def _marts(db: Path) -> dict:
    """The marts' rows; sums of floats rounded (rows stored in another order add up in another order)."""
    def rounded(row: tuple) -> tuple:
        return tuple(round(v, 9) if isinstance(v, float) else v for v in row)

    with duckdb.connect(str(db), read_only=True) as con:
        return {table: sorted(map(rounded, con.execute(f"select * from analytics.{table}").fetchall()), key=repr)
                for table in ("rpt_daily_usage", "rpt_failure_rates", "rpt_tool_usage")}


def _state_blob(db: Path) -> dict:
    """The newest dlt state of the pipeline, decoded (dlt stores it compressed and base64-encoded)."""
    from dlt.common.versioned_state import decompress_state

    with duckdb.connect(str(db), read_only=True) as con:
        blob = con.execute("select state from assistants._dlt_pipeline_state order by version desc limit 1").fetchone()[0]
    return orjson.loads(orjson.dumps(decompress_state(blob)))


def test_a_v0_1_warehouse_loads_incrementally_with_the_predicted_requests(tmp_path):
    db = _unpack("v0.1.0-openai-seed5-30threads.duckdb.gz", tmp_path)
    with Emulator(seed=5, threads=30, flavour="openai") as emu:
        world, env = emu.world, key_env(emu)
        ids = world.thread_ids()
        before = {tid: world.runs(tid) for tid in ids}  # what 0.1.0 loaded, at the default clock
        emu.advance(3600)
        expected_requests = predicted_requests(world, before, ids)

        # No thread is named: the known ones come from the old state (restored from the database,
        # since the working folder is new), and they are polled from their old watermarks.
        result = run_cli(*load_args(emu, db, "--include-file-search-content", thread_ids=[]), env=env)
        assert result.code == 0, result.err
        assert api_requests(emu.stats()) == expected_requests
        assert_equals_world(db, world.expected())

        # The cursors moved into the dataset and out of the state blob.
        with duckdb.connect(str(db), read_only=True) as con:
            assert con.execute("select count(*) from assistants.thread_cursors").fetchone()[0] == len(ids)
        assert "threads" not in str(_state_blob(db).get("sources", {}))

        # The next load, nothing having changed, fetches what the cursors predict, no more.
        now = {tid: world.runs(tid) for tid in ids}
        emu.reset_stats()
        assert run_cli(*load_args(emu, db, "--include-file-search-content", thread_ids=[]), env=env).code == 0
        assert api_requests(emu.stats()) == predicted_requests(world, now, ids)

        # Models and report on the upgraded warehouse equal those of a fresh load of the same world.
        fresh = tmp_path / "fresh.duckdb"
        assert run_cli(*load_args(emu, fresh, "--include-file-search-content"), env=env).code == 0
    assert snapshot(db) == snapshot(fresh)
    for warehouse in (db, fresh):
        assert run_cli("models", "--db", str(warehouse)).code == 0
        report = run_cli("report", "--db", str(warehouse), "--out", str(warehouse.with_suffix(".html")))
        assert report.code == 0, report.err
    assert _marts(db) == _marts(fresh)
