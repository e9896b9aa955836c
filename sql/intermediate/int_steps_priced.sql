-- int_steps_priced
-- Grain: one row per run step, key step_id.
-- Meaning: each step's usage priced at its run's model price on the run's day.
-- Definitions:
--   is_priced, input_usd_per_mtok, output_usd_per_mtok, price_source: as in int_runs_priced, for
--     the run's (model, run_date).
--   input_cost_usd / output_cost_usd / cost_usd: the step's tokens at that price; null (never 0)
--     without a price or without step usage.
--   A step's cost is a share of its run's cost: add step costs or run costs, never both.
with

steps as (

    select * from analytics.int_steps_joined_to_runs

),

prices as (

    select * from analytics.model_prices

),

priced as (

    select
        steps.*,
        prices.price_date is not null as is_priced,
        prices.input_usd_per_mtok,
        prices.output_usd_per_mtok,
        prices.price_source,
        steps.prompt_tokens * prices.input_usd_per_mtok / 1000000.0 as input_cost_usd,
        steps.completion_tokens * prices.output_usd_per_mtok / 1000000.0 as output_cost_usd

    from steps
    left join prices
        on prices.model = steps.model
        and prices.price_date = steps.run_date

),

costed as (

    select
        *,
        input_cost_usd + output_cost_usd as cost_usd

    from priced

)

select * from costed
