"""Crashes lose nothing (SIGKILL during extract, normalize and load), and the API key stays secret."""

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
from tests.helpers import TABLE_KEYS, api_requests, key_env, load_args, run_cli, snapshot


def _spawn(emu, db: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, **key_env(emu)}
    return subprocess.Popen([sys.executable, "-m", "runsteps.cli", *load_args(emu, db, *extra)],
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


def _assert_no_duplicate_keys(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        for table, keys in TABLE_KEYS.items():
            dupes = con.execute(f"select count(*) from (select {keys} from assistants.{table} group by all having count(*) > 1)").fetchone()[0]
            assert dupes == 0, table


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(tmp_path):
    rng = random.Random(2026)
    phases = ["extract"] * 4 + ["normalize"] * 3 + ["load"] * 4
    with Emulator(seed=31, threads=25, flavour="openai", traffic=TrafficConfig(latency_ms=5)) as emu:
        clean = tmp_path / "clean.duckdb"
        assert run_cli(*load_args(emu, clean), env=key_env(emu)).code == 0
        expected = snapshot(clean)
        killed_in = []
        for i, phase in enumerate(phases):
            db = tmp_path / f"killed-{i}.duckdb"
            if i % 2:  # every other kill hits an incremental load on top of an earlier one
                assert run_cli(*load_args(emu, db, thread_ids=emu.world.thread_ids()[:10]), env=key_env(emu)).code == 0
            proc = _spawn(emu, db)
            if _kill_at(proc, db, phase, rng, emu):
                killed_in.append(phase)
            else:
                proc.communicate()
            rerun = run_cli(*load_args(emu, db), env=key_env(emu))
            assert rerun.code == 0, (phase, rerun.err)
            assert snapshot(db) == expected, phase
            _assert_no_duplicate_keys(db)
            # The state agrees with the data: with nothing changed, the next load fetches only what
            # a clean warehouse's next load fetches.
            emu.reset_stats()
            assert run_cli(*load_args(emu, db, thread_ids=[]), env=key_env(emu)).code == 0
            after_crash = api_requests(emu.stats())
            emu.reset_stats()
            assert run_cli(*load_args(emu, clean, thread_ids=[]), env=key_env(emu)).code == 0
            assert after_crash == api_requests(emu.stats()), phase
    assert len(killed_in) >= 10 and {"extract", "normalize", "load"} <= set(killed_in), killed_in


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


def test_the_api_key_appears_nowhere(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with Emulator(seed=8, threads=6, flavour="openai", api_key=SENTINEL) as emu:
        a_thread = emu.world.thread_ids()[-1]
        env = {**os.environ, "OPENAI_API_KEY": SENTINEL}
        outputs = []
        ok = subprocess.run([sys.executable, "-m", "runsteps.cli", "-v", *load_args(emu, db)],
                            env=env, capture_output=True, text=True)
        assert ok.returncode == 0, ok.stderr
        outputs += [ok.stdout, ok.stderr]
        emu.advance(3600)
        emu.set_traffic(TrafficConfig(persistent_status=401, fault_after_requests=3))
        failed = subprocess.run([sys.executable, "-m", "runsteps.cli", "-v", *load_args(emu, db)],
                                env=env, capture_output=True, text=True)
        assert failed.returncode == 2
        outputs += [failed.stdout, failed.stderr]
    # the key may also be given the dlt way; it must be treated as a secret there too
    dlt_way = subprocess.run([sys.executable, "-m", "runsteps.cli", "-v", "load", "--db", str(db),
                              "--from-export", str(Path(__file__).parents[1] / "fixtures" / "exports" / "small")],
                             env={**os.environ, "SOURCES__OPENAI_ASSISTANTS__API_KEY": SENTINEL},
                             capture_output=True, text=True)
    outputs += [dlt_way.stdout, dlt_way.stderr]
    assert len("".join(outputs)) > 100  # debug logging produced something to scan
    for text in outputs:
        assert SENTINEL not in text
    scanned = list(_texts_in(tmp_path))
    assert any(a_thread in text for _, text in scanned)  # the scan does see the loaded data
    for path, text in scanned:
        assert SENTINEL not in text, path
    with duckdb.connect(str(db), read_only=True) as con:
        from dlt.common.storages.load_package import TLoadPackageStatus  # noqa: F401  (dlt is importable)
        from dlt.pipeline.state_sync import decompress_state

        for (state,) in con.execute("select state from assistants._dlt_pipeline_state").fetchall():
            assert SENTINEL not in str(decompress_state(state))
        for table in ("runs", "run_steps", "threads", "load_issues"):
            rows = con.execute(f"select * from assistants.{table}").fetchall()
            assert SENTINEL not in str(rows)
