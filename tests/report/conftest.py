"""Fixtures of the report tests: one warehouse loaded from the emulator and built, for the session.

The chain is the real one: the emulator over HTTP, `runsteps load`, `build_models`. Building it
takes most of this folder's time, so every test here shares it and none may change it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from runsteps.emulator import DEFAULT_CLOCK, Emulator
from runsteps.loading import build_pipeline
from runsteps.models import build_models
from tests.helpers import key_env, load_args, run_cli

# The emulator's clock (2026-08-20T00:00Z) plus a morning: what a nightly run that day would see.
# Passed explicitly so that the tests do not depend on today's date.
REPORT_NOW = datetime.fromtimestamp(DEFAULT_CLOCK, tz=timezone.utc) + timedelta(hours=6)


@dataclass(frozen=True)
class ReportWarehouse:
    """The shared warehouse.

    Attributes:
        db: the DuckDB file.
        pipelines_dir: dlt's working folder for it.
        now: the clock the report tests use.
    """

    db: Path
    pipelines_dir: Path
    now: datetime

    def pipeline(self):
        return build_pipeline(self.db, pipelines_dir=self.pipelines_dir)


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> ReportWarehouse:
    """30 threads of the seed-7 world, loaded with `runsteps load` and built with `build_models`."""
    db = tmp_path_factory.mktemp("report") / "warehouse.duckdb"
    with Emulator(seed=7, threads=30) as emu:
        result = run_cli(*load_args(emu, db), env=key_env(emu))
        assert result.code == 0, result.err
    pipelines_dir = db.with_name(db.name + ".dlt")
    build_models(build_pipeline(db, pipelines_dir=pipelines_dir))
    return ReportWarehouse(db, pipelines_dir, REPORT_NOW)


@pytest.fixture
def warehouse_copy(warehouse: ReportWarehouse, tmp_path: Path) -> Path:
    """A copy of the shared warehouse's file, for a test that writes to it from another process."""
    assert not Path(f"{warehouse.db}.wal").exists(), "the shared warehouse was left with a WAL: copy it too"
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(warehouse.db, copy)
    return copy
