"""The contenders, each run as a fresh child process so that its wall time and peak RSS are its own.

- `runsteps`: the `runsteps load` CLI, as a user runs it.
- `rest_api`: dlt's declarative `rest_api` source configured for the same endpoints
  (threads → runs → steps), cursor paging on `last_id`/`has_more`, `parallelized=True`, into DuckDB.
- `sdk`: a plain loop over the official `openai` SDK with its auto-pagination, rows inserted into
  DuckDB with `executemany`.
- `bare`: the S3 ceiling: an async httpx fetch of the same pages, discarded (see `fetch.py`).

The harness side (`command_for`, `count_steps`) builds the command line and reads the result; the
child side is `python -m benchmarks.contenders NAME ...`, which prints one JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
CONTENDERS = ("runsteps", "rest_api", "sdk", "bare")
LABELS = {
    "runsteps": "runsteps load",
    "rest_api": "dlt rest_api (parallelized)",
    "sdk": "openai SDK loop",
    "bare": "bare httpx fetch (ceiling)",
}


def child_env(api_key: str) -> Dict[str, str]:
    """The environment of a contender: the emulator's key, no dlt telemetry (no network here)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__", "RUNSTEPS_"))}
    env.update({
        "OPENAI_API_KEY": api_key,
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    })
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(proxy, None)
    return env


def command_for(name: str, base_url: str, threads_file: Path, db: Path, workdir: Path,
                concurrency: int = 16, python: str = sys.executable, extra: Optional[List[str]] = None) -> List[str]:
    """The command line that runs one contender."""
    if name == "runsteps":
        runsteps = Path(python).with_name("runsteps")
        cmd = [str(runsteps)] if runsteps.exists() else [python, "-m", "runsteps.cli"]
        return cmd + ["load", "--db", str(db), "--provider", "openai", "--base-url", base_url,
                      "--threads-file", str(threads_file), "--concurrency", str(concurrency),
                      "--progress", "none", *(extra or [])]
    if name in ("rest_api", "sdk", "bare"):
        return [python, "-m", "benchmarks.contenders", name, "--base-url", base_url, "--threads-file",
                str(threads_file), "--db", str(db), "--workdir", str(workdir), "--concurrency", str(concurrency),
                *(extra or [])]
    raise ValueError(f"unknown contender {name!r}")


