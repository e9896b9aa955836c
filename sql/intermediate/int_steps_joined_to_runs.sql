-- int_steps_joined_to_runs
-- Grain: one row per run step, key step_id.
-- Meaning: each step with what it takes from its run (steps carry no model: it is the run's), its
--   outcome as flags, when it ended and how long it took.
-- Definitions:
--   api, agent (= assistant_id), model, run_date, run_created_at, run_status, is_run_terminal: the run's. A
--     step whose run is missing keeps its own assistant_id, and has no api, model and run_date.
--   input_tokens / output_tokens: the step's prompt_tokens / completion_tokens. cached_input_tokens
--     and reasoning_tokens: null, as for runs (the Assistants API reports no such detail).
--   is_terminal: the step's status is completed, failed, cancelled or expired.
--   ended_at: completed_at, failed_at, cancelled_at or expired_at by status; null in progress.
--   step_seconds: created_at -> ended_at; null while the step is in progress.
with

steps as (

    select * from analytics.stg_run_steps

),

runs as (

    select * from analytics.int_runs_classified

),

joined as (

    select
        runs.api,
        steps.step_id,
        steps.run_id,
        steps.thread_id,
        coalesce(runs.agent, steps.assistant_id) as agent,
        coalesce(runs.assistant_id, steps.assistant_id) as assistant_id,
        runs.model,
        runs.run_date,
        runs.created_at as run_created_at,
        runs.status as run_status,
        runs.is_terminal as is_run_terminal,
        steps.step_type,
        steps.status,
        steps.status in ('completed', 'failed', 'cancelled', 'expired') as is_terminal,
        steps.status = 'completed' as is_completed,
        steps.status = 'failed' as is_failed,
        steps.status = 'cancelled' as is_cancelled,
        steps.status = 'expired' as is_expired,
        steps.last_error_code,
        steps.last_error_message,
        steps.created_at,
        case
            when steps.status = 'completed' then steps.completed_at
            when steps.status = 'failed' then steps.failed_at
            when steps.status = 'cancelled' then steps.cancelled_at
            when steps.status = 'expired' then steps.expired_at
        end as ended_at,
        steps.prompt_tokens as input_tokens,
        cast(null as bigint) as cached_input_tokens,
        steps.completion_tokens as output_tokens,
        cast(null as bigint) as reasoning_tokens,
        steps.total_tokens,
        steps.message_id,
        steps.tool_call_count

    from steps
    left join runs
        on runs.run_id = steps.run_id

),

timed as (

    select
        *,
        epoch(ended_at) - epoch(created_at) as step_seconds

    from joined

)

select * from timed
