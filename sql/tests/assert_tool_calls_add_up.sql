-- assert_tool_calls_add_up
-- Returns: one row per check that fails, with the two sides:
--   - fct_tool_calls has as many rows as the raw tool calls and the response items that call a
--     tool (no fan-out from its joins to steps and runs);
--   - unpriced_tool_calls lists each call billed otherwise (fee_rule billed_otherwise) once.
-- Why: tool usage and the tool fees left out of the costs are sums of these; a join that doubles or
--   drops a call would move them without any error. (Apart from assert_usage_and_cost_add_up, so
--   that neither query expands every view at once.)
with

raw_tool_calls as (

    select step_id from analytics.stg_run_step_tool_calls
    union all
    select response_id as step_id from analytics.stg_response_items
    where item_type like '%\_call' escape '\'

),

tool_calls as (

    select * from analytics.fct_tool_calls

),

listed_tool_calls as (

    select * from analytics.unpriced_tool_calls

),

checks as (

    select 'fct_tool_calls rows = raw tool calls' as check_name,
        cast((select count(*) from tool_calls) as double) as left_side,
        cast((select count(*) from raw_tool_calls) as double) as right_side

    union all

    select 'unpriced_tool_calls billed otherwise = fct_tool_calls billed otherwise',
        cast((select coalesce(sum(calls), 0) from listed_tool_calls
              where reason <> 'no per-call price for the model') as double),
        cast((select count(*) from tool_calls where fee_rule = 'billed_otherwise') as double)

)

select * from checks
where left_side <> right_side
