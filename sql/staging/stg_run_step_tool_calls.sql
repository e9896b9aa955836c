-- stg_run_step_tool_calls
-- Grain: one row per tool call of a tool_calls step (raw table assistants.run_step_tool_calls),
--   key (step_id, tool_call_position).
-- Meaning: tool calls as the API returned them, renamed and cast; no logic.
-- Definitions:
--   tool_call_position: the call's 0-based place in the step's tool_calls list.
--   tool_type: code_interpreter, file_search, function, or a Foundry kind (mcp, azure_function,
--     connected_agent, bing_grounding, ...).
--   function_name: the name of the function called (function, azure_function), of the MCP tool
--     (mcp) or of the agent (connected_agent); null for tools that have no name.
--   output_count: code interpreter outputs; result_count: file search results.
--   details: the whole payload of a tool type that has no columns of its own.
with

source as (

    select * from assistants.run_step_tool_calls

),

renamed as (

    select
        cast(step_id as varchar) as step_id,
        cast(position as bigint) as tool_call_position,
        cast(id as varchar) as tool_call_id,
        cast(run_id as varchar) as run_id,
        cast(thread_id as varchar) as thread_id,
        cast(type as varchar) as tool_type,
        cast(name as varchar) as function_name,
        cast(arguments as varchar) as arguments,
        cast(input as varchar) as input,
        cast(output as varchar) as output,
        cast(server_label as varchar) as server_label,
        cast(file_search_ranker as varchar) as file_search_ranker,
        cast(file_search_score_threshold as double) as file_search_score_threshold,
        cast(output_count as bigint) as output_count,
        cast(result_count as bigint) as result_count,
        details

    from source

)

select * from renamed
