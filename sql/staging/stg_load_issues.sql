-- stg_load_issues
-- Grain: one row per problem the loader met (raw table assistants.load_issues); no key: the
--   table is appended to, and the same problem met on two loads is two rows.
-- Meaning: what could not be loaded, and why, renamed and cast; no logic.
-- Definitions:
--   object_type / object_id: the object concerned (a thread, a run, a step, ...).
--   http_status / error_code / error_message / request_id: the API's answer, when there was one.
--   seen_at: when the loader met the problem.
with

source as (

    select * from assistants.load_issues

),

renamed as (

    select
        cast(object_type as varchar) as object_type,
        cast(object_id as varchar) as object_id,
        cast(thread_id as varchar) as thread_id,
        cast(run_id as varchar) as run_id,
        cast(http_status as bigint) as http_status,
        cast(error_code as varchar) as error_code,
        cast(message as varchar) as error_message,
        cast(request_id as varchar) as request_id,
        cast(seen_at as timestamptz) as seen_at

    from source

)

select * from renamed
