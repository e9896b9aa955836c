-- rpt_failure_rates
-- Grain: one row per run_date x assistant_id x model that has terminal runs.
-- Meaning: how runs ended, per assistant, model and day, and which error codes failed them.
--   Runs that are not terminal yet (queued, in_progress, requires_action, cancelling) are
--   excluded: they have no outcome, and counting them would understate every rate.
-- Definitions:
--   run_date: UTC date of the runs' created_at.
--   terminal_runs = completed_runs + failed_runs + expired_runs + cancelled_runs + incomplete_runs.
--   unsuccessful_runs: terminal runs that did not complete (failed, expired, cancelled or
--     incomplete). failure_rate = unsuccessful_runs / terminal_runs, between 0 and 1.
--   server_error_runs, rate_limit_exceeded_runs, invalid_prompt_runs: terminal runs whose
--     last_error_code is that code (the codes the API documents for runs);
--     other_error_code_runs: any other code. rpt_failures_by_error_code lists every code.
with

terminal_runs as (

    select * from analytics.fct_runs
    where is_terminal

),

rates as (

    select
        run_date,
        assistant_id,
        model,
        count(*) as terminal_runs,
        count(case when is_completed then 1 end) as completed_runs,
        count(case when is_failed then 1 end) as failed_runs,
        count(case when is_expired then 1 end) as expired_runs,
        count(case when is_cancelled then 1 end) as cancelled_runs,
        count(case when is_incomplete then 1 end) as incomplete_runs,
        count(case when not is_completed then 1 end) as unsuccessful_runs,
        cast(count(case when not is_completed then 1 end) as double) / count(*) as failure_rate,
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
    group by run_date, assistant_id, model

)

select * from rates
