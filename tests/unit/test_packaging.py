"""The wheel ships every package and the SQL models (an installed copy must find sql/)."""

from __future__ import annotations

import tomllib

from tests.helpers import REPO


def test_every_package_under_pipelines_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {str(p.parent.relative_to(REPO / "pipelines")).replace("/", ".")
             for p in (REPO / "pipelines").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert "runsteps_sql" in listed and "runsteps_notebooks" in listed
