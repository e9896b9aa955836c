"""`runsteps --help` answers at once: the CLI imports no heavy package until a command runs.

Measured by what gets imported, not by a stopwatch (these machines are shared and noisy): dlt, DuckDB,
httpx, pyarrow and the emulator's server together took 0.8 s warm and ~2 s cold before.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("dlt", "duckdb", "httpx", "pyarrow", "uvicorn", "orjson", "sqlglot", "genai_prices")


def _imported_by(code: str) -> set:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_the_cli_and_its_help_import_nothing_heavy():
    loaded = _imported_by(
        "import contextlib, io\nfrom runsteps.cli import build_parser\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        build_parser().parse_args(['--help'])\n    except SystemExit:\n        pass")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_every_command_help_imports_nothing_heavy():
    loaded = _imported_by(
        "import contextlib, io\nfrom runsteps.cli import build_parser\np = build_parser()\n"
        "for c in ['load', 'models', 'report', 'nightly', 'notebook', 'demo', 'emulate']:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n            p.parse_args([c, '--help'])\n        except SystemExit:\n            pass")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_emulate_help_shows_the_emulators_own_flags():
    out = subprocess.run([sys.executable, "-m", "runsteps.cli", "emulate", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--flavour" in out.stdout and "runsteps emulate" in out.stdout, out.stdout + out.stderr
