-- assert_tool_mart_grains_are_unique
-- Returns: one row per grain value that appears more than once in rpt_tool_usage (run_date, api,
--   agent, model, tool_type, function_name), rpt_failures_by_error_code (run_date, api, agent,
--   model, last_error_code) or unpriced_tool_calls (api, model, tool_type, reason).
-- Why: a doubled row counts its tool calls or failures twice in the report.
with

tool_usage as (

    select
        'rpt_tool_usage' as model_name,
        cast(run_date as varchar) || '/' || api || '/' || coalesce(agent, '-') || '/' || coalesce(model, '-')
            || '/' || coalesce(tool_type, '-') || '/' || coalesce(function_name, '-') as key_value,
        count(*) as rows_with_key
    from analytics.rpt_tool_usage
    group by run_date, api, agent, model, tool_type, function_name

),

failures_by_error_code as (

    select
        'rpt_failures_by_error_code' as model_name,
        cast(run_date as varchar) || '/' || api || '/' || coalesce(agent, '-') || '/' || coalesce(model, '-')
            || '/' || last_error_code as key_value,
        count(*) as rows_with_key
    from analytics.rpt_failures_by_error_code
    group by run_date, api, agent, model, last_error_code

),

unpriced_tool_calls as (

    select
        'unpriced_tool_calls' as model_name,
        api || '/' || coalesce(model, '-') || '/' || coalesce(tool_type, '-') || '/' || reason as key_value,
        count(*) as rows_with_key
    from analytics.unpriced_tool_calls
    group by api, model, tool_type, reason

),

all_keys as (

    select * from tool_usage
    union all select * from failures_by_error_code
    union all select * from unpriced_tool_calls

)

select * from all_keys
where rows_with_key > 1 or key_value is null
