"""Runs the data tests: SQL files under `sql/tests/`, each a query that returns the offending rows.

A test passes when its query returns no row. The models must have been built first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import dlt

from runsteps.models.dependencies import parse_files
from runsteps.models.destination import fetch_all, target_for
from runsteps.models.project import MODELS_SCHEMA, load_data_tests, load_models, resolve_sql_dir
from runsteps.models.transpile import render_query

SAMPLE_ROWS = 5


@dataclass(frozen=True)
class DataTestResult:
    """The outcome of one data test.

    Attributes:
        name: the test's file name without `.sql`.
        failing_rows: how many offending rows the query returned (0 means it passed).
        sample: up to five of those rows, as column -> value.
        path: the test's file.
    """

    name: str
    failing_rows: int
    sample: List[Dict[str, Any]] = field(default_factory=list)
    path: Optional[Path] = None

    @property
    def passed(self) -> bool:
        return self.failing_rows == 0


def run_data_tests(
    pipeline: dlt.Pipeline, sql_dir: Optional[Path] = None, *, schema: str = MODELS_SCHEMA
) -> List[DataTestResult]:
    """Runs every data test against the models built on the pipeline's destination.

    Args:
        pipeline: the pipeline whose destination holds the models.
        sql_dir: the SQL folder; the one shipped with runsteps by default.
        schema: the models schema the tests read.

    Returns:
        One result per test, in file name order.
    """
    folder = resolve_sql_dir(sql_dir)
    model_names = [m.name for m in load_models(folder)]
    tests = parse_files(load_data_tests(folder), model_names)
    results: List[DataTestResult] = []
    with pipeline.sql_client() as client:
        sources = sorted({s for t in tests for s in t.sources})
        target = target_for(client, models_schema=schema, sources=sources)
        for test in tests:
            query = render_query(test.expression, target)
            (count,) = fetch_all(client, f"SELECT count(*) FROM ({query}) AS offending")[0]
            sample: List[Dict[str, Any]] = []
            if count:
                with client.execute_query(f"SELECT * FROM ({query}) AS offending LIMIT {SAMPLE_ROWS}") as cursor:
                    columns = [d[0] for d in cursor.description]
                    sample = [dict(zip(columns, row)) for row in cursor.fetchall()]
            results.append(DataTestResult(test.name, int(count), sample, test.file.path))
    return results
