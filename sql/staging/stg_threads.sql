-- stg_threads
-- Grain: one row per known thread (raw table assistants.threads), key thread_id.
-- Meaning: the threads the loader knows and polls again, renamed and cast; no logic.
-- Definitions:
--   discovered_via: how the thread became known: input, listed, export or known.
--   first_seen_at / last_polled_at: set by the loader, not by the API.
--   deleted_at: when the API first answered 404 for the thread; null while it exists.
with

source as (

    select * from assistants.threads

),

renamed as (

    select
        cast(id as varchar) as thread_id,
        cast(discovered_via as varchar) as discovered_via,
        cast(created_at as timestamptz) as created_at,
        metadata,
        cast(first_seen_at as timestamptz) as first_seen_at,
        cast(last_polled_at as timestamptz) as last_polled_at,
        cast(deleted_at as timestamptz) as deleted_at

    from source

)

select * from renamed