def count_steps(name: str, db: Path) -> Optional[int]:
    """Steps the contender put into its DuckDB file (None for the ceiling, which keeps nothing)."""
    if name == "bare" or not db.exists():
        return None
    import duckdb

    schema, table = {"runsteps": ("assistants", "run_steps"), "rest_api": ("rest_api", "steps"),
                     "sdk": ("main", "steps")}[name]
    with duckdb.connect(str(db), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        try:
            return int(con.execute(f'select count(*) from "{catalog}"."{schema}"."{table}"').fetchone()[0])
        except duckdb.CatalogException:
            return 0


def runsteps_seconds(stdout: str) -> Optional[float]:
    """The load time `runsteps load` reports ("loaded into ... in 12.3s: ..."), without process start-up."""
    import re

    m = re.search(r"\bin (\d+(?:\.\d+)?)s:", stdout)
    return float(m.group(1)) if m else None


def last_json_line(text: str) -> Dict[str, Any]:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


# --- child side ---------------------------------------------------------------------------------


def read_threads(path: Path) -> List[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def run_rest_api(base_url: str, thread_ids: List[str], db: Path, workdir: Path, api_key: str) -> Dict[str, Any]:
    """dlt's declarative REST source, configured as its docs suggest for a cursor API."""
    import dlt
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
    from dlt.sources.rest_api import rest_api_source

    # The API has no thread listing: the thread ids are the parent resource, as a static list.
    @dlt.resource(name="threads", write_disposition="replace")
    def threads():
        yield [{"id": tid} for tid in thread_ids]

    # dlt 1.31's JSONResponseCursorPaginator takes has_more_path directly (no subclass needed).
    paginator = JSONResponseCursorPaginator(cursor_path="last_id", cursor_param="after", has_more_path="has_more")
    source = rest_api_source({
        "client": {
            "base_url": base_url.rstrip("/") + "/",
            "auth": {"type": "bearer", "token": api_key},
            "headers": {"OpenAI-Beta": "assistants=v2"},
            "paginator": paginator,
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "append",
            "endpoint": {"params": {"limit": 100, "order": "asc"}, "data_selector": "data"},
        },
        "resources": [
            threads,
            {"name": "runs", "parallelized": True,
             "endpoint": {"path": "threads/{resources.threads.id}/runs"}},
            {"name": "steps", "parallelized": True,
             "endpoint": {"path": "threads/{resources.runs.thread_id}/runs/{resources.runs.id}/steps"}},
        ],
    })
    pipeline = dlt.pipeline(pipeline_name="bench_rest_api", destination=dlt.destinations.duckdb(str(db)),
                            dataset_name="rest_api", pipelines_dir=str(workdir / "rest_api.dlt"))
    info = pipeline.run(source)
    info.raise_on_failed_jobs()
    counts = dict(pipeline.last_trace.last_normalize_info.row_counts)
    return {"runs": counts.get("runs", 0), "steps": counts.get("steps", 0)}


_SDK_DDL = """
create table if not exists runs (id varchar primary key, thread_id varchar, assistant_id varchar, status varchar,
  model varchar, created_at bigint, completed_at bigint, failed_at bigint, last_error_code varchar,
  prompt_tokens bigint, completion_tokens bigint, total_tokens bigint);
create table if not exists steps (id varchar primary key, run_id varchar, thread_id varchar, assistant_id varchar,
  type varchar, status varchar, created_at bigint, completed_at bigint, failed_at bigint, last_error_code varchar,
  prompt_tokens bigint, completion_tokens bigint, total_tokens bigint, step_details json);
"""


def run_sdk(base_url: str, thread_ids: List[str], db: Path, api_key: str, insert: str = "arrow") -> Dict[str, Any]:
    """The loop anyone writes first: for each thread, for each run, for each step; insert rows.

    `insert="executemany"` inserts each batch with `executemany` in a transaction; DuckDB takes
    about 3 ms per row that way (12 ms outside a transaction), which would make this baseline
    measure DuckDB's slowest insert path rather than the SDK loop. The default appends each batch
    as an Arrow table, DuckDB's recommended bulk path, so the baseline is a fair, strong one.
    """
    import duckdb
    from openai import OpenAI

    # Retries as runsteps does them (8); the SDK's default of 2 gives up under a rate limit.
    client = OpenAI(api_key=api_key, base_url=base_url, max_retries=8)
    con = duckdb.connect(str(db))
    con.execute(_SDK_DDL)
    run_rows: List[tuple] = []
    step_rows: List[tuple] = []
    n_runs = n_steps = 0

    def usage(obj: Any) -> tuple:
        u = obj.usage
        return (u.prompt_tokens, u.completion_tokens, u.total_tokens) if u else (None, None, None)

    def insert_rows(table: str, rows: List[tuple], width: int) -> None:
        if not rows:
            return
        if insert == "executemany":
            con.execute("begin")
            con.executemany(f"insert into {table} values ({', '.join('?' * width)})", rows)
            con.execute("commit")
        else:
            import pyarrow as pa

            batch = pa.table({f"c{i}": list(col) for i, col in enumerate(zip(*rows))})  # noqa: F841 (read by SQL)
            con.execute(f"insert into {table} select * from batch")
        rows.clear()

    def flush() -> None:
        insert_rows("runs", run_rows, 12)
        insert_rows("steps", step_rows, 14)

    for tid in thread_ids:
        for run in client.beta.threads.runs.list(thread_id=tid, limit=100, order="asc"):
            n_runs += 1
            run_rows.append((run.id, run.thread_id, run.assistant_id, run.status, run.model, run.created_at,
                             run.completed_at, run.failed_at, run.last_error.code if run.last_error else None,
                             *usage(run)))
            for step in client.beta.threads.runs.steps.list(run_id=run.id, thread_id=tid, limit=100, order="asc"):
                n_steps += 1
                step_rows.append((step.id, step.run_id, step.thread_id, step.assistant_id, step.type, step.status,
                                  step.created_at, step.completed_at, step.failed_at,
                                  step.last_error.code if step.last_error else None, *usage(step),
                                  step.step_details.model_dump_json()))
            if len(step_rows) >= 2000:
                flush()
    flush()
    con.close()
    return {"runs": n_runs, "steps": n_steps, "insert": insert}


def run_models(db: Path) -> Dict[str, Any]:
    """Build the SQL models on a loaded DuckDB file, timed around `build_models` only."""
    from runsteps.loading import build_pipeline
    from runsteps.models import build_models

    pipeline = build_pipeline(str(db))
    started = time.perf_counter()
    result = build_models(pipeline)
    seconds = time.perf_counter() - started
    return {"build_seconds": seconds, "reported_seconds": getattr(result, "seconds", None),
            "models": len(getattr(result, "models", []) or [])}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.contenders")
    parser.add_argument("name", choices=["rest_api", "sdk", "bare", "models"])
    parser.add_argument("--base-url")
    parser.add_argument("--threads-file", type=Path)
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sdk-insert", choices=["arrow", "executemany"], default="arrow")
    args = parser.parse_args(argv)
    if args.name == "models":
        print(json.dumps(run_models(args.db)))
        return 0
    api_key = os.environ["OPENAI_API_KEY"]
    ids = read_threads(args.threads_file)
    # Imports first, so that `seconds_in_process` is the load itself (wall time includes them).
    if args.name == "rest_api":
        import dlt.sources.rest_api  # noqa: F401
    elif args.name == "sdk":
        import duckdb  # noqa: F401
        import openai.resources.beta.threads.runs  # noqa: F401
    started = time.perf_counter()
    if args.name == "rest_api":
        out = run_rest_api(args.base_url, ids, args.db, args.workdir, api_key)
    elif args.name == "sdk":
        out = run_sdk(args.base_url, ids, args.db, api_key, args.sdk_insert)
    else:
        from benchmarks.fetch import bare_fetch

        out = bare_fetch(args.base_url, api_key, ids, args.concurrency)
    out["seconds_in_process"] = time.perf_counter() - started
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
