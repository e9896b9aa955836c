-- stg_responses
-- Grain: one row per response (raw table assistants.responses, loaded by `runsteps load --api
--   responses`), key response_id.
-- Meaning: responses of the Responses API as it returned them, renamed and cast; no logic.
-- Definitions:
--   status: queued, in_progress (open), or completed, failed, cancelled, incomplete (terminal).
--   model: the model as the API reports it; at Foundry a deployment name (seeds/deployments.csv
--     maps it to a model for pricing).
--   agent_name / agent_version: the Foundry agent the response ran (null without an agent).
--   input_tokens / cached_input_tokens / output_tokens / reasoning_tokens / total_tokens: the
--     response's usage; cached tokens are part of input, reasoning tokens part of output.
--   api: 'responses', set here and nowhere else.
with

source as (

    select * from assistants.responses

),

renamed as (

    select
        'responses' as api,
        cast(id as varchar) as response_id,
        cast(conversation_id as varchar) as conversation_id,
        cast(previous_response_id as varchar) as previous_response_id,
        cast(status as varchar) as status,
        cast(model as varchar) as model,
        cast(agent_name as varchar) as agent_name,
        cast(agent_version as varchar) as agent_version,
        cast(created_at as timestamptz) as created_at,
        cast(completed_at as timestamptz) as completed_at,
        cast(error_code as varchar) as error_code,
        cast(error_message as varchar) as error_message,
        cast(incomplete_reason as varchar) as incomplete_reason,
        cast(service_tier as varchar) as service_tier,
        cast(background as boolean) as is_background,
        cast(input_tokens as bigint) as input_tokens,
        cast(cached_input_tokens as bigint) as cached_input_tokens,
        cast(output_tokens as bigint) as output_tokens,
        cast(reasoning_tokens as bigint) as reasoning_tokens,
        cast(total_tokens as bigint) as total_tokens,
        cast(web_search_requests as bigint) as web_search_requests,
        cast(output_item_count as bigint) as output_item_count,
        cast(temperature as double) as temperature,
        cast(top_p as double) as top_p,
        cast(max_output_tokens as bigint) as max_output_tokens,
        cast(max_tool_calls as bigint) as max_tool_calls,
        cast(parallel_tool_calls as boolean) as is_parallel_tool_calls_enabled,
        cast(tool_choice as varchar) as tool_choice,
        tools,
        cast(instructions as varchar) as instructions,
        cast(reasoning_effort as varchar) as reasoning_effort,
        cast(truncation as varchar) as truncation,
        metadata,
        cast(discovered_via as varchar) as discovered_via,
        cast(deleted_at as timestamptz) as deleted_at

    from source

)

select * from renamed
