-- rpt_daily_usage
-- Grain: one row per run_date x assistant_id x model that has runs.
-- Meaning: what each assistant used and cost, per model and day. The finance view.
-- Definitions:
--   run_date: UTC date of the runs' created_at; steps count on their run's day.
--   runs: all runs created that day (open ones too); terminal_runs: those that have ended.
--   steps: the steps of those runs.
--   prompt_tokens / completion_tokens / total_tokens: the sum of the runs' own usage (0 when no
--     run has reported usage yet). Step usage is never added: it is the same tokens again.
--   is_priced: the model has a price that day (model_prices); input_usd_per_mtok,
--     output_usd_per_mtok and price_source say which.
--   cost_usd: the sum of the runs' costs at that price; null (never 0) when the model has no
--     price that day or no run has usage yet.
--   unpriced_total_tokens: total tokens of runs whose model has no price that day; these are
--     missing from cost_usd, and the model is listed in unpriced_models.
with

runs as (

    select * from analytics.fct_runs

),

daily as (

    select
        run_date,
        assistant_id,
        model,
        count(*) as runs,
        count(case when is_terminal then 1 end) as terminal_runs,
        cast(sum(steps) as bigint) as steps,
        cast(coalesce(sum(prompt_tokens), 0) as bigint) as prompt_tokens,
        cast(coalesce(sum(completion_tokens), 0) as bigint) as completion_tokens,
        cast(coalesce(sum(total_tokens), 0) as bigint) as total_tokens,
        -- one price per model and day, so these are that price
        count(case when is_priced then 1 end) > 0 as is_priced,
        max(input_usd_per_mtok) as input_usd_per_mtok,
        max(output_usd_per_mtok) as output_usd_per_mtok,
        max(price_source) as price_source,
        sum(cost_usd) as cost_usd,
        cast(coalesce(sum(case when not is_priced then total_tokens end), 0) as bigint) as unpriced_total_tokens

    from runs
    group by run_date, assistant_id, model

)

select * from daily
