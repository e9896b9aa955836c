-- int_tool_calls_classified_by_fee
-- Grain: one row per tool call of either API, key (step_id, tool_call_position): an Assistants
--   step's tool call, or a Responses output item that calls a tool (step_id its response_id).
-- Meaning: each tool call with its type and how the provider bills it beyond tokens: the one place
--   that says which tool calls runsteps prices per call, and why the others are in no cost. Read
--   straight from staging (no join), so that counting fees per run stays cheap.
-- Definitions:
--   api: 'assistants' for run_step_tool_calls, 'responses' for response items.
--   run_id: the run, or the response.
--   tool_type: the Assistants tool call's type; for a response, the output item's type without
--     `_call` (function, file_search, code_interpreter, mcp, web_search, bing_grounding, ...), as
--     the Assistants API names its tool types. Only items whose type ends in `_call` are tool calls.
--   fee_rule:
--     'per_call_web_search': a Responses API web_search call, billed per call (genai-prices'
--       web_searches_kcount; int_usage_priced prices it);
--     'per_call_file_search': a Responses API file_search call, billed per call (genai-prices'
--       storage_searches_kcount; int_usage_priced prices it);
--     'tokens_only': a tool that runs in the caller's code or server, or whose work is billed as
--       the model's tokens: function, custom_tool, mcp, computer, openapi, azure_function,
--       connected_agent (the connected agent's own run is priced as a run). No fee to price, so
--       not a missing cost;
--     'billed_otherwise': a tool with a fee that is not per call or that genai-prices does not
--       price: code_interpreter (container sessions), file_search of the Assistants API (no per-call
--       fee: vector-store storage, which runs do not show), image_generation, Foundry's
--       bing_grounding and azure_ai_search (their own Azure resources), and every other or unknown
--       type. Not in any cost: listed in unpriced_tool_calls.
--   fee_note: for billed_otherwise calls, how the fee is billed instead (the reason unpriced_tool_calls
--     gives); null for the other rules.
with

assistants_tool_calls as (

    select * from analytics.stg_run_step_tool_calls

),

response_items as (

    select * from analytics.stg_response_items

),

tool_calls as (

    select
        'assistants' as api,
        step_id,
        tool_call_position,
        run_id,
        tool_type

    from assistants_tool_calls

    union all

    select
        'responses' as api,
        response_id as step_id,
        item_position as tool_call_position,
        response_id as run_id,
        substr(item_type, 1, length(item_type) - 5) as tool_type

    from response_items
    where item_type like '%\_call' escape '\'

),

classified as (

    select
        *,
        case
            when api = 'responses' and tool_type = 'web_search' then 'per_call_web_search'
            when api = 'responses' and tool_type = 'file_search' then 'per_call_file_search'
            when tool_type in (
                'function', 'custom_tool', 'mcp', 'computer', 'openapi', 'azure_function', 'connected_agent'
            ) then 'tokens_only'
            else 'billed_otherwise'
        end as fee_rule

    from tool_calls

),

noted as (

    select
        *,
        case
            when fee_rule <> 'billed_otherwise' then null
            when tool_type = 'code_interpreter' then 'billed per container session, not priced'
            when tool_type = 'file_search' then 'Assistants file search: billed as vector-store storage, not per call'
            else 'billed otherwise, not priced'
        end as fee_note

    from classified

)

select * from noted
