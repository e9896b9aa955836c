-- int_tool_calls_unioned_across_apis
-- Grain: one row per tool call of either API, key (step_id, tool_call_position): an Assistants
--   step's tool call, or a Responses output item that calls a tool (step_id its response_id).
-- Meaning: both APIs' tool calls in one shape, for fct_tool_calls and the per-run counts.
-- Definitions: see int_tool_calls_joined_to_steps and int_response_tool_calls_joined_to_responses.
with

assistants_tool_calls as (

    select * from analytics.int_tool_calls_joined_to_steps

),

response_tool_calls as (

    select * from analytics.int_response_tool_calls_joined_to_responses

),

unioned as (

    select
        api, step_id, tool_call_position, tool_call_id, run_id, thread_id, agent, assistant_id, model,
        run_date, run_status, tool_type, fee_rule, fee_note, function_name, server_label, output_count, result_count,
        step_status, is_step_terminal, is_step_completed, is_step_failed, is_step_cancelled,
        is_step_expired, step_last_error_code, step_created_at, step_ended_at, step_seconds
    from assistants_tool_calls

    union all

    select
        api, step_id, tool_call_position, tool_call_id, run_id, thread_id, agent, assistant_id, model,
        run_date, run_status, tool_type, fee_rule, fee_note, function_name, server_label, output_count, result_count,
        step_status, is_step_terminal, is_step_completed, is_step_failed, is_step_cancelled,
        is_step_expired, step_last_error_code, step_created_at, step_ended_at, step_seconds
    from response_tool_calls

)

select * from unioned
