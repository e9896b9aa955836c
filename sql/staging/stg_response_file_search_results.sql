-- stg_response_file_search_results
-- Grain: one row per result of a file_search_call item (raw table
--   assistants.response_file_search_results), key (response_id, item_position, result_position).
-- Meaning: file search results as the API returned them (when asked with include[]); no logic.
with

source as (

    select * from assistants.response_file_search_results

),

renamed as (

    select
        cast(response_id as varchar) as response_id,
        cast(item_position as bigint) as item_position,
        cast(position as bigint) as result_position,
        cast(item_id as varchar) as item_id,
        cast(file_id as varchar) as file_id,
        cast(filename as varchar) as filename,
        cast(score as double) as score,
        cast(text as varchar) as text,
        attributes

    from source

)

select * from renamed
