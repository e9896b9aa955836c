-- int_steps_priced
-- Grain: one row per run step, key step_id.
-- Meaning: each step's usage priced at its run's model price at the run's creation.
-- Definitions:
--   is_priced, priced_at, input_usd_per_mtok, cached_input_usd_per_mtok, output_usd_per_mtok,
--     price_source, price_starts_at, input_cost_usd, cached_input_cost_usd, output_cost_usd,
--     cost_usd, cost_basis: the step's usage as int_usage_priced prices it (the cost formula
--     is defined there), at the run's model and created_at; null (never 0) without a price or
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
        step_usage.priced_at,
        step_usage.input_usd_per_mtok,
        step_usage.cached_input_usd_per_mtok,
        step_usage.output_usd_per_mtok,
        step_usage.price_source,
        step_usage.price_starts_at,
        step_usage.input_cost_usd,
        step_usage.cached_input_cost_usd,
        step_usage.output_cost_usd,
        step_usage.cost_usd,
        step_usage.cost_basis

    from steps
    left join step_usage
        on step_usage.usage_id = steps.step_id

)

select * from priced
