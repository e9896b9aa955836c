-- stg_code_interpreter_outputs
-- Grain: one row per output of a code_interpreter tool call (raw table
--   assistants.code_interpreter_outputs), key (step_id, tool_call_position, output_position).
-- Meaning: code interpreter outputs, renamed and cast; no logic.
-- Definitions:
--   output_type: logs (text in logs) or image (a file in image_file_id).
with

source as (

    select * from assistants.code_interpreter_outputs

),

renamed as (

    select
        cast(step_id as varchar) as step_id,
        cast(tool_call_position as bigint) as tool_call_position,
        cast(position as bigint) as output_position,
        cast(run_id as varchar) as run_id,
        cast(thread_id as varchar) as thread_id,
        cast(tool_call_id as varchar) as tool_call_id,
        cast(type as varchar) as output_type,
        cast(logs as varchar) as logs,
        cast(image_file_id as varchar) as image_file_id

    from source

)

select * from renamed
