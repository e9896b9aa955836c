"""Shared fixtures: a DuckDB path per test, and the PostgreSQL server when one runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import POSTGRES_DSN


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def postgres_dsn() -> str:
    if not POSTGRES_DSN:
        pytest.skip("no PostgreSQL server: set RUNSTEPS_TEST_POSTGRES_DSN (.ci/run starts one)")
    return POSTGRES_DSN
