-- stg_conversation_items
-- Grain: one row per item of a conversation (raw table assistants.conversation_items), key
--   (conversation_id, item_position).
-- Meaning: a conversation's items (inputs and outputs, oldest first) as the API returned them; no logic.
-- Definitions:
--   response_id: the response that produced the item, when the API says so.
with

source as (

    select * from assistants.conversation_items

),

renamed as (

    select
        cast(conversation_id as varchar) as conversation_id,
        cast(position as bigint) as item_position,
        cast(id as varchar) as item_id,
        cast(type as varchar) as item_type,
        cast(role as varchar) as role,
        cast(status as varchar) as status,
        cast(call_id as varchar) as call_id,
        cast(name as varchar) as function_name,
        cast(text as varchar) as text,
        cast(response_id as varchar) as response_id,
        details

    from source

)

select * from renamed
