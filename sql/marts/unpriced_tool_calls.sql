-- unpriced_tool_calls
-- Grain: one row per api x model x tool_type x reason with tool calls whose fee is in no cost
--   figure (model is null for runs that name none).
-- Meaning: what cost_usd leaves out on purpose or for want of a price, so that a tool fee is never a
--   silent $0. Tool calls that cost tokens only (function, mcp, ...; fee_rule tokens_only) have no
--   fee and are not listed.
-- Definitions:
--   reason: 'no per-call price for the model' for a Responses web search or file search billed
--     per call when model_prices has no per-call price for the model at the run's time (genai-prices
--     has none, or an override gives none); else the call's fee_note (int_tool_calls_classified_by_fee:
--     code interpreter sessions, Assistants file search storage, other hosted tools).
--   model, run_date: the calls' runs' (read from fct_runs; the calls themselves from the light
--     int_tool_calls_classified_by_fee, so that this listing stays cheap to compute).
--   calls / runs: the tool calls and the distinct runs that made them.
--   first_run_date / last_run_date: the UTC days of their runs.
with

tool_calls as (

    select * from analytics.int_tool_calls_classified_by_fee

),

runs as (

    select * from analytics.fct_runs

),

unpriced as (

    select
        tool_calls.api,
        runs.model,
        tool_calls.tool_type,
        coalesce(tool_calls.fee_note, 'no per-call price for the model') as reason,
        tool_calls.run_id,
        runs.run_date

    from tool_calls
    left join runs
        on runs.run_id = tool_calls.run_id
    where tool_calls.fee_rule = 'billed_otherwise'
        or (tool_calls.fee_rule = 'per_call_web_search' and runs.web_search_usd_per_kcall is null)
        or (tool_calls.fee_rule = 'per_call_file_search' and runs.file_search_usd_per_kcall is null)

),

listed as (

    select
        api,
        model,
        tool_type,
        reason,
        count(*) as calls,
        count(distinct run_id) as runs,
        min(run_date) as first_run_date,
        max(run_date) as last_run_date

    from unpriced
    group by api, model, tool_type, reason

)

select * from listed
