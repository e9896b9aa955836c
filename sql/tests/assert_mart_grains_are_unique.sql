-- assert_mart_grains_are_unique
-- Returns: one row per grain value that appears more than once in a daily mart that promises it
--   unique: rpt_daily_usage, rpt_failure_rates and rpt_daily_timings (run_date, api, agent, model).
--   The tool and error-code marts are assert_tool_mart_grains_are_unique, the facts'
--   keys assert_keys_are_unique: each query expands only a few views, so that it stays within
--   DuckDB's memory cap (every view of a query is inlined into one plan).
-- Why: a doubled row of a mart counts its runs, tokens and cost twice in the report.
with

daily_usage as (

    select
        'rpt_daily_usage' as model_name,
        cast(run_date as varchar) || '/' || api || '/' || coalesce(agent, '-') || '/' || coalesce(model, '-')
            as key_value,
        count(*) as rows_with_key
    from analytics.rpt_daily_usage
    group by run_date, api, agent, model

),

failure_rates as (

    select
        'rpt_failure_rates' as model_name,
        cast(run_date as varchar) || '/' || api || '/' || coalesce(agent, '-') || '/' || coalesce(model, '-')
            as key_value,
        count(*) as rows_with_key
    from analytics.rpt_failure_rates
    group by run_date, api, agent, model

),

daily_timings as (

    select
        'rpt_daily_timings' as model_name,
        cast(run_date as varchar) || '/' || api || '/' || coalesce(agent, '-') || '/' || coalesce(model, '-')
            as key_value,
        count(*) as rows_with_key
    from analytics.rpt_daily_timings
    group by run_date, api, agent, model

),

all_keys as (

    select * from daily_usage
    union all select * from failure_rates
    union all select * from daily_timings

)

select * from all_keys
where rows_with_key > 1 or key_value is null
