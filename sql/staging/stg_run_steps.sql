-- stg_run_steps
-- Grain: one row per run step (raw table assistants.run_steps), key step_id.
-- Meaning: run steps as the API returned them, renamed and cast; no logic.
-- Definitions:
--   step_type: message_creation or tool_calls (or a newer type, whose payload is in details).
--   status: in_progress, or completed, failed, cancelled, expired (terminal).
--   prompt_tokens / completion_tokens / total_tokens: the step's share of its run's usage; null
--     while the step is in progress, and absent altogether on some Foundry servers.
--   message_id: the message a message_creation step created.
with

source as (

    select * from assistants.run_steps

),

renamed as (

    select
        cast(id as varchar) as step_id,
        cast(run_id as varchar) as run_id,
        cast(thread_id as varchar) as thread_id,
        cast(assistant_id as varchar) as assistant_id,
        cast(type as varchar) as step_type,
        cast(status as varchar) as status,
        cast(created_at as timestamptz) as created_at,
        cast(completed_at as timestamptz) as completed_at,
        cast(failed_at as timestamptz) as failed_at,
        cast(cancelled_at as timestamptz) as cancelled_at,
        cast(expired_at as timestamptz) as expired_at,
        cast(last_error_code as varchar) as last_error_code,
        cast(last_error_message as varchar) as last_error_message,
        cast(prompt_tokens as bigint) as prompt_tokens,
        cast(completion_tokens as bigint) as completion_tokens,
        cast(total_tokens as bigint) as total_tokens,
        cast(message_id as varchar) as message_id,
        cast(tool_call_count as bigint) as tool_call_count,
        metadata,
        details

    from source

)

select * from renamed
