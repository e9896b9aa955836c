"""The command line: help text, export mode, and serving with `python -m runsteps.emulator`."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import time

import pytest

from runsteps.emulator import World
from runsteps.emulator.cli import add_arguments, main

from .conftest import CTL, REPO


def test_help_explains_every_flag():
    parser = argparse.ArgumentParser(prog="runsteps emulate")
    add_arguments(parser)
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            assert action.help and len(action.help) > 10, action.option_strings
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = out.getvalue()
    for flag in ("--host", "--port", "--seed", "--threads", "--runs-per-thread", "--steps-per-run", "--flavour",
                 "--api-key", "--latency-ms", "--jitter-ms", "--rate-limit-rpm", "--fault-429", "--fault-500",
                 "--fault-reset", "--fault-stall", "--fault-truncated", "--fault-seed", "--export"):
        assert flag in text, flag
    assert "examples:" in text and "/_emulator/" in text


def test_export_and_exit(tmp_path):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--export", str(tmp_path), "--seed", "3", "--threads", "4", "--runs-per-thread", "3"])
    assert code == 0
    expected = World(seed=3, threads=4, runs_per_thread=3).expected()["tables"]
    assert len(list((tmp_path / "threads").glob("*.json"))) == expected["threads"]
    assert len(list((tmp_path / "steps").rglob("*.json"))) == expected["runs"]
    assert f"{expected['runs']} runs" in out.getvalue()


def test_bad_flags_exit_with_an_error():
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["--fault-500", "0.7", "--fault-502", "0.7", "--port", "0"]) == 2
    assert "probabilities" in err.getvalue()


def test_python_dash_m_serves_and_prints_url_and_key():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "pipelines"), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen([sys.executable, "-m", "runsteps.emulator", "--port", "0", "--threads", "3",
                             "--api-key", "sk-cli-test"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
        base = next(line.split(":", 1)[1].strip() for line in lines if "base URL" in line)
        assert any("sk-cli-test" in line for line in lines)
        assert base.endswith("/v1")
        root = base[: -len("/v1")]
        deadline = time.monotonic() + 10
        while True:
            try:
                r = CTL.get(root + "/_emulator/threads")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert len(r.json()["data"]) == 3
        r = CTL.get(base + "/assistants", headers={"Authorization": "Bearer sk-cli-test", "OpenAI-Beta": "assistants=v2"})
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
