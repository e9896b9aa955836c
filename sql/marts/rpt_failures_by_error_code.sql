-- rpt_failures_by_error_code
-- Grain: one row per run_date x api x agent x model x last_error_code, over terminal runs that
--   carry an error code.
-- Meaning: why runs failed, per assistant, model and day, for every error code the API sent
--   (rpt_failure_rates has columns for the documented codes only). Runs that are not terminal
--   yet are excluded, as in rpt_failure_rates.
-- Definitions:
--   agent: the assistant id, or the Foundry agent as `name:version` (null for responses without
--     an agent); assistant_id: the same value, kept for queries written before the Responses API.
--   runs: terminal runs with this last_error_code; failed_runs: those whose status is failed.
--   terminal_runs: all terminal runs of the same day, API, assistant and model, with or without a code.
--   share_of_terminal_runs = runs / terminal_runs.
with

terminal_runs as (

    select * from analytics.fct_runs
    where is_terminal

),

by_code as (

    select
        run_date,
        api,
        agent,
        assistant_id,
        model,
        last_error_code,
        count(*) as runs,
        count(case when is_failed then 1 end) as failed_runs

    from terminal_runs
    where last_error_code is not null
    group by run_date, api, agent, assistant_id, model, last_error_code

),

totals as (

    select
        run_date,
        api,
        agent,
        assistant_id,
        model,
        count(*) as terminal_runs

    from terminal_runs
    group by run_date, api, agent, assistant_id, model

),

final as (

    select
        by_code.run_date,
        by_code.api,
        by_code.agent,
        by_code.assistant_id,
        by_code.model,
        by_code.last_error_code,
        by_code.runs,
        by_code.failed_runs,
        totals.terminal_runs,
        cast(by_code.runs as double) / totals.terminal_runs as share_of_terminal_runs

    from by_code
    inner join totals
        on totals.run_date is not distinct from by_code.run_date
        and totals.api is not distinct from by_code.api
        and totals.agent is not distinct from by_code.agent
        and totals.assistant_id is not distinct from by_code.assistant_id
        and totals.model is not distinct from by_code.model

)

select * from final
