"""Helpers for the models tests: warehouses loaded through the real loader, and rows read back.

Fixtures are written as export folders (JSON list pages and single objects), the same input
`runsteps load --from-export` takes, so every test goes through the loader like real data does.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import dlt

from openai_assistants import export_source
from runsteps.loading import build_pipeline, run_load

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden"


@dataclass
class Warehouse:
    """A loaded destination: the pipeline, and the schema the models go to."""

    pipeline: dlt.Pipeline
    schema: str = "analytics"

    def rows(self, sql: str) -> List[Dict[str, Any]]:
        """Runs `sql` (with `analytics.` meaning this warehouse's models schema) and returns dicts.

        Values are normalised so DuckDB and Postgres compare alike: Decimal to int or float.
        """
        sql = sql.replace("analytics.", f"{self.schema}.").replace("assistants.", f"{self.pipeline.dataset_name}.")
        with self.pipeline.sql_client() as client:
            with client.execute_query(sql) as cursor:
                columns = [d[0] for d in cursor.description]
                return [dict(zip(columns, map(_normalise, row))) for row in cursor.fetchall()]

    def execute(self, sql: str) -> None:
        sql = sql.replace("analytics.", f"{self.schema}.").replace("assistants.", f"{self.pipeline.dataset_name}.")
        with self.pipeline.sql_client() as client:
            client.execute_sql(sql)


def _normalise(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def duckdb_warehouse(db_path: Path, export_dir: Path, **pipeline_args: Any) -> Warehouse:
    """Loads `export_dir` into a fresh DuckDB file through the loader."""
    pipeline = build_pipeline(db_path, pipeline_name=pipeline_args.pop("pipeline_name", "models_test"), **pipeline_args)
    run_load(pipeline, export_source(str(export_dir)))
    return Warehouse(pipeline)


def postgres_warehouse(dsn: str, export_dir: Path, pipelines_dir: Path) -> Warehouse:
    """Loads `export_dir` into fresh, uniquely named schemas of a PostgreSQL server."""
    suffix = uuid.uuid4().hex[:8]
    pipeline = build_pipeline(
        destination="postgres",
        credentials=dsn,
        dataset_name=f"assistants_{suffix}",
        pipeline_name=f"models_test_{suffix}",
        pipelines_dir=pipelines_dir,
    )
    run_load(pipeline, export_source(str(export_dir)))
    return Warehouse(pipeline, schema=f"analytics_{suffix}")


def drop_postgres_schemas(warehouse: Warehouse) -> None:
    """Removes what a Postgres test created, so the shared server stays clean."""
    with warehouse.pipeline.sql_client() as client:
        for schema in (warehouse.schema, warehouse.pipeline.dataset_name, f"{warehouse.pipeline.dataset_name}_staging"):
            client.execute_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# --- small exports written by tests -------------------------------------------------------------


def ts(iso: str) -> int:
    """Unix seconds of an ISO timestamp in UTC (`2025-06-10T00:00:00`)."""
    return int(datetime.fromisoformat(iso).replace(tzinfo=timezone.utc).timestamp())


def api_run(
    run_id: str,
    *,
    model: str,
    created_at: str,
    usage: Optional[Tuple[int, int, int]],
    status: str = "completed",
    assistant_id: str = "asst_test",
    thread_id: str = "thread_test",
    run_seconds: int = 10,
) -> Dict[str, Any]:
    """A run object as the API returns it; `usage` is (prompt, completion, total)."""
    created = ts(created_at)
    terminal = status in {"completed", "failed", "cancelled", "expired", "incomplete"}
    return {
        "id": run_id,
        "object": "thread.run",
        "created_at": created,
        "assistant_id": assistant_id,
        "thread_id": thread_id,
        "status": status,
        "started_at": created + 1,
        "completed_at": created + 1 + run_seconds if status == "completed" else None,
        "failed_at": None,
        "cancelled_at": None,
        "expires_at": None if terminal else created + 600,
        "last_error": None,
        "model": model,
        "usage": dict(zip(("prompt_tokens", "completion_tokens", "total_tokens"), usage)) if usage else None,
    }


def api_message_step(step_id: str, run: Dict[str, Any]) -> Dict[str, Any]:
    """A completed message_creation step carrying all of its run's usage."""
    return {
        "id": step_id,
        "object": "thread.run.step",
        "created_at": run["started_at"],
        "assistant_id": run["assistant_id"],
        "thread_id": run["thread_id"],
        "run_id": run["id"],
        "type": "message_creation",
        "status": "completed",
        "completed_at": run["completed_at"],
        "step_details": {"type": "message_creation", "message_creation": {"message_id": f"msg_{step_id}"}},
        "usage": run["usage"],
    }


def write_export(folder: Path, runs: Sequence[Dict[str, Any]], steps: Sequence[Dict[str, Any]] = ()) -> Path:
    """Writes runs and steps as API list pages into `folder` and returns it."""
    folder.mkdir(parents=True, exist_ok=True)

    def page(items: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
        return {"object": "list", "data": list(items), "first_id": items[0]["id"], "last_id": items[-1]["id"], "has_more": False}

    (folder / "runs.json").write_text(json.dumps(page(runs)))
    if steps:
        (folder / "steps.json").write_text(json.dumps(page(steps)))
    return folder


def as_tuples(rows: Sequence[Dict[str, Any]], columns: Sequence[str]) -> List[Tuple[Any, ...]]:
    """The given columns of each row, as tuples (for comparing with rows written out by hand)."""
    return [tuple(row[c] for c in columns) for row in rows]


def day(iso: str) -> date:
    return date.fromisoformat(iso)
