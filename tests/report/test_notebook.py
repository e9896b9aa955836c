"""The notebook: runs end to end, types no SQL of its own, and holds no connection.

Expected figures come from SQL of their own on the warehouse, never through the notebook's code.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping

import duckdb

from runsteps.report import fmt
from tests.helpers import REPO
from tests.report.other_process import Writer

NOTEBOOK = REPO / "notebooks" / "explore.py"


def run_notebook_cells(db: Path) -> Mapping[str, Any]:
    """Runs every cell of the notebook in this process, as `marimo run` would, and returns its variables."""
    spec = importlib.util.spec_from_file_location("explore_under_test", NOTEBOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, defs = module.app.run(defs={"db_path": db})
    return defs


def test_notebook_runs_as_a_script(warehouse, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(NOTEBOOK), "--db", str(warehouse.db)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    # Its last cell prints what it explored: the 30 days ending with the data's last day.
    with duckdb.connect(str(warehouse.db), read_only=True) as con:
        last_day = con.execute("select max(run_date) from analytics.fct_runs").fetchone()[0]
        runs = con.execute("select count(*) from analytics.fct_runs where run_date > ?",
                           [last_day - timedelta(days=30)]).fetchone()[0]
    assert f"explored {last_day - timedelta(days=29)} - {last_day + timedelta(days=1)}" in result.stdout
    assert f"{fmt.count(runs)} runs" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_notebook_types_no_sql_of_its_own() -> None:
    # Its queries are the report's (runsteps.report.queries, .drilldown): one copy of each.
    source = NOTEBOOK.read_text(encoding="utf-8")
    assert not re.search(r"\bselect\b.+\bfrom\b", source, flags=re.IGNORECASE | re.DOTALL)
    assert "duckdb.connect" not in source


def test_an_open_notebook_lets_another_process_write(warehouse_copy: Path) -> None:
    defs = run_notebook_cells(warehouse_copy)
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        (costliest_assistant,) = con.execute("""
            select assistant_id from analytics.fct_runs
            where run_date > (select max(run_date) from analytics.fct_runs) - 30
            group by assistant_id order by sum(cost_usd) desc nulls last, count(*) desc, assistant_id limit 1
        """).fetchone()
    # The notebook ran every cell, down to the drill-down's default (the costliest assistant) ...
    assert defs["assistant_pick"].value == costliest_assistant
    assert defs["steps"], "the drill-down found no steps"
    # ... and, its variables still alive, holds no connection: the nightly load could write now.
    with Writer(warehouse_copy) as writer:
        assert writer.write() == "ok"
        assert writer.write() == "ok"
    # Its next query opens the file afresh and sees what the other process wrote.
    assert defs["wh"].rows("select attempt from main.written_by_another_process") == [{"attempt": 2}]
