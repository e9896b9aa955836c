-- stg_response_items
-- Grain: one row per output item of a response (raw table assistants.response_items), key
--   (response_id, item_position).
-- Meaning: a response's output items (messages, reasoning, tool calls) as the API returned them,
--   renamed and cast; no logic.
-- Definitions:
--   item_position: the item's 0-based place in the response's output list.
--   item_type: message, reasoning, or a tool call (function_call, file_search_call,
--     code_interpreter_call, web_search_call, mcp_call, and Foundry kinds).
--   status: the item's own status (completed, incomplete, in_progress, failed, ...), when it has one.
--   function_name: the function or MCP tool called; null for tools without a name.
with

source as (

    select * from assistants.response_items

),

renamed as (

    select
        cast(response_id as varchar) as response_id,
        cast(position as bigint) as item_position,
        cast(id as varchar) as item_id,
        cast(type as varchar) as item_type,
        cast(status as varchar) as status,
        cast(role as varchar) as role,
        cast(call_id as varchar) as call_id,
        cast(name as varchar) as function_name,
        cast(arguments as varchar) as arguments,
        cast(output as varchar) as output,
        cast(server_label as varchar) as server_label,
        cast(error as varchar) as error,
        details

    from source

)

select * from renamed
