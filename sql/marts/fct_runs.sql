-- fct_runs
-- Grain: one row per run of either API, key run_id: an Assistants run or a Responses response.
-- Meaning: every run with its assistant, model, day, outcome, timings, usage, cost, and what its
--   steps and tool calls were. The usage and cost here are the run's own totals, the only ones
--   to add up for spend.
-- Definitions:
--   run_date: UTC date of created_at.
--   is_terminal and is_completed / is_failed / is_cancelled / is_expired / is_incomplete: the
--     outcome; an open run (queued, in_progress, requires_action, cancelling) is not terminal.
--   api: the API the run comes from: 'assistants' or 'responses'.
--   agent: the agent that ran: the assistant id, or the response's Foundry agent as
--     `name:version` (null for a response made without an agent). agent_name / agent_version: the
--     Foundry agent's name and version (for assistants: the assistant id, and null).
--     assistant_id: the same value as agent, kept for queries written before the Responses API.
--   thread_id: the thread, or the conversation.
--   is_error: failed or expired (an error or a timeout); cancelled and incomplete runs are not
--     errors, only not completed.
--   last_error_code: server_error, rate_limit_exceeded or invalid_prompt (set on failed runs).
--   queue_seconds: created_at -> started_at. run_seconds: started_at -> ended_at (see
--     int_runs_classified for ended_at by status).
--   input_tokens / cached_input_tokens / output_tokens / reasoning_tokens / total_tokens: the run's
--     usage by token class; null until terminal. cached_input_tokens and reasoning_tokens are null
--     for assistants runs: the API reports no such detail.
--   input_cost_usd / cached_input_cost_usd / output_cost_usd / web_search_cost_usd /
--     file_search_cost_usd / tool_cost_usd / cost_usd: the cost by token class, by tool billed per
--     call, and in all, at the price of the run's model at created_at (priced_at), as
--     int_usage_priced defines them (billed_web_search_calls / billed_file_search_calls: the calls
--     billed per call; unpriced_tool_calls: calls with a fee that is in no cost, listed in the
--     mart unpriced_tool_calls; tool calls that cost tokens only have no fee); null (never 0) when that model has no price then (is_priced false, see
--     unpriced_models) or the run has no usage yet.
--   cost_basis: 'list_price_with_cache_discount' for responses (cached input at the cache-read
--     price); 'list_price_without_cache_discount' for assistants runs: a list-price estimate
--     with every input token at the full input rate (no cached-token detail), so an upper bound of
--     the bill.
--   steps, message_creation_steps, tool_calls_steps, failed_steps: the run's steps (0 if none).
--   tool_calls, code_interpreter_calls, file_search_calls, function_calls, web_search_calls,
--     other_tool_calls: its tool calls by type (0 if none).
with

runs as (

    select * from analytics.int_runs_priced

),

steps as (

    select * from analytics.int_steps_aggregated_to_runs

),

tool_calls as (

    select * from analytics.int_tool_calls_pivoted_to_runs

),

final as (

    select
        runs.api,
        runs.run_id,
        runs.thread_id,
        runs.agent,
        runs.assistant_id,
        runs.agent_name,
        runs.agent_version,
        runs.model,
        runs.run_date,
        runs.status,
        runs.is_terminal,
        runs.is_completed,
        runs.is_failed,
        runs.is_cancelled,
        runs.is_expired,
        runs.is_incomplete,
        runs.is_error,
        runs.last_error_code,
        runs.last_error_message,
        runs.incomplete_reason,
        runs.required_action_type,
        runs.created_at,
        runs.started_at,
        runs.ended_at,
        runs.queue_seconds,
        runs.run_seconds,
        runs.input_tokens,
        runs.cached_input_tokens,
        runs.output_tokens,
        runs.reasoning_tokens,
        runs.total_tokens,
        runs.is_priced,
        runs.priced_at,
        runs.input_usd_per_mtok,
        runs.cached_input_usd_per_mtok,
        runs.output_usd_per_mtok,
        runs.price_source,
        runs.price_starts_at,
        runs.input_cost_usd,
        runs.cached_input_cost_usd,
        runs.output_cost_usd,
        runs.billed_web_search_calls,
        runs.billed_file_search_calls,
        runs.web_search_usd_per_kcall,
        runs.file_search_usd_per_kcall,
        runs.web_search_cost_usd,
        runs.file_search_cost_usd,
        runs.tool_cost_usd,
        runs.unpriced_tool_calls,
        runs.cost_usd,
        runs.cost_basis,
        coalesce(steps.steps, 0) as steps,
        coalesce(steps.message_creation_steps, 0) as message_creation_steps,
        coalesce(steps.tool_calls_steps, 0) as tool_calls_steps,
        coalesce(steps.failed_steps, 0) as failed_steps,
        coalesce(tool_calls.tool_calls, 0) as tool_calls,
        coalesce(tool_calls.code_interpreter_calls, 0) as code_interpreter_calls,
        coalesce(tool_calls.file_search_calls, 0) as file_search_calls,
        coalesce(tool_calls.function_calls, 0) as function_calls,
        coalesce(tool_calls.web_search_calls, 0) as web_search_calls,
        coalesce(tool_calls.other_tool_calls, 0) as other_tool_calls

    from runs
    left join steps
        on steps.run_id = runs.run_id
    left join tool_calls
        on tool_calls.run_id = runs.run_id

)

select * from final
