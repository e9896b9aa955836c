-- int_tool_calls_pivoted_to_runs
-- Grain: one row per run that made at least one tool call, key run_id.
-- Meaning: a run's tool calls counted by tool type.
-- Definitions:
--   web_search_calls: the Responses API's web_search_call items.
--   per_call_web_search_calls / per_call_file_search_calls / billed_otherwise_tool_calls: calls by
--     fee_rule (int_tool_calls_classified_by_fee).
--   other_tool_calls: calls of any other type (mcp, azure_function, connected_agent,
--     bing_grounding, image_generation, ...); fct_tool_calls and rpt_tool_usage give them by type.
with

tool_calls as (

    select * from analytics.int_tool_calls_classified_by_fee

),

pivoted as (

    select
        run_id,
        count(*) as tool_calls,
        count(case when tool_type = 'code_interpreter' then 1 end) as code_interpreter_calls,
        count(case when tool_type = 'file_search' then 1 end) as file_search_calls,
        count(case when tool_type = 'function' then 1 end) as function_calls,
        count(case when tool_type = 'web_search' then 1 end) as web_search_calls,
        count(case when fee_rule = 'per_call_web_search' then 1 end) as per_call_web_search_calls,
        count(case when fee_rule = 'per_call_file_search' then 1 end) as per_call_file_search_calls,
        count(case when fee_rule = 'billed_otherwise' then 1 end) as billed_otherwise_tool_calls,
        count(
            case
                when tool_type is null
                    or tool_type not in ('code_interpreter', 'file_search', 'function', 'web_search')
                    then 1
            end
        ) as other_tool_calls

    from tool_calls
    group by run_id

)

select * from pivoted
