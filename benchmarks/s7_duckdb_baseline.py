"""S7's baseline: what a DuckDB user would write to flatten an archive without runsteps.

`read_json` over the export's files (list pages), `unnest` of `data`, then of each step's tool calls
and of their outputs and results, into flat tables named like runsteps' (`threads`, `runs`,
`run_steps`, `run_step_tool_calls`, `code_interpreter_outputs`, `file_search_results`), with the main
columns of each. Honest about what it does not do: no most-complete-copy rule (the last copy read
wins nothing: duplicates stay), no unknown tool types kept in `details`, no incremental reload, no
load issues (a broken file fails the whole statement), and it needs the folder layout to find runs
and steps (`runs/`, `steps/`). DuckDB's defaults (all cores, 80% of RAM) as a user would have them.

    python benchmarks/s7_duckdb_baseline.py EXPORT_DIR DB
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

SQL = """
CREATE SCHEMA IF NOT EXISTS assistants;
CREATE OR REPLACE TABLE assistants.threads AS
  SELECT id, to_timestamp(created_at) AS created_at, metadata::JSON AS metadata
  FROM read_json('{root}/threads/*.json', maximum_object_size = 1000000000);
CREATE OR REPLACE TABLE assistants.runs AS
  SELECT r.id, r.thread_id, r.assistant_id, r.status, r.model, to_timestamp(r.created_at) AS created_at,
         to_timestamp(r.started_at) AS started_at, to_timestamp(r.completed_at) AS completed_at,
         to_timestamp(r.failed_at) AS failed_at, to_timestamp(r.cancelled_at) AS cancelled_at,
         r.last_error.code AS last_error_code, r.last_error.message AS last_error_message,
         r.usage.prompt_tokens AS prompt_tokens, r.usage.completion_tokens AS completion_tokens,
         r.usage.total_tokens AS total_tokens, r.temperature, r.top_p, r.tools::JSON AS tools,
         r.instructions, r.metadata::JSON AS metadata
  FROM (SELECT unnest(data) AS r FROM read_json('{root}/runs/*.json', maximum_object_size = 1000000000));
CREATE OR REPLACE TEMP TABLE steps_raw AS
  SELECT unnest(data) AS s FROM read_json('{root}/steps/**/*.json', maximum_object_size = 1000000000);
CREATE OR REPLACE TABLE assistants.run_steps AS
  SELECT s.id, s.run_id, s.thread_id, s.assistant_id, s.step_details.type AS type, s.status,
         to_timestamp(s.created_at) AS created_at, to_timestamp(s.completed_at) AS completed_at,
         to_timestamp(s.failed_at) AS failed_at, s.last_error.code AS last_error_code,
         s.usage.prompt_tokens AS prompt_tokens, s.usage.completion_tokens AS completion_tokens,
         s.usage.total_tokens AS total_tokens,
         s.step_details.message_creation.message_id AS message_id,
         len(s.step_details.tool_calls) AS tool_call_count, s.metadata::JSON AS metadata
  FROM steps_raw;
CREATE OR REPLACE TEMP TABLE calls AS
  SELECT s.id AS step_id, s.run_id, s.thread_id, unnest(s.step_details.tool_calls) AS c,
         unnest(range(len(s.step_details.tool_calls))) AS position
  FROM steps_raw WHERE s.step_details.type = 'tool_calls';
CREATE OR REPLACE TABLE assistants.run_step_tool_calls AS
  SELECT step_id, position, c.id, run_id, thread_id, c.type, c.function.name AS name,
         c.function.arguments AS arguments, c.code_interpreter.input AS input, c.function.output AS output,
         c.file_search.ranking_options.ranker AS file_search_ranker,
         c.file_search.ranking_options.score_threshold AS file_search_score_threshold,
         len(c.code_interpreter.outputs) AS output_count, len(c.file_search.results) AS result_count
  FROM calls;
CREATE OR REPLACE TABLE assistants.code_interpreter_outputs AS
  SELECT step_id, tool_call_position, position, run_id, thread_id, tool_call_id, o.type, o.logs,
         o.image.file_id AS image_file_id
  FROM (SELECT step_id, position AS tool_call_position, unnest(range(len(c.code_interpreter.outputs))) AS position,
               run_id, thread_id, c.id AS tool_call_id, unnest(c.code_interpreter.outputs) AS o
        FROM calls WHERE c.type = 'code_interpreter');
CREATE OR REPLACE TABLE assistants.file_search_results AS
  SELECT step_id, tool_call_position, position, run_id, thread_id, tool_call_id, r.file_id, r.file_name, r.score,
         array_to_string(list_transform(r.content, lambda x: x.text), chr(10)) AS content
  FROM (SELECT step_id, position AS tool_call_position, unnest(range(len(c.file_search.results))) AS position,
               run_id, thread_id, c.id AS tool_call_id, unnest(c.file_search.results) AS r
        FROM calls WHERE c.type = 'file_search');
"""


def main(argv=None) -> int:
    argv = argv if argv is not None else sys.argv[1:]
    root, db = Path(argv[0]).resolve(), Path(argv[1])
    started = time.perf_counter()
    with duckdb.connect(str(db)) as con:
        for statement in SQL.format(root=root).split(";\n"):
            if statement.strip():
                con.execute(statement)
        steps = con.execute("SELECT count(*) FROM assistants.run_steps").fetchone()[0]
    print(json.dumps({"seconds": time.perf_counter() - started, "steps": steps}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
