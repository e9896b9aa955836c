"""Helpers shared by the tests: the CLI run in-process, emulator request counts, table snapshots."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import duckdb

REPO = Path(__file__).resolve().parents[1]
SPECS_DIR = REPO / "specs"  # the API specs, copied into the repository (specs/README.md says from where)
POSTGRES_DSN = os.environ.get("RUNSTEPS_TEST_POSTGRES_DSN")

# Keys that order each table's rows for comparisons.
TABLE_KEYS = {
    "threads": "id",
    "runs": "id",
    "run_steps": "id",
    "run_step_tool_calls": "step_id, position",
    "code_interpreter_outputs": "step_id, tool_call_position, position",
    "file_search_results": "step_id, tool_call_position, position",
}
RESPONSE_TABLE_KEYS = {
    "responses": "id",
    "response_items": "response_id, position",
    "response_file_search_results": "response_id, item_position, position",
    "response_code_interpreter_outputs": "response_id, item_position, position",
    "conversations": "id",
    "conversation_items": "conversation_id, position",
}
# Columns that legitimately differ between two loads of the same data.
VOLATILE = {"_dlt_load_id", "_dlt_id", "first_seen_at", "last_polled_at", "discovered_via", "last_fetched_at"}


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str, env: Optional[Dict[str, str]] = None) -> CliResult:
    """Run `runsteps ARGS` in this process, as a user would, capturing its output."""
    from runsteps.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse errors
                code = int(exc.code or 0)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return CliResult(code, out.getvalue(), err.getvalue())


def api_requests(stats: dict) -> int:
    """API requests in the emulator's counters (the control plane is not the API)."""
    return sum(sum(by_status.values()) for route, by_status in stats["requests"].items() if "/_emulator" not in route)


def snapshot(db: Path, dataset: str = "assistants", tables: Optional[Dict[str, str]] = None) -> Dict[str, List[Tuple]]:
    """Every raw table's rows (of `tables`: name -> ordering keys; the Assistants tables by default),
    without the columns that differ between loads, in key order."""
    out: Dict[str, List[Tuple]] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table, keys in (tables or TABLE_KEYS).items():
            cols = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by column_name", [dataset, table]).fetchall() if r[0] not in VOLATILE]
            select = ", ".join(f'"{c}"::varchar' for c in cols)
            out[table] = con.execute(f'select {select} from {dataset}."{table}" order by {keys}').fetchall()
    return out


def load_args(emu, db: Path, *extra: str, thread_ids: Optional[Sequence[str]] = None) -> List[str]:
    """`runsteps load` arguments pointing at an emulator (dlt's working folder beside the DuckDB file)."""
    args = ["load", "--db", str(db), "--provider", emu.flavour, "--base-url", emu.base_url, "--progress", "none",
            "--pipelines-dir", str(Path(db).with_name(Path(db).name + ".dlt"))]
    for tid in thread_ids if thread_ids is not None else ([] if emu.flavour == "foundry" else emu.world.thread_ids()):
        args += ["--thread-id", tid]
    return args + list(extra)


def key_env(emu) -> Dict[str, str]:
    name = {"openai": "OPENAI_API_KEY", "azure": "AZURE_OPENAI_API_KEY", "foundry": "AZURE_AI_AGENTS_TOKEN"}[emu.flavour]
    return {name: emu.api_key}


