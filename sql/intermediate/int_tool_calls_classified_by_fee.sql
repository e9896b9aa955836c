-- int_tool_calls_classified_by_fee
-- Grain: one row per tool call of either API, key (step_id, tool_call_position).
-- Meaning: each tool call with how the provider bills it beyond tokens: the one place that says
--   which tool calls runsteps prices per call, and why the others are in no cost.
-- Definitions:
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

tool_calls as (

    select * from analytics.int_tool_calls_unioned_across_apis

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
