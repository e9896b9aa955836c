-- stg_response_code_interpreter_outputs
-- Grain: one row per output of a code_interpreter_call item (raw table
--   assistants.response_code_interpreter_outputs), key (response_id, item_position, output_position).
-- Meaning: code interpreter outputs (logs, images) as the API returned them; no logic.
with

source as (

    select * from assistants.response_code_interpreter_outputs

),

renamed as (

    select
        cast(response_id as varchar) as response_id,
        cast(item_position as bigint) as item_position,
        cast(position as bigint) as output_position,
        cast(item_id as varchar) as item_id,
        cast(type as varchar) as output_type,
        cast(logs as varchar) as logs,
        cast(url as varchar) as url

    from source

)

select * from renamed
