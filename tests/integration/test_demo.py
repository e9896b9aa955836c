"""`runsteps demo` works offline on a fresh directory, as the README's first command promises."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb


def test_demo_loads_builds_reports_and_says_what_next(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("API_KEY")}
    result = subprocess.run([sys.executable, "-m", "runsteps.cli", "demo", "--dir", str(tmp_path / "demo"), "--threads", "12"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in ("loaded into", "tables (schema assistants):", "run_steps", "sample query:",
                     "built ", "rpt_daily_usage", "report: ", "notebook: runsteps notebook --db", "what to try next:"):
        assert expected in out, expected
    db = tmp_path / "demo" / "runsteps.duckdb"
    assert (tmp_path / "demo" / "report.html").exists()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from assistants.threads").fetchall()[0][0] == 12
    # A second demo starts fresh instead of mixing two orgs.
    again = subprocess.run([sys.executable, "-m", "runsteps.cli", "demo", "--dir", str(tmp_path / "demo"), "--threads", "5"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from assistants.threads").fetchall()[0][0] == 5
