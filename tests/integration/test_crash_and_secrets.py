"""Crashes lose nothing (SIGKILL during extract, normalize and load), and the API key stays secret,
for every API and flavour (`tests.apis.CASES`)."""

from __future__ import annotations

import gzip
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import duckdb
import pyarrow.parquet as pq
import pytest

from runsteps.emulator import Emulator, TrafficConfig
from tests.apis import CASES, ApiCase
from tests.helpers import REPO, api_requests, key_env, run_cli, snapshot


def _spawn(case: ApiCase, emu, db: Path) -> subprocess.Popen:
    env = {**os.environ, **key_env(emu)}
    return subprocess.Popen([sys.executable, "-m", "runsteps.cli", *case.load_args(emu, db)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _package_dirs(db: Path, stage: str) -> List[Path]:
    """dlt's load packages in a stage: normalize/extracted (normalize pending), load/new (load pending)."""
    root = db.with_name(db.name + ".dlt") / "runsteps"
    folder = {"normalize": root / "normalize" / "extracted", "load": root / "load" / "new"}[stage]
    return [p for p in folder.glob("*") if p.is_dir()] if folder.exists() else []


def _kill_at(proc: subprocess.Popen, db: Path, phase: str, rng: random.Random, emu) -> bool:
    """SIGKILL the load during `phase`; returns whether it was still running when killed."""
    deadline = time.monotonic() + 120
    if phase == "extract":
        # Mid-extraction: after a random number of API requests (not a fixed sleep, which a fast
        # start or a busy machine turns into a kill before or after extraction).
        emu.reset_stats()
        after = rng.randint(1, 20)
        while time.monotonic() < deadline and proc.poll() is None and api_requests(emu.stats()) < after:
            time.sleep(0.002)
    else:
        while time.monotonic() < deadline and proc.poll() is None and not _package_dirs(db, phase):
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.05))
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


def _assert_no_duplicate_keys(db: Path, table_keys: dict) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        for table, keys in table_keys.items():
            dupes = con.execute(f"select count(*) from (select {keys} from assistants.{table} group by all having count(*) > 1)").fetchone()[0]
            assert dupes == 0, table


# Kills per API case: the Assistants path's eleven, and six for each Responses flavour (its loads are
# shorter, and the suite's time budget is shared).
KILL_PHASES = {
    "assistants": ["extract"] * 4 + ["normalize"] * 3 + ["load"] * 4,
    "responses": ["extract"] * 2 + ["normalize"] * 2 + ["load"] * 2,
}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=str)
def test_sigkill_at_random_moments_loses_nothing(case: ApiCase, tmp_path):
    rng = random.Random(2026)
    phases = KILL_PHASES[case.api]
    with case.emulator(31, 25 if case.api == "assistants" else 12, traffic=TrafficConfig(latency_ms=5)) as emu:
        clean = tmp_path / "clean.duckdb"
        assert run_cli(*case.load_args(emu, clean), env=key_env(emu)).code == 0
        expected = snapshot(clean, table_keys=case.table_keys)
        # What the clean warehouse's next load fetches with nothing changed (an idle load changes
        # nothing, so once is enough).
        emu.reset_stats()
        assert run_cli(*case.load_args(emu, clean, name_all=False), env=key_env(emu)).code == 0
        clean_idle = api_requests(emu.stats())
        killed_in = []
        for i, phase in enumerate(phases):
            db = tmp_path / f"killed-{i}.duckdb"
            if i % 2:  # every other kill hits an incremental load on top of an earlier one
                assert run_cli(*case.partial_load_args(emu, db), env=key_env(emu)).code == 0
            proc = _spawn(case, emu, db)
            if _kill_at(proc, db, phase, rng, emu):
                killed_in.append(phase)
            else:
                proc.communicate()
            rerun = run_cli(*case.load_args(emu, db), env=key_env(emu))
            assert rerun.code == 0, (phase, rerun.err)
            assert snapshot(db, table_keys=case.table_keys) == expected, phase
            _assert_no_duplicate_keys(db, case.table_keys)
            # The state agrees with the data: with nothing changed, the next load fetches only what
            # a clean warehouse's next load fetches.
            emu.reset_stats()
            assert run_cli(*case.load_args(emu, db, name_all=False), env=key_env(emu)).code == 0
            assert api_requests(emu.stats()) == clean_idle, phase
    assert len(killed_in) >= len(phases) - 1 and {"extract", "normalize", "load"} <= set(killed_in), killed_in


