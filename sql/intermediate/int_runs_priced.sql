-- int_runs_priced
-- Grain: one row per run, key run_id.
-- Meaning: each run with the price of its model at its creation, and what its usage cost.
-- Definitions:
--   is_priced, priced_at, input_usd_per_mtok, cached_input_usd_per_mtok, output_usd_per_mtok,
--     price_source, price_starts_at, input_cost_usd, cached_input_cost_usd, output_cost_usd,
--     cost_usd, cost_basis: the run's own usage as int_usage_priced prices it (the cost
--     formula is defined there). Costs are null (never 0) when the model has no price at that moment
--     or the run has no usage yet.
--   billed_web_search_calls, billed_file_search_calls, web_search_usd_per_kcall,
--     file_search_usd_per_kcall, web_search_cost_usd, file_search_cost_usd, tool_cost_usd,
--     unpriced_tool_calls: the tool calls billed per call, their cost (included in cost_usd), and the
--     calls whose fee is in no cost, as int_usage_priced defines them.
--   Costs come from the run's own usage only; step usage is a breakdown of it, never added to it.
with

runs as (

    select * from analytics.int_runs_classified

),

run_usage as (

    select * from analytics.int_usage_priced
    where usage_of = 'run'

),

priced as (

    select
        runs.*,
        run_usage.is_priced,
        run_usage.priced_at,
        run_usage.input_usd_per_mtok,
        run_usage.cached_input_usd_per_mtok,
        run_usage.output_usd_per_mtok,
        run_usage.price_source,
        run_usage.price_starts_at,
        run_usage.input_cost_usd,
        run_usage.cached_input_cost_usd,
        run_usage.output_cost_usd,
        run_usage.billed_web_search_calls,
        run_usage.billed_file_search_calls,
        run_usage.web_search_usd_per_kcall,
        run_usage.file_search_usd_per_kcall,
        run_usage.web_search_cost_usd,
        run_usage.file_search_cost_usd,
        run_usage.tool_cost_usd,
        run_usage.unpriced_tool_calls,
        run_usage.cost_usd,
        run_usage.cost_basis

    from runs
    left join run_usage
        on run_usage.usage_id = runs.run_id

)

select * from priced
