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


def test_publish_writes_a_snapshot_that_a_reader_may_keep_open(db, tmp_path):
    """A BI tool holding the published copy open never blocks the next night, and sees whole snapshots."""
    import subprocess
    import sys

    published = tmp_path / "bi" / "runsteps.duckdb"
    published.parent.mkdir()
    with Emulator(seed=19, threads=6, flavour="openai") as emu:
        args = load_args(emu, db, "--out", str(tmp_path / "r.html"), "--publish", str(published))
        args[0] = "nightly"
        first = run_cli(*args, env=key_env(emu))
        assert first.code == 0, first.err
        runs_first = emu.world.expected()["tables"]["runs"]
        # A reader keeps the published file open, as a BI tool does, while the next night runs.
        holder = subprocess.Popen([sys.executable, "-c", (
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(published)!r}, read_only=True)\n"
            "print(con.execute('select count(*) from assistants.runs').fetchone()[0], flush=True)\n"
            "time.sleep(60)")], stdout=subprocess.PIPE, text=True)
        try:
            assert int(holder.stdout.readline()) == runs_first
            emu.advance(3 * 24 * 3600)
            second = run_cli(*args, env=key_env(emu))
            assert second.code == 0, second.err
            runs_second = emu.world.expected()["tables"]["runs"]
        finally:
            holder.kill()
            holder.wait()
    assert runs_second > runs_first
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from assistants.runs").fetchone()[0] == runs_second
        assert con.execute("select sum(runs) from analytics.rpt_daily_usage").fetchone()[0] == runs_second
    assert [p.name for p in published.parent.iterdir()] == ["runsteps.duckdb"]  # no partial file left


def test_a_report_on_models_of_an_earlier_release_names_the_fix(db, tmp_path):
    """After an upgrade, models built by the earlier release lack what this one reads (here: the
    per-call tool prices and the unpriced_tool_calls mart). A load then a report, with no models step,
    says to run `runsteps models` (exit 2), and does once it has run."""
    out = tmp_path / "r.html"
    with Emulator(seed=19, threads=6, flavour="openai") as emu:
        env = key_env(emu)
        args = load_args(emu, db, "--out", str(out))
        args[0] = "nightly"
        assert run_cli(*args, env=env).code == 0
        with duckdb.connect(str(db)) as con:  # as 0.2's models left them
            con.execute("drop view if exists analytics.unpriced_tool_calls")
            con.execute("drop table if exists analytics.unpriced_tool_calls")
            con.execute("alter table analytics.model_prices drop column web_search_usd_per_kcall")
        emu.advance(24 * 3600)
        assert run_cli(*load_args(emu, db, thread_ids=[]), env=env).code == 0
        report = run_cli("report", "--db", str(db), "--out", str(out))
        assert report.code == 2, report.err
        assert "run `runsteps models`" in report.err and "Traceback" not in report.err
        assert len(report.err.strip().splitlines()) == 1
        assert run_cli("models", "--db", str(db)).code == 0
        assert run_cli("report", "--db", str(db), "--out", str(out)).code == 0
