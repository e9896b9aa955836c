-- int_tool_calls_joined_to_steps
-- Grain: one row per tool call, key (step_id, tool_call_position).
-- Meaning: each tool call with its step's outcome and timing, and its run's model, assistant
--   and day.
-- Definitions:
--   api: the API of the call's run ('assistants'); agent (= assistant_id): its run's assistant.
--   step_status, is_step_terminal, is_step_completed, is_step_failed, is_step_cancelled,
--     is_step_expired: the status of the step the call belongs to. The API gives tool calls no
--     status of their own: a call fails when its step fails.
--   step_last_error_code: the step's last_error.code (server_error, rate_limit_exceeded).
--   step_seconds: the step's created_at -> ended_at.
--   fee_rule, fee_note: how the call is billed beyond tokens (int_tool_calls_classified_by_fee).
with

tool_calls as (

    select * from analytics.stg_run_step_tool_calls

),

steps as (

    select * from analytics.int_steps_joined_to_runs

),

fees as (

    select * from analytics.int_tool_calls_classified_by_fee
    where api = 'assistants'

),

joined as (

    select
        steps.api,
        tool_calls.step_id,
        tool_calls.tool_call_position,
        tool_calls.tool_call_id,
        tool_calls.run_id,
        tool_calls.thread_id,
        steps.agent,
        steps.assistant_id,
        steps.model,
        steps.run_date,
        steps.run_status,
        tool_calls.tool_type,
        fees.fee_rule,
        fees.fee_note,
        tool_calls.function_name,
        tool_calls.server_label,
        tool_calls.output_count,
        tool_calls.result_count,
        steps.status as step_status,
        steps.is_terminal as is_step_terminal,
        steps.is_completed as is_step_completed,
        steps.is_failed as is_step_failed,
        steps.is_cancelled as is_step_cancelled,
        steps.is_expired as is_step_expired,
        steps.last_error_code as step_last_error_code,
        steps.created_at as step_created_at,
        steps.ended_at as step_ended_at,
        steps.step_seconds

    from tool_calls
    left join steps
        on steps.step_id = tool_calls.step_id
    left join fees
        on fees.step_id = tool_calls.step_id
        and fees.tool_call_position = tool_calls.tool_call_position

)

select * from joined
