-- int_usage_priced
-- Grain: one row per usage record, key (usage_of, usage_id): each run's own usage (usage_of 'run',
--   usage_id its run_id) and each step's usage (usage_of 'step', usage_id its step_id).
-- Meaning: usage priced at the price of its run's model at the moment the run was created: tokens
--   by class, and the tool calls billed per call. The only place the cost formula is written:
--   int_runs_priced and int_steps_priced take their prices and costs from here.
-- Definitions:
--   priced_at: the run's created_at (a step is priced at its run's moment, so step costs add up to
--     the run's cost).
--   analytics.model_prices: one row per model and validity interval [starts_at, ends_at), written
--     by the models runner (and refreshed by every command that reads costs) for every model and
--     moment the runs hold: overrides from seeds/price_overrides.csv first, then the genai-prices
--     library, else a row with null prices. Intervals of a model never overlap (a data test checks).
--   is_priced: the interval holding priced_at has an input and an output price.
--   input_usd_per_mtok / cached_input_usd_per_mtok / output_usd_per_mtok: USD per million tokens.
--     Cached input tokens without a cache price of their own are priced at the input price.
--   input_cost_usd = (input_tokens - coalesce(cached_input_tokens, 0)) * input_usd_per_mtok / 1e6
--     (the input tokens not read from cache);
--   cached_input_cost_usd = cached_input_tokens * cache price / 1e6; null when the API reports no
--     cached-token detail (every assistants run);
--   output_cost_usd = output_tokens * output_usd_per_mtok / 1e6 (reasoning tokens are output tokens);
--   Tool calls billed per call (int_tool_calls_classified_by_fee says which: a response's web
--     searches and file searches; every other tool call is in no cost figure):
--     billed_web_search_calls: the web searches the response reports (reported_web_search_calls)
--       when it reports them, else its calls with fee_rule per_call_web_search; 0 for steps.
--     billed_file_search_calls: its calls with fee_rule per_call_file_search; 0 for steps (and
--       for assistants runs: the Assistants API bills file search as vector-store storage).
--     web_search_usd_per_kcall / file_search_usd_per_kcall: USD per 1,000 calls, from model_prices
--       (genai-prices' web_searches_kcount / storage_searches_kcount, or the override's); null when
--       there is none.
--     web_search_cost_usd = billed_web_search_calls * web_search_usd_per_kcall / 1000, and
--     file_search_cost_usd likewise: 0 without billed calls; null (never 0) when there are billed
--       calls but no per-call price (the calls are then listed in unpriced_tool_calls), and null
--       whenever the token cost is null.
--     tool_cost_usd = coalesce(web_search_cost_usd, 0) + coalesce(file_search_cost_usd, 0); null
--       when the token cost is null.
--   unpriced_tool_calls: tool calls with a fee that is in no cost figure: billed per call without a
--     per-call price, plus calls billed otherwise (fee_rule billed_otherwise); listed by model and
--     tool in unpriced_tool_calls.
--   cost_usd = input_cost_usd + coalesce(cached_input_cost_usd, 0) + output_cost_usd + tool_cost_usd.
--   Costs are null (never 0) when the model has no price at that moment or there is no usage yet.
--   cost_basis: what kind of figure cost_usd is. 'list_price_without_cache_discount' when the
--     usage has no cached-token detail (every assistants run): all input is priced at the full
--     input rate, so the cost is a list-price estimate and an upper bound of what was billed;
--     'list_price_with_cache_discount' when cached tokens are known (every response) and priced at
--     genai-prices' cache-read price. Null without a cost.
--   A step's cost is a share of its run's cost, never added to it.
with

runs as (

    select * from analytics.int_runs_classified

),

steps as (

    select * from analytics.int_steps_joined_to_runs

),

tool_calls as (

    select * from analytics.int_tool_calls_pivoted_to_runs

),

prices as (

    select * from analytics.model_prices

),

usage as (

    select
        'run' as usage_of,
        runs.run_id as usage_id,
        runs.model,
        runs.created_at as priced_at,
        runs.input_tokens,
        runs.cached_input_tokens,
        runs.output_tokens,
        coalesce(runs.reported_web_search_calls, tool_calls.per_call_web_search_calls, 0)
            as billed_web_search_calls,
        coalesce(tool_calls.per_call_file_search_calls, 0) as billed_file_search_calls,
        coalesce(tool_calls.billed_otherwise_tool_calls, 0) as billed_otherwise_tool_calls

    from runs
    left join tool_calls
        on tool_calls.run_id = runs.run_id

    union all

    select
        'step' as usage_of,
        step_id as usage_id,
        model,
        run_created_at as priced_at,
        input_tokens,
        cached_input_tokens,
        output_tokens,
        0 as billed_web_search_calls,
        0 as billed_file_search_calls,
        0 as billed_otherwise_tool_calls

    from steps

),

