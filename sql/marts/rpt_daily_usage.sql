-- rpt_daily_usage
-- Grain: one row per run_date x api x agent x model that has runs.
-- Meaning: what each assistant used and cost, per API, model and day. The finance view.
-- Definitions:
--   agent: the assistant id, or the Foundry agent as `name:version` (null for responses without
--     an agent); assistant_id: the same value, kept for queries written before the Responses API.
--   run_date: UTC date of the runs' created_at; steps count on their run's day.
--   api: the API the runs come from: 'assistants' or 'responses' (one history across a migration).
--   runs: all runs created that day (open ones too); terminal_runs: those that have ended.
--   steps: the steps of those runs.
--   input_tokens / output_tokens / total_tokens: the sum of the runs' own usage (0 when no run has
--     reported usage yet). Step usage is never added: it is the same tokens again.
--   cached_input_tokens / reasoning_tokens: their sum where the API reports them; null when no run
--     of the row does (every assistants row): unknown, not 0.
--   is_priced: some run of the row has a price; input_usd_per_mtok, output_usd_per_mtok: the
--     highest price in effect for the row's runs (a price can change within a day); price_source:
--     where it came from.
--   input_cost_usd / cached_input_cost_usd / output_cost_usd / cost_usd: the sum of the runs'
--     costs by token class and in all (tool fees included); null (never 0) when no run is priced
--     or has usage yet.
--   billed_web_search_calls / billed_file_search_calls: the tool calls billed per call (responses
--     only, see int_usage_priced); web_search_cost_usd / file_search_cost_usd / tool_cost_usd: their
--     cost, part of cost_usd. unpriced_tool_calls: tool calls with a fee that is in no cost (billed
--     per call without a price, or billed otherwise: code interpreter sessions, Assistants file
--     search storage, ...); the mart unpriced_tool_calls lists them by model and tool.
--   list_price_estimate_cost_usd: the part of cost_usd computed without cached-token detail (every
--     assistants run): every input token at the full input rate, a list-price upper bound of the
--     bill rather than what was invoiced.
--   unpriced_total_tokens: total tokens of runs whose model has no price at their time; these
--     are missing from cost_usd, and the model is listed in unpriced_models.
with

runs as (

    select * from analytics.fct_runs

),

daily as (

    select
        run_date,
        api,
        agent,
        assistant_id,
        model,
        count(*) as runs,
        count(case when is_terminal then 1 end) as terminal_runs,
        cast(sum(steps) as bigint) as steps,
        cast(coalesce(sum(input_tokens), 0) as bigint) as input_tokens,
        cast(sum(cached_input_tokens) as bigint) as cached_input_tokens,
        cast(coalesce(sum(output_tokens), 0) as bigint) as output_tokens,
        cast(sum(reasoning_tokens) as bigint) as reasoning_tokens,
        cast(coalesce(sum(total_tokens), 0) as bigint) as total_tokens,
        count(case when is_priced then 1 end) > 0 as is_priced,
        max(input_usd_per_mtok) as input_usd_per_mtok,
        max(output_usd_per_mtok) as output_usd_per_mtok,
        max(price_source) as price_source,
        sum(input_cost_usd) as input_cost_usd,
        sum(cached_input_cost_usd) as cached_input_cost_usd,
        sum(output_cost_usd) as output_cost_usd,
        cast(sum(billed_web_search_calls) as bigint) as billed_web_search_calls,
        cast(sum(billed_file_search_calls) as bigint) as billed_file_search_calls,
        sum(web_search_cost_usd) as web_search_cost_usd,
        sum(file_search_cost_usd) as file_search_cost_usd,
        sum(tool_cost_usd) as tool_cost_usd,
        cast(coalesce(sum(unpriced_tool_calls), 0) as bigint) as unpriced_tool_calls,
        sum(cost_usd) as cost_usd,
        sum(case when cost_basis = 'list_price_without_cache_discount' then cost_usd end)
            as list_price_estimate_cost_usd,
        cast(coalesce(sum(case when not is_priced then total_tokens end), 0) as bigint) as unpriced_total_tokens

    from runs
    group by run_date, api, agent, assistant_id, model

)

select * from daily
