-- int_response_tool_calls_joined_to_responses
-- Grain: one row per tool-call output item of a response, key (response_id, item_position).
-- Meaning: the Responses API's tool calls (output items whose type ends in `_call`) with their
--   response's agent, model, day and outcome, in the shape of the Assistants API's tool calls.
-- Definitions:
--   step_id: the response_id: a response has no steps, its output items play the part of one step.
--   tool_call_position: the item's place in the response's output.
--   tool_type, fee_rule, fee_note: as int_tool_calls_classified_by_fee defines them (the item
--     type without `_call`; how the call is billed beyond tokens).
--   step_status: the item's status, or its response's when the item has none. is_step_terminal:
--     completed, failed, cancelled or incomplete; a tool call failed when that status is failed.
--   step_created_at / step_ended_at / step_seconds: the response's (items have no times).
--   output_count: code interpreter outputs loaded; result_count: file search results loaded.
with

items as (

    select * from analytics.stg_response_items

),

runs as (

    select * from analytics.int_runs_classified
    where api = 'responses'

),

code_outputs as (

    select * from analytics.stg_response_code_interpreter_outputs

),

search_results as (

    select * from analytics.stg_response_file_search_results

),

fees as (

    select * from analytics.int_tool_calls_classified_by_fee
    where api = 'responses'

),

tool_call_items as (

    select
        items.*,
        fees.tool_type,
        fees.fee_rule,
        fees.fee_note

    from items
    inner join fees
        on fees.step_id = items.response_id
        and fees.tool_call_position = items.item_position

),

outputs_per_item as (

    select response_id, item_position, count(*) as output_count
    from code_outputs
    group by response_id, item_position

),

results_per_item as (

    select response_id, item_position, count(*) as result_count
    from search_results
    group by response_id, item_position

),

joined as (

    select
        runs.api,
        tool_call_items.response_id as step_id,
        tool_call_items.item_position as tool_call_position,
        coalesce(tool_call_items.call_id, tool_call_items.item_id) as tool_call_id,
        tool_call_items.response_id as run_id,
        runs.thread_id,
        runs.agent,
        runs.assistant_id,
        runs.model,
        runs.run_date,
        runs.status as run_status,
        tool_call_items.tool_type,
        tool_call_items.fee_rule,
        tool_call_items.fee_note,
        tool_call_items.function_name,
        tool_call_items.server_label,
        outputs_per_item.output_count,
        results_per_item.result_count,
        coalesce(tool_call_items.status, runs.status) as step_status,
        runs.last_error_code as step_last_error_code,
        runs.created_at as step_created_at,
        runs.ended_at as step_ended_at,
        runs.run_seconds as step_seconds

    from tool_call_items
    inner join runs
        on runs.run_id = tool_call_items.response_id
    left join outputs_per_item
        on outputs_per_item.response_id = tool_call_items.response_id
        and outputs_per_item.item_position = tool_call_items.item_position
    left join results_per_item
        on results_per_item.response_id = tool_call_items.response_id
        and results_per_item.item_position = tool_call_items.item_position

),

classified as (

    select
        api,
        step_id,
        tool_call_position,
        tool_call_id,
        run_id,
        thread_id,
        agent,
        assistant_id,
        model,
        run_date,
        run_status,
        tool_type,
        fee_rule,
        fee_note,
        function_name,
        server_label,
        output_count,
        result_count,
        step_status,
        step_status in ('completed', 'failed', 'cancelled', 'incomplete') as is_step_terminal,
        step_status = 'completed' as is_step_completed,
        step_status = 'failed' as is_step_failed,
        step_status = 'cancelled' as is_step_cancelled,
        false as is_step_expired,
        step_last_error_code,
        step_created_at,
        step_ended_at,
        step_seconds

    from joined

)

select * from classified
