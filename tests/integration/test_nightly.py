"""`runsteps nightly`: load, models and report in one command, as cron runs it."""

from __future__ import annotations

import duckdb

from runsteps.emulator import Emulator
from tests.helpers import key_env, load_args, run_cli


def test_nightly_loads_builds_and_reports(db, tmp_path):
    out = tmp_path / "costs.html"
    with Emulator(seed=19, threads=8, flavour="openai") as emu:
        args = load_args(emu, db, "--out", str(out))
        args[0] = "nightly"
        result = run_cli(*args, env=key_env(emu))
        assert result.code == 0, result.err
        runs = emu.world.expected()["tables"]["runs"]
    assert f"{runs} runs" in result.out            # the load's line
    assert "built " in result.out and "models" in result.out
    assert "Cost:" in result.out and "Error rate:" in result.out and "Not completed:" in result.out  # the summary
    assert out.exists() and "<svg" in out.read_text()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select sum(runs) from analytics.rpt_daily_usage").fetchall()[0][0] == runs


def test_nightly_without_a_key_exits_2_before_building_anything(db, tmp_path):
    with Emulator(seed=19, threads=3, flavour="openai") as emu:
        args = load_args(emu, db, "--out", str(tmp_path / "r.html"))
        args[0] = "nightly"
        result = run_cli(*args, env={"OPENAI_API_KEY": ""})
    assert result.code == 2 and "no API key" in result.err
    assert not (tmp_path / "r.html").exists()
