-- int_runs_priced
-- Grain: one row per run, key run_id.
-- Meaning: each run with the price of its model on its day, and what its usage cost.
-- Definitions:
--   is_priced: analytics.model_prices has a price for (model, run_date). model_prices is written
--     by the models runner on every build: overrides from seeds/price_overrides.csv first, then
--     the genai-prices library.
--   input_usd_per_mtok / output_usd_per_mtok: USD per million prompt / completion tokens.
--   input_cost_usd = prompt_tokens * input_usd_per_mtok / 1e6;
--   output_cost_usd = completion_tokens * output_usd_per_mtok / 1e6;
--   cost_usd = input_cost_usd + output_cost_usd.
--   Costs are null (never 0) when the model has no price that day or the run has no usage yet.
--   Costs come from the run's own usage only; step usage is a breakdown of it, never added to it.
with

runs as (

    select * from analytics.int_runs_classified

),

prices as (

    select * from analytics.model_prices

),

priced as (

    select
        runs.*,
        prices.price_date is not null as is_priced,
        prices.input_usd_per_mtok,
        prices.output_usd_per_mtok,
        prices.price_source,
        runs.prompt_tokens * prices.input_usd_per_mtok / 1000000.0 as input_cost_usd,
        runs.completion_tokens * prices.output_usd_per_mtok / 1000000.0 as output_cost_usd

    from runs
    left join prices
        on prices.model = runs.model
        and prices.price_date = runs.run_date

),

costed as (

    select
        *,
        input_cost_usd + output_cost_usd as cost_usd

    from priced

)

select * from costed
