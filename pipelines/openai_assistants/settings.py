"""Constants of the Assistants API v2 source: what it needs of each provider, run statuses, and its tables.

The table definitions below are the contract with the SQL models and with analysts: every column
listed here exists with this type from the first load on, even when all of its values are null.
"""

from __future__ import annotations

from typing import Any, Dict

from sourcekit.arrow import (BIGINT, BOOL, DOUBLE, JSON, TEXT, archive_files_table, archive_locations_table,
                             load_issues_table, replace_rows_of)
from sourcekit.arrow import column as _col
from sourcekit.arrow import timestamp_column as _ts
from sourcekit.config import ApiProfile

# The dlt config section, named explicitly (dlt would otherwise take it from the module name).
SECTION = "openai_assistants"
DEFAULT_DATASET = "assistants"

FILE_SEARCH_CONTENT_INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"

TERMINAL_RUN_STATUSES = frozenset({"completed", "failed", "cancelled", "expired", "incomplete"})

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CONCURRENCY = 32
# Polled threads waiting for the flattening side. When flattening is the slower side (dense runs) this
# queue stays full, and each result holds a whole thread's steps: 64 held ~50 MB more at a million
# steps than 4 did, for no speed (the HTTP side simply waits either way).
RESULT_BUFFER = 4

# What the Assistants API needs from each provider beyond authentication (sourcekit.config.PROVIDERS).
API_PROFILES: Dict[str, ApiProfile] = {
    "openai": ApiProfile(headers={"OpenAI-Beta": "assistants=v2"}),
    "azure": ApiProfile(api_version="2024-05-01-preview", headers={"OpenAI-Beta": "assistants=v2"}),
    "foundry": ApiProfile(api_version="v1", include_style="comma"),
}
# Providers whose `GET /threads` lists every thread of the project (polled by default there).
LISTS_THREADS = frozenset({"foundry"})


# A re-fetched run replaces all of its rows in each table below it (`sourcekit.arrow.replace_rows_of`
# says how, and why not a merge key). `merge_key=False` on run_id clears the merge key that databases
# loaded before this change keep in their stored schema (dlt keeps a hint until it is told otherwise,
# and would warn about a merge key beside a destination scope).
_REPLACE_RUN_ROWS = replace_rows_of("run_id")