SENTINEL = "sk-SENTINEL-do-not-leak-7f3a9c"


def _texts_in(root: Path):
    """Every file below `root` as text, decompressing parquet and gzip so nothing hides."""
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield path, data.decode("utf-8", "replace")
        if path.suffix == ".parquet":
            yield path, str(pq.read_table(path).to_pylist())
        if data[:2] == b"\x1f\x8b":
            yield path, gzip.decompress(data).decode("utf-8", "replace")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_api_key_appears_nowhere(case: ApiCase, tmp_path):
    """Not in the output (with -v), the warehouse, dlt's state, its traces and load packages, nor
    an archive: after a load that succeeds, one refused mid-load (401), and the key given the dlt way."""
    db = tmp_path / "warehouse.duckdb"
    with case.emulator(8, 6, api_key=SENTINEL) as emu:
        an_id = case.a_loaded_id(emu)
        env = {**os.environ, case.key_variable: SENTINEL}
        outputs = []
        archive = ["--archive", str(tmp_path / "archive")] if case.api == "assistants" else []
        ok = subprocess.run([sys.executable, "-m", "runsteps.cli", "-v", *case.load_args(emu, db, *archive)],
                            env=env, capture_output=True, text=True)
        assert ok.returncode == 0, ok.stderr
        outputs += [ok.stdout, ok.stderr]
        emu.advance(3600)
        emu.set_traffic(TrafficConfig(persistent_status=401, fault_after_requests=3))
        failed = subprocess.run([sys.executable, "-m", "runsteps.cli", "-v", *case.load_args(emu, db)],
                                env=env, capture_output=True, text=True)
        assert failed.returncode == 2
        outputs += [failed.stdout, failed.stderr]
        emu.set_traffic(TrafficConfig())
        # the key may also be given the dlt way; it must be treated as a secret there too
        dlt_env = {**os.environ, case.dlt_key_variable: SENTINEL, case.key_variable: ""}
        if case.api == "assistants":
            dlt_args = ["load", "--db", str(db), "--from-export", str(REPO / "tests" / "fixtures" / "exports" / "small")]
        else:
            dlt_args = case.load_args(emu, db)
        dlt_way = subprocess.run([sys.executable, "-m", "runsteps.cli", "-v", *dlt_args], env=dlt_env,
                                 capture_output=True, text=True)
        assert dlt_way.returncode == 0, dlt_way.stderr
        outputs += [dlt_way.stdout, dlt_way.stderr]
    assert len("".join(outputs)) > 100  # debug logging produced something to scan
    for text in outputs:
        assert SENTINEL not in text
    scanned = list(_texts_in(tmp_path))
    assert any(an_id in text for _, text in scanned)  # the scan does see the loaded data
    assert any("trace" in path.name for path, _ in scanned)  # and dlt's traces
    if archive:
        assert any("archive" in path.parts for path, _ in scanned)
    for path, text in scanned:
        assert SENTINEL not in text, path
    with duckdb.connect(str(db), read_only=True) as con:
        from dlt.pipeline.state_sync import decompress_state

        for (state,) in con.execute("select state from assistants._dlt_pipeline_state").fetchall():
            assert SENTINEL not in str(decompress_state(state))
        for (table,) in con.execute("select table_name from information_schema.tables "
                                    "where table_schema = 'assistants'").fetchall():
            rows = con.execute(f'select * from assistants."{table}"').fetchall()
            assert SENTINEL not in str(rows), table
