-- int_steps_priced
-- Grain: one row per run step, key step_id.
-- Meaning: each step's usage priced at its run's model price on the run's day.
-- Definitions:
--   is_priced, input_usd_per_mtok, output_usd_per_mtok, price_source, input_cost_usd,
--     output_cost_usd, cost_usd: the step's usage as int_usage_priced prices it (the cost formula
--     is defined there), at the run's (model, run_date); null (never 0) without a price or
--     without step usage.
--   A step's cost is a share of its run's cost: add step costs or run costs, never both.
with

steps as (

    select * from analytics.int_steps_joined_to_runs

),

step_usage as (

    select * from analytics.int_usage_priced
    where usage_of = 'step'

),

priced as (

    select
        steps.*,
        step_usage.is_priced,
        step_usage.input_usd_per_mtok,
        step_usage.output_usd_per_mtok,
        step_usage.price_source,
        step_usage.input_cost_usd,
        step_usage.output_cost_usd,
        step_usage.cost_usd

    from steps
    left join step_usage
        on step_usage.usage_id = steps.step_id

)

select * from priced
