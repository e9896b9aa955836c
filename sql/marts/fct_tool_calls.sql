-- fct_tool_calls
-- Grain: one row per tool call, key (step_id, tool_call_position).
-- Meaning: every tool call with its type and name, the status and duration of its step, and its
--   run's assistant, model and day.
-- Definitions:
--   api: the API of the call's run ('assistants' or 'responses'; for responses step_id is the
--     response_id and the step fields are the output item's and its response's).
--   agent (= assistant_id): the agent of the call's run.
--   tool_type: code_interpreter, file_search, function, or a Foundry kind (mcp, azure_function,
--     connected_agent, bing_grounding, ...).
--   fee_rule: how the provider bills the call beyond tokens: per_call_web_search and
--     per_call_file_search (responses; priced in fct_runs), tokens_only (no fee), billed_otherwise
--     (a fee runsteps does not price: listed in unpriced_tool_calls); see
--     int_tool_calls_classified_by_fee. fee_note: how a billed_otherwise call is billed instead.
--   function_name: the function's name (function, azure_function), the MCP tool's (mcp), the
--     agent's (connected_agent); null for tools without a name.
--   step_status and the is_step_* flags: the outcome of the call's step. A tool call has no status
--     of its own: it failed when its step failed.
--   step_seconds: the step's created_at -> ended_at; null while the step is in progress.
--   output_count: code interpreter outputs; result_count: file search results.
with

tool_calls as (

    select * from analytics.int_tool_calls_unioned_across_apis

),

final as (

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
        step_status,
        is_step_terminal,
        is_step_completed,
        is_step_failed,
        is_step_cancelled,
        is_step_expired,
        step_last_error_code,
        step_created_at,
        step_ended_at,
        step_seconds,
        output_count,
        result_count

    from tool_calls

)

select * from final
