-- rpt_failure_rates
-- Grain: one row per run_date x api x agent x model that has terminal runs.
-- Meaning: how runs ended, per API, assistant, model and day, and which error codes failed them.
--   Runs that are not terminal yet (queued, in_progress, requires_action, cancelling) are
--   excluded: they have no outcome, and counting them would understate every rate.
-- Definitions:
--   agent: the assistant id, or the Foundry agent as `name:version` (null for responses without
--     an agent); assistant_id: the same value, kept for queries written before the Responses API.
--   run_date: UTC date of the runs' created_at.
--   terminal_runs = completed_runs + failed_runs + expired_runs + cancelled_runs + incomplete_runs.
--   error_runs = failed_runs + expired_runs: runs that ended on an error or a timeout.
--     error_rate = error_runs / terminal_runs, between 0 and 1. The headline rate.
--   not_completed_runs: terminal runs that did not complete = error_runs + cancelled_runs +
--     incomplete_runs (a cancel or a token limit is not an error, but gave no full answer).
--     not_completed_rate = not_completed_runs / terminal_runs, between 0 and 1.
--   server_error_runs, rate_limit_exceeded_runs, invalid_prompt_runs: terminal runs whose
--     last_error_code is that code (the codes the API documents for runs);
--     other_error_code_runs: any other code. rpt_failures_by_error_code lists every code.
with

terminal_runs as (

    select * from analytics.fct_runs
    where is_terminal

),

counted as (

    select
        run_date,
        api,
        agent,
        assistant_id,
        model,
        count(*) as terminal_runs,
        count(case when is_completed then 1 end) as completed_runs,
        count(case when is_failed then 1 end) as failed_runs,
        count(case when is_expired then 1 end) as expired_runs,
        count(case when is_cancelled then 1 end) as cancelled_runs,
        count(case when is_incomplete then 1 end) as incomplete_runs,
        count(case when is_error then 1 end) as error_runs,
        count(case when not is_completed then 1 end) as not_completed_runs,
        count(case when last_error_code = 'server_error' then 1 end) as server_error_runs,
        count(case when last_error_code = 'rate_limit_exceeded' then 1 end) as rate_limit_exceeded_runs,
        count(case when last_error_code = 'invalid_prompt' then 1 end) as invalid_prompt_runs,
        count(
            case
                when last_error_code not in ('server_error', 'rate_limit_exceeded', 'invalid_prompt')
                    then 1
            end
        ) as other_error_code_runs

    from terminal_runs
    group by run_date, api, agent, assistant_id, model

),

rates as (

    select
        *,
        cast(error_runs as double) / terminal_runs as error_rate,
        cast(not_completed_runs as double) / terminal_runs as not_completed_rate

    from counted

)

select * from rates
