"""Fixtures of the models tests: the golden warehouse on DuckDB and, when a server runs, Postgres."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from runsteps.models import build_models
from tests.models.warehouse import GOLDEN, Warehouse, drop_postgres_schemas, duckdb_warehouse, postgres_warehouse

POSTGRES_DSN = os.environ.get("RUNSTEPS_TEST_POSTGRES_DSN")
NO_POSTGRES = "no PostgreSQL server: set RUNSTEPS_TEST_POSTGRES_DSN (.ci/run starts one)"


def _golden(destination: str, tmp: Path) -> Iterator[Warehouse]:
    if destination == "duckdb":
        yield duckdb_warehouse(tmp / "golden.duckdb", GOLDEN)
        return
    if not POSTGRES_DSN:
        pytest.skip(NO_POSTGRES)
    warehouse = postgres_warehouse(POSTGRES_DSN, GOLDEN, tmp / "pipelines")
    try:
        yield warehouse
    finally:
        drop_postgres_schemas(warehouse)


@pytest.fixture(
    scope="module",
    params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def golden(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The golden fixture loaded through the loader and built, once per module and destination.

    Tests using it must not change it; `fresh_golden` is the one to break.
    """
    for warehouse in _golden(request.param, tmp_path_factory.mktemp(f"golden-{request.param}")):
        build_models(warehouse.pipeline, schema=warehouse.schema)
        yield warehouse


@pytest.fixture
def fresh_golden(tmp_path: Path) -> Warehouse:
    """A golden DuckDB warehouse of the test's own, loaded but not built: free to change."""
    return duckdb_warehouse(tmp_path / "golden.duckdb", GOLDEN)
