-- int_runs_classified
-- Grain: one row per run, key run_id.
-- Meaning: each run with its day, its outcome as flags, when it ended, how long it queued and ran,
--   and its usage by token class.
-- Definitions:
--   api: the API the run comes from ('assistants').
--   run_date: the UTC date of the run's created_at. Every run-level and step-level figure is
--     dated by it, so a run and its steps always land on the same day.
--   is_terminal: status is completed, failed, cancelled, expired or incomplete; such a run no
--     longer changes. Open runs (queued, in_progress, requires_action, cancelling) are not terminal.
--   is_error: the run failed or expired: it ended without an answer because of an error or a
--     timeout. Cancelled runs (someone stopped them) and incomplete runs (a token limit the caller
--     set) are not errors, only not completed.
--   ended_at: when a terminal run ended: completed_at, failed_at or cancelled_at by status; for an
--     expired run its expires_at; for an incomplete run the first of completed_at, failed_at,
--     cancelled_at that is set. Null while the run is open.
--   queue_seconds: created_at -> started_at; null until the run starts.
--   run_seconds: started_at -> ended_at; null while open, and for a run that never started. For an
--     expired run it is pinned at the expiry time, not work done.
--   input_tokens / output_tokens: the run's prompt_tokens / completion_tokens (null until terminal).
--   cached_input_tokens, reasoning_tokens: null: the Assistants API reports no cached-token and no
--     reasoning-token detail for runs, so they are unknown (not 0). Every input token is priced at
--     the full input rate (see int_usage_priced).
with

runs as (

    select * from analytics.stg_runs

),

classified as (

    select
        api,
        run_id,
        thread_id,
        assistant_id,
        model,
        status,
        cast(created_at at time zone 'UTC' as date) as run_date,
        status in ('completed', 'failed', 'cancelled', 'expired', 'incomplete') as is_terminal,
        status = 'completed' as is_completed,
        status = 'failed' as is_failed,
        status = 'cancelled' as is_cancelled,
        status = 'expired' as is_expired,
        status = 'incomplete' as is_incomplete,
        status in ('failed', 'expired') as is_error,
        last_error_code,
        last_error_message,
        incomplete_reason,
        required_action_type,
        created_at,
        started_at,
        case
            when status = 'completed' then completed_at
            when status = 'failed' then failed_at
            when status = 'cancelled' then cancelled_at
            when status = 'expired' then expires_at
            when status = 'incomplete' then coalesce(completed_at, failed_at, cancelled_at)
        end as ended_at,
        prompt_tokens as input_tokens,
        cast(null as bigint) as cached_input_tokens,
        completion_tokens as output_tokens,
        cast(null as bigint) as reasoning_tokens,
        total_tokens

    from runs

),

timed as (

    select
        *,
        epoch(started_at) - epoch(created_at) as queue_seconds,
        epoch(ended_at) - epoch(started_at) as run_seconds

    from classified

)

select * from timed
