-- int_runs_unioned_across_apis
-- Grain: one row per agent run of either API, key run_id: an Assistants run (stg_runs) or a
--   response of the Responses API (stg_responses), both "one answer of an agent".
-- Meaning: both APIs' runs in one shape, so that everything downstream (classification, prices,
--   marts) is written once. Only the mapping lives here.
-- Definitions:
--   api: 'assistants' or 'responses'.
--   thread_id: the run's thread, or the response's conversation (null for a response outside one).
--   agent: the agent that ran: the assistant id for assistants; for responses the Foundry agent as
--     `name:version` (the name alone without a version; null for a response without an agent).
--   assistant_id: the same value as agent, kept under its first name for queries written before
--     the Responses API.
--   agent_name / agent_version: the Foundry agent of a response; for assistants the assistant id
--     and null.
--   status: both APIs' values as they are (responses have no expired, requires_action, cancelling).
--   started_at: when the run started; null for responses (the API reports no start).
--   run_started_at: when the run time starts: started_at for assistants, created_at for responses
--     (a response's run time includes any queueing).
--   ended_at: when a terminal run ended: for assistants completed_at, failed_at or cancelled_at by
--     status, expires_at for an expired run, for an incomplete run the first of the three that is
--     set; for responses completed_at. Null while the run is open.
--   last_error_code / last_error_message: the run's last_error, the response's error.
--   input_tokens / output_tokens: assistants' prompt_tokens / completion_tokens.
--   cached_input_tokens / reasoning_tokens: the response's detail; null for assistants runs (the
--     Assistants API reports none: unknown, not 0).
--   reported_web_search_calls: the billable web searches the response reports
--     (`tool_usage.web_search.num_requests`, newer API versions); null when it reports none, and
--     for assistants runs (the Assistants API has no web search tool).
with

assistants_runs as (

    select * from analytics.stg_runs

),

responses as (

    select * from analytics.stg_responses

),

unioned as (

    select
        api,
        run_id,
        thread_id,
        assistant_id as agent,
        assistant_id,
        assistant_id as agent_name,
        cast(null as varchar) as agent_version,
        model,
        status,
        created_at,
        started_at,
        started_at as run_started_at,
        case
            when status = 'completed' then completed_at
            when status = 'failed' then failed_at
            when status = 'cancelled' then cancelled_at
            when status = 'expired' then expires_at
            when status = 'incomplete' then coalesce(completed_at, failed_at, cancelled_at)
        end as ended_at,
        last_error_code,
        last_error_message,
        incomplete_reason,
        required_action_type,
        prompt_tokens as input_tokens,
        cast(null as bigint) as cached_input_tokens,
        completion_tokens as output_tokens,
        cast(null as bigint) as reasoning_tokens,
        total_tokens,
        cast(null as bigint) as reported_web_search_calls

    from assistants_runs

    union all

    select
        api,
        response_id as run_id,
        conversation_id as thread_id,
        case
            when agent_version is null then agent_name
            else agent_name || ':' || agent_version
        end as agent,
        case
            when agent_version is null then agent_name
            else agent_name || ':' || agent_version
        end as assistant_id,
        agent_name,
        agent_version,
        model,
        status,
        created_at,
        cast(null as timestamptz) as started_at,
        created_at as run_started_at,
        case
            when status in ('completed', 'failed', 'cancelled', 'incomplete') then completed_at
        end as ended_at,
        error_code as last_error_code,
        error_message as last_error_message,
        incomplete_reason,
        cast(null as varchar) as required_action_type,
        input_tokens,
        cached_input_tokens,
        output_tokens,
        reasoning_tokens,
        total_tokens,
        web_search_requests as reported_web_search_calls

    from responses

)

select * from unioned