priced as (

    select
        usage.usage_of,
        usage.usage_id,
        usage.priced_at,
        prices.input_usd_per_mtok is not null and prices.output_usd_per_mtok is not null as is_priced,
        prices.input_usd_per_mtok,
        coalesce(prices.cached_input_usd_per_mtok, prices.input_usd_per_mtok) as cached_input_usd_per_mtok,
        prices.output_usd_per_mtok,
        prices.price_source,
        prices.starts_at as price_starts_at,
        (usage.input_tokens - coalesce(usage.cached_input_tokens, 0))
            * prices.input_usd_per_mtok / 1000000.0 as input_cost_usd,
        usage.cached_input_tokens
            * coalesce(prices.cached_input_usd_per_mtok, prices.input_usd_per_mtok) / 1000000.0
            as cached_input_cost_usd,
        usage.output_tokens * prices.output_usd_per_mtok / 1000000.0 as output_cost_usd,
        usage.billed_web_search_calls,
        usage.billed_file_search_calls,
        usage.billed_otherwise_tool_calls,
        prices.web_search_usd_per_kcall,
        prices.file_search_usd_per_kcall,
        case
            when usage.billed_web_search_calls = 0 then 0.0
            else usage.billed_web_search_calls * prices.web_search_usd_per_kcall / 1000.0
        end as web_search_fee_usd,
        case
            when usage.billed_file_search_calls = 0 then 0.0
            else usage.billed_file_search_calls * prices.file_search_usd_per_kcall / 1000.0
        end as file_search_fee_usd,
        usage.cached_input_tokens is not null as has_cache_detail

    from usage
    left join prices
        on prices.model = usage.model
        and usage.priced_at >= prices.starts_at
        and usage.priced_at < prices.ends_at

),

costed as (

    select
        usage_of,
        usage_id,
        priced_at,
        coalesce(is_priced, false) as is_priced,
        input_usd_per_mtok,
        cached_input_usd_per_mtok,
        output_usd_per_mtok,
        price_source,
        price_starts_at,
        input_cost_usd,
        cached_input_cost_usd,
        output_cost_usd,
        input_cost_usd + coalesce(cached_input_cost_usd, 0) + output_cost_usd as token_cost_usd,
        billed_web_search_calls,
        billed_file_search_calls,
        web_search_usd_per_kcall,
        file_search_usd_per_kcall,
        web_search_fee_usd,
        file_search_fee_usd,
        billed_otherwise_tool_calls
            + case when web_search_fee_usd is null then billed_web_search_calls else 0 end
            + case when file_search_fee_usd is null then billed_file_search_calls else 0 end
            as unpriced_tool_calls,
        has_cache_detail

    from priced

),

tool_costed as (

    select
        *,
        case when token_cost_usd is not null then web_search_fee_usd end as web_search_cost_usd,
        case when token_cost_usd is not null then file_search_fee_usd end as file_search_cost_usd,
        case
            when token_cost_usd is not null
                then coalesce(web_search_fee_usd, 0) + coalesce(file_search_fee_usd, 0)
        end as tool_cost_usd

    from costed

),

labelled as (

    select
        usage_of,
        usage_id,
        priced_at,
        is_priced,
        input_usd_per_mtok,
        cached_input_usd_per_mtok,
        output_usd_per_mtok,
        price_source,
        price_starts_at,
        input_cost_usd,
        cached_input_cost_usd,
        output_cost_usd,
        billed_web_search_calls,
        billed_file_search_calls,
        web_search_usd_per_kcall,
        file_search_usd_per_kcall,
        web_search_cost_usd,
        file_search_cost_usd,
        tool_cost_usd,
        unpriced_tool_calls,
        token_cost_usd + tool_cost_usd as cost_usd,
        case
            when token_cost_usd is null then null
            when has_cache_detail then 'list_price_with_cache_discount'
            else 'list_price_without_cache_discount'
        end as cost_basis

    from tool_costed

)

select * from labelled