# table name -> {"columns": ..., "primary_key": ..., "merge_key": ..., "write_disposition": ...}
TABLES: Dict[str, Dict[str, Any]] = {
    "threads": {
        "write_disposition": "merge",
        "primary_key": "id",
        "columns": {
            "id": _col(TEXT, nullable=False),
            "discovered_via": _col(TEXT),  # input | listed | export | known
            "created_at": _ts(),
            "metadata": _col(JSON),
            "first_seen_at": _ts(),
            "last_polled_at": _ts(),
            "deleted_at": _ts(),
        },
    },
    "runs": {
        "write_disposition": "merge",
        "primary_key": "id",
        "columns": {
            "id": _col(TEXT, nullable=False),
            "thread_id": _col(TEXT),
            "assistant_id": _col(TEXT),
            "status": _col(TEXT),
            "model": _col(TEXT),
            "created_at": _ts(),
            "started_at": _ts(),
            "completed_at": _ts(),
            "failed_at": _ts(),
            "cancelled_at": _ts(),
            "expires_at": _ts(),
            "last_error_code": _col(TEXT),
            "last_error_message": _col(TEXT),
            "incomplete_reason": _col(TEXT),
            "required_action_type": _col(TEXT),
            "prompt_tokens": _col(BIGINT),
            "completion_tokens": _col(BIGINT),
            "total_tokens": _col(BIGINT),
            "temperature": _col(DOUBLE),
            "top_p": _col(DOUBLE),
            "max_prompt_tokens": _col(BIGINT),
            "max_completion_tokens": _col(BIGINT),
            "truncation_strategy": _col(JSON),
            # `auto`/`none`/`required` or a JSON object, as text: a json column would split in two
            "tool_choice": _col(TEXT),
            "response_format": _col(TEXT),
            "parallel_tool_calls": _col(BOOL),
            "tools": _col(JSON),
            "instructions": _col(TEXT),
            "metadata": _col(JSON),
        },
    },
    "run_steps": {
        "write_disposition": _REPLACE_RUN_ROWS,
        "primary_key": "id",
        "columns": {
            "id": _col(TEXT, nullable=False),
            "run_id": _col(TEXT, nullable=False, merge_key=False),
            "thread_id": _col(TEXT),
            "assistant_id": _col(TEXT),
            "type": _col(TEXT),
            "status": _col(TEXT),
            "created_at": _ts(),
            "completed_at": _ts(),
            "failed_at": _ts(),
            "cancelled_at": _ts(),
            "expired_at": _ts(),
            "last_error_code": _col(TEXT),
            "last_error_message": _col(TEXT),
            "prompt_tokens": _col(BIGINT),
            "completion_tokens": _col(BIGINT),
            "total_tokens": _col(BIGINT),
            "message_id": _col(TEXT),
            "tool_call_count": _col(BIGINT),
            "metadata": _col(JSON),
            "details": _col(JSON),
        },
    },
    "run_step_tool_calls": {
        "write_disposition": _REPLACE_RUN_ROWS,
        "primary_key": ["step_id", "position"],
        "columns": {
            "step_id": _col(TEXT, nullable=False),
            "position": _col(BIGINT, nullable=False),
            "id": _col(TEXT),
            "run_id": _col(TEXT, nullable=False, merge_key=False),
            "thread_id": _col(TEXT),
            "type": _col(TEXT),
            "name": _col(TEXT),
            "arguments": _col(TEXT),
            "input": _col(TEXT),
            "output": _col(TEXT),
            "server_label": _col(TEXT),
            "file_search_ranker": _col(TEXT),
            "file_search_score_threshold": _col(DOUBLE),
            "output_count": _col(BIGINT),
            "result_count": _col(BIGINT),
            "details": _col(JSON),
        },
    },
    "code_interpreter_outputs": {
        "write_disposition": _REPLACE_RUN_ROWS,
        "primary_key": ["step_id", "tool_call_position", "position"],
        "columns": {
            "step_id": _col(TEXT, nullable=False),
            "tool_call_position": _col(BIGINT, nullable=False),
            "position": _col(BIGINT, nullable=False),
            "run_id": _col(TEXT, nullable=False, merge_key=False),
            "thread_id": _col(TEXT),
            "tool_call_id": _col(TEXT),
            "type": _col(TEXT),
            "logs": _col(TEXT),
            "image_file_id": _col(TEXT),
        },
    },
    "file_search_results": {
        "write_disposition": _REPLACE_RUN_ROWS,
        "primary_key": ["step_id", "tool_call_position", "position"],
        "columns": {
            "step_id": _col(TEXT, nullable=False),
            "tool_call_position": _col(BIGINT, nullable=False),
            "position": _col(BIGINT, nullable=False),
            "run_id": _col(TEXT, nullable=False, merge_key=False),
            "thread_id": _col(TEXT),
            "tool_call_id": _col(TEXT),
            "file_id": _col(TEXT),
            "file_name": _col(TEXT),
            "score": _col(DOUBLE),
            "content": _col(TEXT),
        },
    },
    "load_issues": load_issues_table(),
}

# The loader's own per-thread state (see `thread_state`): written only for threads whose cursor moved.
TABLES["thread_cursors"] = {
    "write_disposition": "merge",
    "primary_key": "thread_id",
    "columns": {
        "thread_id": _col(TEXT, nullable=False),
        "watermark_run_id": _col(TEXT),  # last run of the longest all-terminal prefix
        "done_run_ids": _col(JSON),  # terminal runs after the watermark, already loaded
        "discovered_via": _col(TEXT),  # input | listed | known
        "first_seen_at": _ts(),
        "deleted_at": _ts(),  # the API answered 404: no longer polled
        "created_at": _ts(),  # the thread's, kept so its row is rewritten without fetching it again
        "metadata": _col(JSON),
    },
}

# What archive loads read (see `archive_state`): one row per file read, and the files holding copies
# of each run (with its steps) and of each thread object, the units re-emitted whole.
TABLES["archive_files"] = archive_files_table()
TABLES["archive_locations"] = archive_locations_table()  # kind: run | thread

# Tables that hold the loader's own bookkeeping, not data for analysts (no staging model reads them).
STATE_TABLES = ("thread_cursors", "archive_files", "archive_locations")

