-- int_runs_classified
-- Grain: one row per run of either API, key run_id.
-- Meaning: each run (an Assistants run or a response) with its day, its outcome as flags, when it ended, how long it queued and ran,
--   and its usage by token class.
-- Definitions:
--   api: the API the run comes from ('assistants' or 'responses'; see int_runs_unioned_across_apis).
--   agent (= assistant_id), agent_name, agent_version, reported_web_search_calls: as
--     int_runs_unioned_across_apis defines them.
--   run_date: the UTC date of the run's created_at. Every run-level and step-level figure is
--     dated by it, so a run and its steps always land on the same day.
--   is_terminal: status is completed, failed, cancelled, expired or incomplete; such a run no
--     longer changes. Open runs (queued, in_progress, requires_action, cancelling) are not terminal.
--   is_error: the run failed or expired: it ended without an answer because of an error or a
--     timeout. Cancelled runs (someone stopped them) and incomplete runs (a token limit the caller
--     set) are not errors, only not completed.
--   ended_at: when a terminal run ended (by status and API: see int_runs_unioned_across_apis).
--   queue_seconds: created_at -> started_at; null until the run starts, and for responses (no start).
--   run_seconds: run_started_at -> ended_at (a response's from its creation); null while open, and
--     for a run that never started. For an expired run it is pinned at the expiry time, not work done.
--   input_tokens / cached_input_tokens / output_tokens / reasoning_tokens / total_tokens: the run's
--     usage by class (null until terminal); cached_input_tokens and reasoning_tokens are null for
--     assistants runs (unknown, not 0): their input is priced at the full input rate (int_usage_priced).
with

runs as (

    select * from analytics.int_runs_unioned_across_apis

),

classified as (

    select
        api,
        run_id,
        thread_id,
        agent,
        assistant_id,
        agent_name,
        agent_version,
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
        run_started_at,
        ended_at,
        input_tokens,
        cached_input_tokens,
        output_tokens,
        reasoning_tokens,
        total_tokens,
        reported_web_search_calls

    from runs

),

timed as (

    select
        *,
        epoch(started_at) - epoch(created_at) as queue_seconds,
        epoch(ended_at) - epoch(run_started_at) as run_seconds

    from classified

)

select * from timed
