"""The notebook that ships with runsteps, and opening it with marimo.

`notebooks/explore.py` stays at the top of the repository, where analysts look for it, and the
wheel ships that folder as the package `runsteps_notebooks`, as `sql/` ships as `runsteps_sql`:
an installed runsteps finds its notebook without a checkout. marimo, which runs it, is the
optional extra `notebook`.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Literal, Sequence

from sourcekit.errors import ConfigError

from runsteps.models.project import shipped_package_dirs

NOTEBOOK = "explore.py"
INSTALL_HINT = "pip install 'runsteps[notebook]'"
MODES = ("edit", "run")


class NotebookUnavailableError(ConfigError):
    """marimo, which runs the notebook, is not installed."""


def notebook_path() -> Path:
    """The notebook's file: in the installed `runsteps_notebooks` package, else in the checkout."""
    for folder in shipped_package_dirs("runsteps_notebooks"):
        if (folder / NOTEBOOK).is_file():
            return folder / NOTEBOOK
    # running from a checkout: pipelines/runsteps/report/notebook.py -> repository root
    return Path(__file__).resolve().parents[3] / "notebooks" / NOTEBOOK


def open_notebook(db: Path, mode: Literal["edit", "run"] = "edit", marimo_args: Sequence[str] = ()) -> int:
    """Opens the notebook on a database with marimo, and returns marimo's exit code once it stops.

    marimo runs in a child process on this interpreter and serves the notebook until interrupted
    (Ctrl-C). The notebook opens the database read-only for each query, so it may stay open while
    the nightly load writes.

    Args:
        db: the DuckDB file to explore.
        mode: `edit` to explore and change cells in the browser; `run` to serve it as a read-only app.
        marimo_args: further options for `marimo edit` / `marimo run`, e.g. `["--headless", "--port", "2719"]`.

    Raises:
        NotebookUnavailableError: marimo is not installed (the message is the command that installs it).
        ConfigError: there is no database at `db`.
        ValueError: `mode` is neither `edit` nor `run`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    database = Path(db).expanduser().resolve()
    if not database.is_file():
        raise ConfigError(f"there is no database at {database}: run `runsteps demo` or `runsteps nightly` first")
    try:
        importlib.import_module("marimo")  # only whether it imports: marimo itself runs in a child process
    except ImportError:
        raise NotebookUnavailableError(f"the notebook needs marimo: {INSTALL_HINT}") from None
    command = [sys.executable, "-m", "marimo", mode, *marimo_args, str(notebook_path()),
               "--", "--db", str(database)]
    return subprocess.call(command)
