-- unpriced_models
-- Grain: one row per model that has runs at a time without a price (model is null for runs that
--   name no model).
-- Meaning: the usage that cost_usd cannot price. Its cost is null everywhere, never 0; add a
--   row to seeds/price_overrides.csv (or wait for genai-prices to learn the model) and rebuild.
-- Definitions:
--   first_run_date / last_run_date / days: the UTC days with unpriced runs of the model.
--   runs: those runs (open ones too).
--   input_tokens / output_tokens / total_tokens: their usage (0 while none is reported).
with

unpriced_runs as (

    select * from analytics.fct_runs
    where not is_priced

),

by_model as (

    select
        model,
        min(run_date) as first_run_date,
        max(run_date) as last_run_date,
        count(distinct run_date) as days,
        count(*) as runs,
        cast(coalesce(sum(input_tokens), 0) as bigint) as input_tokens,
        cast(coalesce(sum(output_tokens), 0) as bigint) as output_tokens,
        cast(coalesce(sum(total_tokens), 0) as bigint) as total_tokens

    from unpriced_runs
    group by model

)

select * from by_model
