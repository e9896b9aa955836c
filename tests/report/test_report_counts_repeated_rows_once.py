"""A load retried after its commit's answer was lost can leave a row twice where dlt appends without a
key: `_dlt_loads` records the load again, and a `load_issues` copy job appends its rows again
(tests/integration/test_warehouse_faults.py loses such answers). The report counts each once.

The warehouse is written by hand here, with the counts worked out by hand.
"""

from __future__ import annotations

from datetime import date

import duckdb

from runsteps.report import queries
from runsteps.report.warehouse import duckdb_warehouse

ISSUE = ("run", "run_1", "thread_1", "run_1", 404, "not_found", "No run found", "req_1")


def test_a_load_recorded_twice_and_an_issue_appended_twice_count_once(tmp_path):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema assistants")
        con.execute("create schema analytics")
        con.execute("create table analytics.fct_runs (is_terminal boolean, created_at timestamptz)")
        con.execute("create table assistants._dlt_loads (load_id varchar, schema_name varchar, status bigint, "
                    "inserted_at timestamptz, schema_version_hash varchar)")
        con.execute("""insert into assistants._dlt_loads values
            ('1.1', 'openai_assistants', 0, '2026-11-20 03:00:00+00', 'h'),
            ('2.2', 'openai_assistants', 0, '2026-11-21 03:00:00+00', 'h'),
            ('2.2', 'openai_assistants', 0, '2026-11-21 03:00:05+00', 'h')""")  # the retried record
        con.execute("create table assistants.load_issues (object_type varchar, object_id varchar, thread_id varchar, "
                    "run_id varchar, http_status bigint, error_code varchar, message varchar, request_id varchar, "
                    "seen_at timestamptz)")
        for seen_at in ("2026-11-20 03:00:01+00", "2026-11-21 03:00:01+00", "2026-11-21 03:00:01+00"):
            con.execute("insert into assistants.load_issues values (?, ?, ?, ?, ?, ?, ?, ?, ?)", [*ISSUE, seen_at])
    wh = duckdb_warehouse(db)

    assert queries.freshness(wh).loads == 2
    issues = queries.load_issues(wh, since=date(2026, 11, 21))
    # The same problem met on two loads is two problems; the repeated copy of the second is not a third.
    assert (issues.total, issues.since_start) == (2, 1)
    assert [(g["error_code"], g["issues"]) for g in issues.groups] == [("not_found", 2)]
