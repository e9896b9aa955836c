-- stg_conversations
-- Grain: one row per conversation (raw table assistants.conversations), key conversation_id.
-- Meaning: conversations of the Conversations API as it returned them, renamed and cast; no logic.
-- Definitions:
--   item_count: the items loaded for the conversation.
--   deleted_at: when the loader found the conversation deleted (404); null while it exists.
with

source as (

    select * from assistants.conversations

),

renamed as (

    select
        cast(id as varchar) as conversation_id,
        cast(created_at as timestamptz) as created_at,
        metadata,
        cast(item_count as bigint) as item_count,
        cast(discovered_via as varchar) as discovered_via,
        cast(deleted_at as timestamptz) as deleted_at

    from source

)

select * from renamed
