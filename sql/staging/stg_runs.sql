-- stg_runs
-- Grain: one row per run (raw table assistants.runs), key run_id.
-- Meaning: runs as the API returned them, renamed and cast; no logic.
-- Definitions:
--   status: queued, in_progress, requires_action, cancelling (open), or completed, failed,
--     cancelled, expired, incomplete (terminal).
--   prompt_tokens / completion_tokens / total_tokens: the run's whole usage; null until the run
--     is terminal. The same tokens are broken down per step in stg_run_steps: never add both.
--   expires_at: when an open run expires (a deadline, also set on runs that did not expire).
--   is_parallel_tool_calls_enabled: the run's parallel_tool_calls setting.
--   api: which API the row comes from: 'assistants' (the Assistants API v2). The marts carry it so
--     that another API's runs (the Responses API) can join them; the only place the value is set.
with

source as (

    select * from assistants.runs

),

renamed as (

    select
        'assistants' as api,
        cast(id as varchar) as run_id,
        cast(thread_id as varchar) as thread_id,
        cast(assistant_id as varchar) as assistant_id,
        cast(status as varchar) as status,
        cast(model as varchar) as model,
        cast(created_at as timestamptz) as created_at,
        cast(started_at as timestamptz) as started_at,
        cast(completed_at as timestamptz) as completed_at,
        cast(failed_at as timestamptz) as failed_at,
        cast(cancelled_at as timestamptz) as cancelled_at,
        cast(expires_at as timestamptz) as expires_at,
        cast(last_error_code as varchar) as last_error_code,
        cast(last_error_message as varchar) as last_error_message,
        cast(incomplete_reason as varchar) as incomplete_reason,
        cast(required_action_type as varchar) as required_action_type,
        cast(prompt_tokens as bigint) as prompt_tokens,
        cast(completion_tokens as bigint) as completion_tokens,
        cast(total_tokens as bigint) as total_tokens,
        cast(temperature as double) as temperature,
        cast(top_p as double) as top_p,
        cast(max_prompt_tokens as bigint) as max_prompt_tokens,
        cast(max_completion_tokens as bigint) as max_completion_tokens,
        truncation_strategy,
        tool_choice,
        response_format,
        cast(parallel_tool_calls as boolean) as is_parallel_tool_calls_enabled,
        tools,
        cast(instructions as varchar) as instructions,
        metadata

    from source

)

select * from renamed
