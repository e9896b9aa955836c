"""The merge rules of every table both sources write (issue 13).

A primary key together with a merge key makes dlt delete `WHERE EXISTS (... pk = pk OR key = key)`,
which DuckDB and PostgreSQL can only run as a nested loop (tests/integration/test_merge_plans.py reads
those plans). Tables replaced by a parent key say so with `replace_rows_of` instead.
"""

from __future__ import annotations

import pytest

import openai_assistants
import openai_responses
from runsteps.merge_indexes import create_index_sql, index_name
from sourcekit.arrow import replace_rows_of, replaced_by

CONTRACTS = {"assistants": openai_assistants.CONTRACT, "responses": openai_responses.CONTRACT}


@pytest.mark.parametrize("api", CONTRACTS)
def test_no_table_merges_on_a_merge_key(api):
    for table, spec in CONTRACTS[api].tables.items():
        assert not spec.get("merge_key"), table
        assert not any(col.get("merge_key") for col in spec["columns"].values()), table


@pytest.mark.parametrize("api", CONTRACTS)
def test_every_merged_table_has_a_key_to_delete_by(api):
    contract = CONTRACTS[api]
    merged = {t for t, spec in contract.tables.items()
              if spec["write_disposition"] == "merge" or isinstance(spec["write_disposition"], dict)}
    keys = contract.delete_keys()
    assert set(keys) == merged
    for table, columns in keys.items():
        assert set(columns) <= set(contract.tables[table]["columns"]), table


def test_child_tables_are_deleted_by_their_parent_key():
    assistants, responses = (c.delete_keys() for c in CONTRACTS.values())
    for table in ("run_steps", "run_step_tool_calls", "code_interpreter_outputs", "file_search_results"):
        assert assistants[table] == ["run_id"]
    assert assistants["runs"] == ["id"] and assistants["archive_locations"] == ["owner"]
    for table in ("response_items", "response_file_search_results", "response_code_interpreter_outputs"):
        assert responses[table] == ["response_id"]
    assert responses["conversation_items"] == ["conversation_id", "position"]  # items are only appended


def test_the_replace_key_is_read_back_from_the_disposition():
    assert replaced_by(replace_rows_of("run_id")) == "run_id"
    assert replaced_by("merge") is None
    assert replaced_by({"disposition": "merge", "strategy": "delete-insert"}) is None


def test_the_index_statement_is_quoted_for_postgres():
    assert create_index_sql("my data", "run_steps", ["run_id"], "postgres") == (
        'CREATE INDEX IF NOT EXISTS "run_steps__run_id" ON "my data"."run_steps"("run_id")')
    assert index_name("archive_locations", ["kind", "owner"]) == "archive_locations__kind_owner"
