-- unmatched_price_overrides
-- Grain: one row per row of the price overrides file (analytics.price_overrides, stored by the
--   models runner from seeds/price_overrides.csv or --price-overrides) that prices no run.
-- Meaning: overrides that change nothing. Usually the model is named differently from what the
--   runs report (an override for gpt-4o while runs report gpt-4o-2024-08-06), or its dates hold no
--   run of that model. `runsteps models` and the report warn about each.
-- Definitions:
--   line: the override's line in the CSV; model, valid_from_date, valid_to_date (the CSV's valid_from, valid_to: inclusive UTC days, null =
--     open-ended), input_usd_per_mtok, output_usd_per_mtok, note: the override as written.
--   An override matches a run when the names are equal and the run's run_date is within its dates.
with

overrides as (

    select * from analytics.price_overrides

),

runs as (

    select * from analytics.fct_runs

),

matched as (

    select
        overrides.line,
        count(runs.run_id) as runs

    from overrides
    left join runs
        on runs.model = overrides.model
        and (overrides.valid_from_date is null or runs.run_date >= overrides.valid_from_date)
        and (overrides.valid_to_date is null or runs.run_date <= overrides.valid_to_date)
    group by overrides.line

),

final as (

    select
        overrides.line,
        overrides.model,
        overrides.valid_from_date,
        overrides.valid_to_date,
        overrides.input_usd_per_mtok,
        overrides.output_usd_per_mtok,
        overrides.note

    from overrides
    inner join matched
        on matched.line = overrides.line
    where matched.runs = 0

)

select * from final
