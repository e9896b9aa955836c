-- int_tool_calls_pivoted_to_runs
-- Grain: one row per run that made at least one tool call, key run_id.
-- Meaning: a run's tool calls counted by tool type.
-- Definitions:
--   other_tool_calls: calls of any other type (mcp, azure_function, connected_agent,
--     bing_grounding, ...); fct_tool_calls and rpt_tool_usage give them by type.
with

tool_calls as (

    select * from analytics.int_tool_calls_unioned_across_apis

),

pivoted as (

    select
        run_id,
        count(*) as tool_calls,
        count(case when tool_type = 'code_interpreter' then 1 end) as code_interpreter_calls,
        count(case when tool_type = 'file_search' then 1 end) as file_search_calls,
        count(case when tool_type = 'function' then 1 end) as function_calls,
        count(
            case
                when tool_type is null
                    or tool_type not in ('code_interpreter', 'file_search', 'function')
                    then 1
            end
        ) as other_tool_calls

    from tool_calls
    group by run_id

)

select * from pivoted
