"""Constants of the Responses / Conversations source: what it needs of each provider, statuses, and its tables.

The table definitions below are the contract with analysts (and later the SQL models): every column
listed here exists with this type from the first load on, even when all of its values are null. The
tables share the dataset of the Assistants source; `load_issues` is the same table, with the same columns.
"""

from __future__ import annotations

from typing import Any, Dict

from sourcekit.arrow import (BIGINT, BOOL, DOUBLE, JSON, TEXT, archive_files_table, archive_locations_table,
                             load_issues_table, replace_rows_of)
from sourcekit.arrow import column as _col
from sourcekit.arrow import timestamp_column as _ts
from sourcekit.config import ApiProfile

# The dlt config section, named explicitly (dlt would otherwise take it from the module name).
SECTION = "openai_responses"

# Hosted-tool payloads the API returns only when asked (`include[]` of GET /responses/{id}).
RESPONSE_INCLUDES = ("file_search_call.results", "code_interpreter_call.outputs")

# A response can change until it reaches one of these (queued and in_progress are the open ones).
# Kept as a set of known terminal values: an unknown status counts as open and is fetched again.
TERMINAL_RESPONSE_STATUSES = frozenset({"completed", "failed", "cancelled", "incomplete"})

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CONCURRENCY = 32
RESULT_BUFFER = 16

# What the Responses API needs from each provider beyond authentication (sourcekit.config.PROVIDERS).
# No beta header and no api-version: the v1 routes take none. Foundry's user gives the project
# endpoint (as for the Assistants source); the Responses routes live below it at /openai/v1.
API_PROFILES: Dict[str, ApiProfile] = {
    "openai": ApiProfile(),
    "azure": ApiProfile(base_path="/v1"),  # https://RESOURCE.openai.azure.com/openai + /v1
    "foundry": ApiProfile(base_path="/openai/v1"),
}
# Providers with `GET /responses` and `GET /conversations` listings of the whole project (Foundry
# only; OpenAI has neither).
LISTS_RESPONSES = frozenset({"foundry"})


