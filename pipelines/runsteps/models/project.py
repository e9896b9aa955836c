"""The SQL project on disk: where `sql/` is, and the models and data tests it holds.

`sql/` stays at the top of the repository so analysts find it, and the wheel ships the same folder
as the package `runsteps_sql`. Nothing here talks to a database.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

# Schema names as written in the SQL files. The runner rewrites both when the pipeline's dataset
# or the requested models schema is named differently.
SOURCE_SCHEMA = "assistants"
MODELS_SCHEMA = "analytics"

# Model folders, in the order a reader meets them (the build order comes from the SQL itself).
LAYERS = ("staging", "intermediate", "marts")
TESTS_FOLDER = "tests"
PRICE_OVERRIDES_FILE = Path("seeds") / "price_overrides.csv"
DEPLOYMENTS_FILE = Path("seeds") / "deployments.csv"


@dataclass(frozen=True)
class SqlFile:
    """One SQL file of the project: a model (a view) or a data test (a query for offending rows).

    Attributes:
        name: the file name without `.sql`; a model's name is its view's name.
        layer: `staging`, `intermediate`, `marts`, or `tests` for a data test.
        path: where the file is.
        sql: the file's text.
    """

    name: str
    layer: str
    path: Path
    sql: str


def shipped_package_dirs(package: str) -> List[Path]:
    """Folders of an installed top-level package that holds data files (none when not installed).

    `sql/` and `notebooks/` ship in the wheel as the packages `runsteps_sql` and
    `runsteps_notebooks`; a checkout that was never installed has neither.

    Args:
        package: the top-level package name.
    """
    # The import spec lists the package's folders whatever the install (wheel, editable,
    # namespace package); importlib.resources.files() raises on an editable namespace mapping.
    spec = importlib.util.find_spec(package)
    if spec is None:
        return []
    folders = list(spec.submodule_search_locations or [])
    if not folders and spec.origin:
        folders = [str(Path(spec.origin).parent)]
    return [Path(p) for p in folders if Path(p).is_dir()]


def default_sql_dir() -> Path:
    """Finds the shipped `sql/` folder: the installed `runsteps_sql` package, else the repository's.

    Returns:
        The folder holding `staging/`, `intermediate/`, `marts/`, `tests/` and `seeds/`.
    """
    for folder in shipped_package_dirs("runsteps_sql"):
        if (folder / "marts").is_dir():
            return folder
    # running from a checkout: pipelines/runsteps/models/project.py -> repository root
    return Path(__file__).resolve().parents[3] / "sql"


def resolve_sql_dir(sql_dir: Optional[Path]) -> Path:
    """Returns `sql_dir`, or the shipped folder when it is None, after checking it is a project.

    Raises:
        FileNotFoundError: the folder has no `marts/` folder, so it is not a models project.
    """
    path = Path(sql_dir) if sql_dir is not None else default_sql_dir()
    if not (path / "marts").is_dir():
        raise FileNotFoundError(f"{path} is not a runsteps SQL folder: it has no marts/ folder")
    return path


def _read_folder(folder: Path, layer: str) -> List[SqlFile]:
    if not folder.is_dir():
        return []
    return [
        SqlFile(name=path.stem, layer=layer, path=path, sql=path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.sql"))
    ]


def load_models(sql_dir: Path) -> List[SqlFile]:
    """Reads every model file of the project.

    Raises:
        ValueError: two files define a model of the same name.
    """
    models = [m for layer in LAYERS for m in _read_folder(sql_dir / layer, layer)]
    seen: dict[str, Path] = {}
    for model in models:
        if model.name in seen:
            raise ValueError(f"model {model.name!r} is defined twice: {seen[model.name]} and {model.path}")
        seen[model.name] = model.path
    return models


def load_data_tests(sql_dir: Path) -> List[SqlFile]:
    """Reads every data test of the project (`tests/*.sql`), sorted by name."""
    return _read_folder(sql_dir / TESTS_FOLDER, TESTS_FOLDER)
