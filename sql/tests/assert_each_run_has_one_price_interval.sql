-- assert_each_run_has_one_price_interval
-- Returns: one row per run or response with a model whose created_at falls in no model_prices interval of its
--   model (a gap: prices not refreshed since the run was loaded) or in more than one (overlapping
--   intervals, which would count the run's cost twice).
-- Why: a gap makes a cost silently missing (read as "unpriced"), an overlap fans the run out in
--   every mart that joins prices.
with

runs as (

    select * from analytics.int_runs_unioned_across_apis
    where model is not null and created_at is not null

),

prices as (

    select * from analytics.model_prices

),

matched as (

    select
        runs.run_id,
        runs.model,
        runs.created_at,
        count(prices.starts_at) as intervals

    from runs
    left join prices
        on prices.model = runs.model
        and runs.created_at >= prices.starts_at
        and runs.created_at < prices.ends_at
    group by runs.run_id, runs.model, runs.created_at

)

select * from matched
where intervals <> 1
