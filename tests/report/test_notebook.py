"""The notebook: runs end to end, types no SQL of its own, holds no connection, and ships in the wheel.

Expected figures come from SQL of their own on the warehouse, never through the notebook's code.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping

import duckdb
import httpx
import pytest

from runsteps.report import fmt
from runsteps.report.notebook import NotebookUnavailableError, notebook_path, open_notebook
from tests.helpers import REPO
from tests.report.other_process import Writer


def run_notebook_cells(db: Path) -> Mapping[str, Any]:
    """Runs every cell of the shipped notebook in this process, as `marimo run` would, and returns its variables."""
    spec = importlib.util.spec_from_file_location("explore_under_test", notebook_path())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, defs = module.app.run(defs={"db_path": db})
    return defs


def test_notebook_runs_as_a_script(warehouse, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(notebook_path()), "--db", str(warehouse.db)],
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
    source = notebook_path().read_text(encoding="utf-8")
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


def test_open_notebook_without_marimo_says_how_to_install_it(warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "marimo", None)  # `import marimo` now raises ImportError
    with pytest.raises(NotebookUnavailableError) as raised:
        open_notebook(warehouse.db, "edit")
    assert str(raised.value) == "the notebook needs marimo: pip install 'runsteps[notebook]'"


def test_open_notebook_serves_the_shipped_notebook(warehouse, tmp_path: Path) -> None:
    port = 27000 + os.getpid() % 1000
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from runsteps.report.notebook import open_notebook; "
         "sys.exit(open_notebook(sys.argv[1], 'run', ['--headless', '--port', sys.argv[2]]))",
         str(warehouse.db), str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        page = None
        deadline = time.monotonic() + 60
        while page is None and time.monotonic() < deadline:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            except httpx.TransportError:
                assert server.poll() is None, f"marimo stopped: {server.stdout.read()}"
                time.sleep(0.25)
        assert page is not None and page.status_code == 200
        assert "runsteps: explore costs and failures" in page.text
        assert f'"filename": "{notebook_path()}"' in page.text
    finally:
        os.killpg(server.pid, signal.SIGINT)  # marimo runs in a child of the server process: stop both
        server.wait(timeout=30)


def test_the_wheel_ships_the_notebook_where_an_installed_runsteps_finds_it(tmp_path: Path) -> None:
    source = tmp_path / "source"
    # Built from a copy, so that the build leaves nothing in the checkout.
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "__marimo__")
    for part in ("pipelines", "sql", "notebooks"):
        shutil.copytree(REPO / part, source / part, ignore=ignore)
    for part in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / part, source / part)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("runsteps-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        assert "runsteps_notebooks/explore.py" in archive.namelist()
        archive.extractall(installed)  # what pip does with a pure-Python wheel
    # A fresh interpreter with the installed copy first on its path, run away from the checkout.
    found = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import runsteps; "
         "from runsteps.report.notebook import notebook_path; print(runsteps.__file__); print(notebook_path())",
         str(installed)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": ""})
    assert found.returncode == 0, found.stderr
    package, notebook = (Path(line) for line in found.stdout.split())
    assert installed in package.parents, "the interpreter imported the checkout, not the installed copy"
    assert notebook == installed / "runsteps_notebooks" / "explore.py"
    assert notebook.read_text(encoding="utf-8") == notebook_path().read_text(encoding="utf-8")
