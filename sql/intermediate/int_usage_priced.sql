-- int_usage_priced
-- Grain: one row per usage record, key (usage_of, usage_id): each run's own usage (usage_of 'run',
--   usage_id its run_id) and each step's usage (usage_of 'step', usage_id its step_id).
-- Meaning: usage priced at the price of its run's model on its run's day. The only place the cost
--   formula is written: int_runs_priced and int_steps_priced take their prices and costs from here.
-- Definitions:
--   is_priced: analytics.model_prices has a price for (model, run_date). model_prices is written
--     by the models runner on every build: overrides from seeds/price_overrides.csv first, then
--     the genai-prices library.
--   input_usd_per_mtok / output_usd_per_mtok: USD per million prompt / completion tokens.
--   input_cost_usd = prompt_tokens * input_usd_per_mtok / 1e6;
--   output_cost_usd = completion_tokens * output_usd_per_mtok / 1e6;
--   cost_usd = input_cost_usd + output_cost_usd.
--   Costs are null (never 0) when the model has no price that day or there is no usage yet.
--   A step's model and day are its run's; a step's cost is a share of its run's cost, never added
--   to it.
with

runs as (

    select * from analytics.int_runs_classified

),

steps as (

    select * from analytics.int_steps_joined_to_runs

),

prices as (

    select * from analytics.model_prices

),

usage as (

    select
        'run' as usage_of,
        run_id as usage_id,
        model,
        run_date,
        prompt_tokens,
        completion_tokens

    from runs

    union all

    select
        'step' as usage_of,
        step_id as usage_id,
        model,
        run_date,
        prompt_tokens,
        completion_tokens

    from steps

),

priced as (

    select
        usage.usage_of,
        usage.usage_id,
        prices.price_date is not null as is_priced,
        prices.input_usd_per_mtok,
        prices.output_usd_per_mtok,
        prices.price_source,
        usage.prompt_tokens * prices.input_usd_per_mtok / 1000000.0 as input_cost_usd,
        usage.completion_tokens * prices.output_usd_per_mtok / 1000000.0 as output_cost_usd

    from usage
    left join prices
        on prices.model = usage.model
        and prices.price_date = usage.run_date

),

costed as (

    select
        *,
        input_cost_usd + output_cost_usd as cost_usd

    from priced

)

select * from costed
