-- stg_file_search_results
-- Grain: one row per result of a file_search tool call (raw table
--   assistants.file_search_results), key (step_id, tool_call_position, result_position).
-- Meaning: file search results, renamed and cast; no logic.
-- Definitions:
--   score: the ranker's relevance score.
--   content: the matched text; null unless the loader ran with --include-file-search-content.
with

source as (

    select * from assistants.file_search_results

),

renamed as (

    select
        cast(step_id as varchar) as step_id,
        cast(tool_call_position as bigint) as tool_call_position,
        cast(position as bigint) as result_position,
        cast(run_id as varchar) as run_id,
        cast(thread_id as varchar) as thread_id,
        cast(tool_call_id as varchar) as tool_call_id,
        cast(file_id as varchar) as file_id,
        cast(file_name as varchar) as file_name,
        cast(score as double) as score,
        cast(content as varchar) as content

    from source

)

select * from renamed
