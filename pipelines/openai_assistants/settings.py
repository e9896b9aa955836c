"""Constants of the Assistants API v2 source: providers, paging, and the tables it loads.

The table definitions below are the contract with the SQL models and with analysts: every column
listed here exists with this type from the first load on, even when all of its values are null.
"""

from __future__ import annotations

import re
from typing import Any, Dict

# The dlt config section, named explicitly (dlt would otherwise take it from the module name).
SECTION = "openai_assistants"
DEFAULT_DATASET = "assistants"

PAGE_LIMIT = 100
FILE_SEARCH_CONTENT_INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"

TERMINAL_RUN_STATUSES = frozenset({"completed", "failed", "cancelled", "expired", "incomplete"})
RUN_STATUSES = frozenset(
    {"queued", "in_progress", "requires_action", "cancelling"} | TERMINAL_RUN_STATUSES
)

# Ids go into URL paths: nothing but these characters may reach one.
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

# Retries, as the official SDK does them.
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_RETRIES = 8
INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
MAX_RETRY_AFTER_S = 120.0
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CONCURRENCY = 32
# Connections per httpx pool; more concurrency means more pools (see AssistantsClient.__aenter__).
POOL_SIZE = 8
# Polled threads waiting for the flattening side. When flattening is the slower side (dense runs) this
# queue stays full, and each result holds a whole thread's steps: 64 held ~50 MB more at a million
# steps than 4 did, for no speed (the HTTP side simply waits either way).
RESULT_BUFFER = 4

PROVIDERS: Dict[str, Dict[str, Any]] = {
    "openai": {
        "base_url": "https://api.openai.com/v1",
        "auth_header": "Authorization",
        "auth_scheme": "Bearer",
        "api_version": None,
        "headers": {"OpenAI-Beta": "assistants=v2"},
        "lists_threads": False,
        "include_style": "repeat",
        "key_env": ("OPENAI_API_KEY",),
    },
    "azure": {
        "base_url": None,  # https://{resource}.openai.azure.com/openai
        "auth_header": "api-key",
        "auth_scheme": None,
        "api_version": "2024-05-01-preview",
        "headers": {"OpenAI-Beta": "assistants=v2"},
        "lists_threads": False,
        "include_style": "repeat",
        "key_env": ("AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"),
    },
    "foundry": {
        "base_url": None,  # https://{account}.services.ai.azure.com/api/projects/{project}
        "auth_header": "Authorization",
        "auth_scheme": "Bearer",
        "api_version": "v1",
        "headers": {},
        "lists_threads": True,
        "include_style": "comma",
        "key_env": ("AZURE_AI_AGENTS_TOKEN", "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"),
    },
}


def _ts() -> Dict[str, Any]:
    return {"data_type": "timestamp", "timezone": True, "nullable": True}


def _col(data_type: str, **extra: Any) -> Dict[str, Any]:
    return {"data_type": data_type, "nullable": True, **extra}


TEXT, BIGINT, DOUBLE, BOOL, JSON = "text", "bigint", "double", "bool", "json"

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
        "write_disposition": "merge",
        "primary_key": "id",
        "merge_key": "run_id",
        "columns": {
            "id": _col(TEXT, nullable=False),
            "run_id": _col(TEXT, nullable=False),
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
        "write_disposition": "merge",
        "primary_key": ["step_id", "position"],
        "merge_key": "run_id",
        "columns": {
            "step_id": _col(TEXT, nullable=False),
            "position": _col(BIGINT, nullable=False),
            "id": _col(TEXT),
            "run_id": _col(TEXT, nullable=False),
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
        "write_disposition": "merge",
        "primary_key": ["step_id", "tool_call_position", "position"],
        "merge_key": "run_id",
        "columns": {
            "step_id": _col(TEXT, nullable=False),
            "tool_call_position": _col(BIGINT, nullable=False),
            "position": _col(BIGINT, nullable=False),
            "run_id": _col(TEXT, nullable=False),
            "thread_id": _col(TEXT),
            "tool_call_id": _col(TEXT),
            "type": _col(TEXT),
            "logs": _col(TEXT),
            "image_file_id": _col(TEXT),
        },
    },
    "file_search_results": {
        "write_disposition": "merge",
        "primary_key": ["step_id", "tool_call_position", "position"],
        "merge_key": "run_id",
        "columns": {
            "step_id": _col(TEXT, nullable=False),
            "tool_call_position": _col(BIGINT, nullable=False),
            "position": _col(BIGINT, nullable=False),
            "run_id": _col(TEXT, nullable=False),
            "thread_id": _col(TEXT),
            "tool_call_id": _col(TEXT),
            "file_id": _col(TEXT),
            "file_name": _col(TEXT),
            "score": _col(DOUBLE),
            "content": _col(TEXT),
        },
    },
    "load_issues": {
        "write_disposition": "append",
        "columns": {
            "object_type": _col(TEXT),
            "object_id": _col(TEXT),
            "thread_id": _col(TEXT),
            "run_id": _col(TEXT),
            "http_status": _col(BIGINT),
            "error_code": _col(TEXT),
            "message": _col(TEXT),
            "request_id": _col(TEXT),
            "seen_at": _ts(),
        },
    },
}

# Tables filled from one run: a re-fetched run replaces its rows in all of them.
RUN_CHILD_TABLES = ("run_steps", "run_step_tool_calls", "code_interpreter_outputs", "file_search_results")
