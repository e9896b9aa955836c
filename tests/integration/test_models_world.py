"""The marts against the emulator's ground truth: `rpt_daily_usage` totals and failure counts by
error code equal the control plane's `/_emulator/expected`, and the data tests pass."""

from __future__ import annotations

import httpx
import pytest

from runsteps.emulator import Emulator
from runsteps.loading import build_pipeline
from runsteps.models import build_models, run_data_tests
from tests.models.totals import mart_totals
from tests.helpers import key_env, load_args, run_cli

TERMINAL = {"completed", "failed", "cancelled", "expired", "incomplete"}


@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_marts_equal_the_emulators_expected_totals(flavour, db):
    with Emulator(seed=13, threads=20, flavour=flavour) as emu:
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
        expected = httpx.get(f"{emu.root_url}/_emulator/expected").json()
    pipeline = build_pipeline(db, pipelines_dir=db.with_name(db.name + ".dlt"))
    build_models(pipeline)
    totals = mart_totals(pipeline)
    assert totals["run_tokens"] == expected["run_tokens"]
    want = sorted(({k: e[k] for k in ("model", "day", "runs", "prompt_tokens", "completion_tokens", "total_tokens")}
                   for e in expected["tokens_by_model_day"]), key=lambda r: (str(r["model"]), r["day"]))
    assert totals["tokens_by_model_day"] == want
    assert totals["runs_by_last_error_code"] == expected["runs_by_last_error_code"]
    failing = [(t.name, t.failing_rows, t.sample) for t in run_data_tests(pipeline) if t.failing_rows]
    assert failing == []


def test_models_command_builds_and_tests(db):
    with Emulator(seed=13, threads=6, flavour="openai") as emu:
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
    pdir = str(db.with_name(db.name + ".dlt"))
    first = run_cli("models", "--db", str(db), "--pipelines-dir", pdir, "--test")
    assert first.code == 0, first.err
    assert "data tests passed" in first.out
    again = run_cli("models", "--db", str(db), "--pipelines-dir", pdir, "--test")
    assert again.code == 0, again.err
