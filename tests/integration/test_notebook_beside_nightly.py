"""The notebook open in marimo's app mode, with a live session that has run every cell, never blocks
the nightly: it opens the database read-only per query and closes it (issue 12's acceptance)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
from websockets.sync.client import connect

from runsteps.emulator import Emulator
from tests.helpers import key_env, load_args, run_cli


def _wait_for_page(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            assert server.poll() is None, f"marimo stopped: {server.stdout.read()}"
            time.sleep(0.25)
    raise AssertionError("marimo did not serve the notebook within 90 s")


def _run_every_cell(port: int):
    """A browser session: connecting starts the app, which runs every cell; returns the open socket."""
    socket = connect(f"ws://127.0.0.1:{port}/ws?session_id=s-nightly-test", open_timeout=30)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        message = json.loads(socket.recv(timeout=max(1.0, deadline - time.monotonic())))
        if message.get("op") == "completed-run":
            return socket
    raise AssertionError("the notebook's cells did not finish within 120 s")


def test_the_nightly_completes_while_the_notebook_is_open_in_app_mode(tmp_path: Path):
    db = tmp_path / "warehouse.duckdb"
    port = 28000 + os.getpid() % 1000
    with Emulator(seed=23, threads=8, flavour="openai") as emu:
        env = key_env(emu)
        assert run_cli(*load_args(emu, db), env=env).code == 0
        assert run_cli("models", "--db", str(db)).code == 0
        server = subprocess.Popen(
            [sys.executable, "-m", "runsteps.cli", "notebook", "--db", str(db), "--mode", "run",
             "--marimo-arg=--headless", f"--marimo-arg=--port={port}"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            _wait_for_page(port, server)
            with _run_every_cell(port):
                emu.advance(2 * 24 * 3600)
                args = load_args(emu, db, "--out", str(tmp_path / "r.html"), "--wait", "30", thread_ids=[])
                args[0] = "nightly"
                result = run_cli(*args, env=env)
                assert result.code == 0, result.err
                assert server.poll() is None  # the notebook is still being served
            runs = emu.world.expected()["tables"]["runs"]
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=30)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from assistants.runs").fetchone()[0] == runs
