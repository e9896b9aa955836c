"""`runsteps demo` works offline on a fresh directory, as the README's first command promises."""

from __future__ import annotations

import os
import subprocess
import sys

from datetime import date, timedelta

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
    assert "migration: Assistants API until 2026-08-20, Responses API from then on" in out
    assert "with cache discounts (Responses)" in out  # the report says which share is which
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from assistants.threads").fetchall()[0][0] == 12
        by_api = dict(con.execute("select api, count(*) from analytics.rpt_daily_usage group by api").fetchall())
        assert set(by_api) == {"assistants", "responses"} and all(by_api.values())
        days = con.execute("select run_date, string_agg(distinct api, ',') from analytics.rpt_daily_usage "
                           "where cost_usd > 0 group by run_date order by run_date").fetchall()
        # one history: the Assistants days, then the Responses days from the migration on, never both
        apis = [a for _, a in days]
        assert all("," not in a for a in apis)
        assert apis == sorted(apis)  # 'assistants' days all come before 'responses' days
        first_responses = days[apis.index("responses")][0]
        last_assistants = days[apis.index("responses") - 1][0]
        assert (last_assistants, first_responses) == (date(2026, 8, 19), date(2026, 8, 20))
        # the Responses side is a cost on every day, no gap, to the end of its clock
        responses_days = [d for d, a in days if a == "responses"]
        assert responses_days == [first_responses + timedelta(days=i) for i in range(len(responses_days))]
        assert len(responses_days) >= 14
    html = (tmp_path / "demo" / "report.html").read_text(encoding="utf-8")
    assert "Daily cost by API" in html and "Responses API (with cache discounts)" in html
    # A second demo starts fresh instead of mixing two orgs.
    again = subprocess.run([sys.executable, "-m", "runsteps.cli", "demo", "--dir", str(tmp_path / "demo"), "--threads", "5"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from assistants.threads").fetchall()[0][0] == 5
