"""A kill inside dlt's normalize step leaves the package in two places; the next load repairs it
and finishes it, without losing or duplicating rows (the SIGKILL loop hits this only by chance)."""

from __future__ import annotations

import shutil

from openai_assistants import export_source
from runsteps.loading import build_pipeline, run_load
from tests.helpers import REPO, snapshot

SMALL_EXPORT = REPO / "tests" / "fixtures" / "exports" / "small"


def _pipeline(db):
    return build_pipeline(db, pipelines_dir=db.with_name(db.name + ".dlt"))


def test_killed_after_the_rename_but_before_the_cleanup(tmp_path):
    clean, db = tmp_path / "clean.duckdb", tmp_path / "killed.duckdb"
    run_load(_pipeline(clean), export_source(str(SMALL_EXPORT)))

    pipeline = _pipeline(db)
    pipeline.extract(export_source(str(SMALL_EXPORT)))
    (load_id,) = pipeline.list_extracted_load_packages()
    extracted = tmp_path / "extracted-copy"
    shutil.copytree(f"{pipeline.working_dir}/normalize/extracted/{load_id}", extracted)
    pipeline.normalize()
    # What the kill leaves: the finished package, the extracted one, and a half-written new one.
    shutil.copytree(extracted, f"{pipeline.working_dir}/normalize/extracted/{load_id}")
    shutil.copytree(extracted, f"{pipeline.working_dir}/load/new/{load_id}")

    run_load(_pipeline(db), export_source(str(SMALL_EXPORT)))
    assert snapshot(db) == snapshot(clean)
