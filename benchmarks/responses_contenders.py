"""The contenders of the Responses scenarios, each a fresh child process (as in `contenders.py`).

- `runsteps`: `runsteps load --api responses --provider foundry --base-url PROJECT_ENDPOINT`, as a
  user runs it against a Foundry project.
- `rest_api`: dlt's declarative `rest_api` source configured on the Foundry listing (`run_rest_api`).
- `bare`: the S3 ceiling, an async httpx fetch of the same requests (`responses_census.bare_fetch`).

The harness side (`command_for`, `env_for`, `count_rows`) builds the command line and reads the result;
the child side is `python -m benchmarks.responses_contenders NAME ...`, printing one JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from .contenders import child_env
from .responses_census import INCLUDES, api_root

LABELS = {
    "runsteps": "runsteps load --api responses",
    "rest_api": "dlt rest_api on the listing (parallelized)",
    "bare": "bare httpx fetch (ceiling)",
}

# Where each contender's rows are: (schema, table) per row kind of `responses_census.ROWS`.
TABLES = {
    "runsteps": {"responses": ("assistants", "responses"), "output_items": ("assistants", "response_items"),
                 "file_search_results": ("assistants", "response_file_search_results"),
                 "code_interpreter_outputs": ("assistants", "response_code_interpreter_outputs")},
    # dlt's own normalisation of the nested JSON: output items and their lists become child tables.
    "rest_api": {"responses": ("rest_api", "responses"), "output_items": ("rest_api", "responses__output"),
                 "file_search_results": ("rest_api", "responses__output__results"),
                 "code_interpreter_outputs": ("rest_api", "responses__output__outputs")},
}


def env_for(api_key: str) -> Dict[str, str]:
    """A contender's environment: the Foundry token in the variable runsteps reads first for Foundry."""
    env = child_env(api_key)
    for name in ("AZURE_AI_AGENTS_TOKEN", "AZURE_OPENAI_API_KEY"):
        env.pop(name, None)
    env["AZURE_AI_AGENTS_TOKEN"] = api_key
    return env


def command_for(name: str, project_endpoint: str, db: Path, workdir: Path, concurrency: int,
                python: str = sys.executable) -> List[str]:
    if name == "runsteps":
        runsteps = Path(python).with_name("runsteps")
        cmd = [str(runsteps)] if runsteps.exists() else [python, "-m", "runsteps.cli"]
        return cmd + ["load", "--api", "responses", "--provider", "foundry", "--base-url", project_endpoint,
                      "--db", str(db), "--concurrency", str(concurrency), "--progress", "none"]
    if name in ("rest_api", "bare"):
        return [python, "-m", "benchmarks.responses_contenders", name, "--base-url", project_endpoint,
                "--db", str(db), "--workdir", str(workdir), "--concurrency", str(concurrency)]
    raise ValueError(f"unknown contender {name!r}")


def count_rows(name: str, db: Path) -> Dict[str, Optional[int]]:
    """Rows of each kind the contender put into its DuckDB file (none for the ceiling)."""
    if name not in TABLES or not db.exists():
        return {}
    import duckdb

    out: Dict[str, Optional[int]] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        for kind, (schema, table) in TABLES[name].items():
            try:
                out[kind] = int(con.execute(f'select count(*) from "{catalog}"."{schema}"."{table}"').fetchone()[0])
            except duckdb.CatalogException:
                out[kind] = 0
    return out


# --- child side ------------------------------------------------------------------------------------


def run_rest_api(project_endpoint: str, db: Path, workdir: Path, api_key: str) -> Dict[str, Any]:
    """dlt's declarative REST source on a Foundry project, as its docs suggest for a list-then-detail API.

    The listing is the parent (cursor paging on `last_id`/`has_more`, `after`), not loaded itself
    (`selected: False`); each listed id is fetched by id with `include[]`, the only way to the
    hosted-tool payloads, as a parallelized child. Everything else is dlt's default.
    """
    import dlt
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
    from dlt.sources.rest_api import rest_api_source

    source = rest_api_source({
        "client": {
            "base_url": api_root(project_endpoint) + "/",
            "auth": {"type": "bearer", "token": api_key},
        },
        "resource_defaults": {"primary_key": "id", "write_disposition": "append"},
        "resources": [
            {"name": "response_list", "selected": False,
             "endpoint": {"path": "responses", "params": {"limit": 100, "order": "asc"}, "data_selector": "data",
                          "paginator": JSONResponseCursorPaginator(cursor_path="last_id", cursor_param="after",
                                                                   has_more_path="has_more")}},
            {"name": "responses", "parallelized": True,
             "endpoint": {"path": "responses/{resources.response_list.id}", "params": {"include[]": list(INCLUDES)},
                          "data_selector": "$", "paginator": "single_page"}},
        ],
    })
    pipeline = dlt.pipeline(pipeline_name="bench_rest_api_responses", destination=dlt.destinations.duckdb(str(db)),
                            dataset_name="rest_api", pipelines_dir=str(workdir / "rest_api.dlt"))
    info = pipeline.run(source)
    info.raise_on_failed_jobs()
    counts = dict(pipeline.last_trace.last_normalize_info.row_counts)
    return {"responses": counts.get("responses", 0), "output_items": counts.get("responses__output", 0)}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.responses_contenders")
    parser.add_argument("name", choices=["rest_api", "bare"])
    parser.add_argument("--base-url", required=True, help="the Foundry project endpoint")
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    api_key = os.environ["AZURE_AI_AGENTS_TOKEN"]
    # Imports first, so that `seconds_in_process` is the load itself (wall time includes them).
    if args.name == "rest_api":
        import dlt.sources.rest_api  # noqa: F401
    started = time.perf_counter()
    if args.name == "rest_api":
        out = run_rest_api(args.base_url, args.db, args.workdir, api_key)
    else:
        from .responses_census import bare_fetch

        out = bare_fetch(args.base_url, api_key, args.concurrency)
    out["seconds_in_process"] = time.perf_counter() - started
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