# table name -> {"columns": ..., "primary_key": ..., "write_disposition": ...}
TABLES: Dict[str, Dict[str, Any]] = {
    "conversations": {
        "write_disposition": "merge",
        "primary_key": "id",
        "columns": {
            "id": _col(TEXT, nullable=False),
            "created_at": _ts(),
            "metadata": _col(JSON),
            "item_count": _col(BIGINT),
            "last_item_id": _col(TEXT),  # the newest item loaded: the next load lists items after it
            "discovered_via": _col(TEXT),  # input | listed
            "last_polled_at": _ts(),
            "deleted_at": _ts(),
        },
    },
    # Items are appended, never changed (README "How the Responses load works"): a conversation's new
    # items are merged in by their position; the rows loaded before stay.
    "conversation_items": {
        "write_disposition": "merge",
        "primary_key": ["conversation_id", "position"],
        "columns": {
            "conversation_id": _col(TEXT, nullable=False),
            "position": _col(BIGINT, nullable=False),
            "id": _col(TEXT),
            "type": _col(TEXT),
            "role": _col(TEXT),
            "status": _col(TEXT),
            "call_id": _col(TEXT),
            "name": _col(TEXT),
            "text": _col(TEXT),
            "response_id": _col(TEXT),
            "details": _col(JSON),
        },
    },
    "responses": {
        "write_disposition": "merge",
        "primary_key": "id",
        "columns": {
            "id": _col(TEXT, nullable=False),
            "conversation_id": _col(TEXT),
            "previous_response_id": _col(TEXT),
            "status": _col(TEXT),
            "model": _col(TEXT),
            "agent_name": _col(TEXT),
            "agent_version": _col(TEXT),
            "created_at": _ts(),
            "completed_at": _ts(),
            "error_code": _col(TEXT),
            "error_message": _col(TEXT),
            "incomplete_reason": _col(TEXT),
            "service_tier": _col(TEXT),
            "background": _col(BOOL),
            "input_tokens": _col(BIGINT),
            "cached_input_tokens": _col(BIGINT),
            "output_tokens": _col(BIGINT),
            "reasoning_tokens": _col(BIGINT),
            "total_tokens": _col(BIGINT),
            "web_search_requests": _col(BIGINT),
            "output_item_count": _col(BIGINT),
            "temperature": _col(DOUBLE),
            "top_p": _col(DOUBLE),
            "max_output_tokens": _col(BIGINT),
            "max_tool_calls": _col(BIGINT),
            "parallel_tool_calls": _col(BOOL),
            "tool_choice": _col(TEXT),
            "tools": _col(JSON),
            "instructions": _col(TEXT),
            "reasoning_effort": _col(TEXT),
            "truncation": _col(TEXT),
            "prompt_cache_key": _col(TEXT),
            "safety_identifier": _col(TEXT),
            "metadata": _col(JSON),
            "details": _col(JSON),
            "discovered_via": _col(TEXT),  # input | chain | listed | known
            "last_fetched_at": _ts(),
            "deleted_at": _ts(),
        },
    },
    "response_items": {
        "write_disposition": replace_rows_of("response_id"),
        "primary_key": ["response_id", "position"],
        "columns": {
            "response_id": _col(TEXT, nullable=False),
            "position": _col(BIGINT, nullable=False),
            "id": _col(TEXT),
            "type": _col(TEXT),
            "status": _col(TEXT),
            "role": _col(TEXT),
            "call_id": _col(TEXT),
            "name": _col(TEXT),
            "arguments": _col(TEXT),
            "output": _col(TEXT),
            "server_label": _col(TEXT),
            "error": _col(TEXT),
            "details": _col(JSON),
        },
    },
    "response_file_search_results": {
        "write_disposition": replace_rows_of("response_id"),
        "primary_key": ["response_id", "item_position", "position"],
        "columns": {
            "response_id": _col(TEXT, nullable=False),
            "item_position": _col(BIGINT, nullable=False),
            "position": _col(BIGINT, nullable=False),
            "item_id": _col(TEXT),
            "file_id": _col(TEXT),
            "filename": _col(TEXT),
            "score": _col(DOUBLE),
            "text": _col(TEXT),
            "attributes": _col(JSON),
        },
    },
    "response_code_interpreter_outputs": {
        "write_disposition": replace_rows_of("response_id"),
        "primary_key": ["response_id", "item_position", "position"],
        "columns": {
            "response_id": _col(TEXT, nullable=False),
            "item_position": _col(BIGINT, nullable=False),
            "position": _col(BIGINT, nullable=False),
            "item_id": _col(TEXT),
            "type": _col(TEXT),
            "logs": _col(TEXT),
            "url": _col(TEXT),
        },
    },
    # One table for both sources (`sourcekit.arrow.load_issues_table`). For the
    # Responses API, `object_id` holds the response or conversation id; `thread_id`/`run_id` stay null.
    "load_issues": load_issues_table(),
}

# The loader's own state (see `state.py`): one row per listing scope (Foundry: the project, or one
# agent's responses), written only when it moved.
TABLES["response_cursors"] = {
    "write_disposition": "merge",
    "primary_key": "scope",
    "columns": {
        "scope": _col(TEXT, nullable=False),  # e.g. `foundry project`, `foundry agent my-agent`
        "watermark_response_id": _col(TEXT),  # last response of the longest all-terminal prefix
        "done_response_ids": _col(JSON),  # terminal responses after the watermark, already loaded
        "watermark_conversation_id": _col(TEXT),  # the last conversation GET /conversations listed
        "updated_at": _ts(),
    },
}

# What archive loads read (`export`, with `openai_assistants.archive_state`): one row per file read,
# and the files holding copies of each response (with its output items) and each conversation (its
# object, items and item pages), the units re-emitted whole. Tables of their own, of the Assistants
# tables' shape (`sourcekit.arrow`): both sources load into one dataset, often from the same folder.
FILES_TABLE = "responses_archive_files"
LOCATIONS_TABLE = "responses_archive_locations"
TABLES[FILES_TABLE] = archive_files_table()
TABLES[LOCATIONS_TABLE] = archive_locations_table()  # kind: response | conversation

STATE_TABLES = ("response_cursors", FILES_TABLE, LOCATIONS_TABLE)
