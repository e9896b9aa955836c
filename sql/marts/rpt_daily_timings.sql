-- rpt_daily_timings
-- Grain: one row per run_date x assistant_id x model that has runs.
-- Meaning: how long runs waited, ran, and how long their steps took, per assistant, model and day.
-- Definitions:
--   run_date: UTC date of the runs' created_at; steps count on their run's day.
--   queue_seconds: a run's created_at -> started_at (runs that started).
--   run_seconds: a run's started_at -> ended_at (terminal runs that started).
--   step_seconds: a step's created_at -> ended_at (steps that ended).
--   *_p50 / *_p95: continuous percentiles; avg and max as named. All null when nothing qualifies.
with

runs as (

    select * from analytics.fct_runs

),

steps as (

    select * from analytics.fct_run_steps

),

run_timings as (

    select
        run_date,
        assistant_id,
        model,
        count(*) as runs,
        count(queue_seconds) as started_runs,
        avg(queue_seconds) as queue_seconds_avg,
        quantile_cont(queue_seconds, 0.5) as queue_seconds_p50,
        quantile_cont(queue_seconds, 0.95) as queue_seconds_p95,
        max(queue_seconds) as queue_seconds_max,
        count(run_seconds) as timed_runs,
        avg(run_seconds) as run_seconds_avg,
        quantile_cont(run_seconds, 0.5) as run_seconds_p50,
        quantile_cont(run_seconds, 0.95) as run_seconds_p95,
        max(run_seconds) as run_seconds_max

    from runs
    group by run_date, assistant_id, model

),

step_timings as (

    select
        run_date,
        assistant_id,
        model,
        count(step_seconds) as timed_steps,
        avg(step_seconds) as step_seconds_avg,
        quantile_cont(step_seconds, 0.5) as step_seconds_p50,
        quantile_cont(step_seconds, 0.95) as step_seconds_p95,
        max(step_seconds) as step_seconds_max

    from steps
    group by run_date, assistant_id, model

),

final as (

    select
        run_timings.*,
        coalesce(step_timings.timed_steps, 0) as timed_steps,
        step_timings.step_seconds_avg,
        step_timings.step_seconds_p50,
        step_timings.step_seconds_p95,
        step_timings.step_seconds_max

    from run_timings
    left join step_timings
        on step_timings.run_date is not distinct from run_timings.run_date
        and step_timings.assistant_id is not distinct from run_timings.assistant_id
        and step_timings.model is not distinct from run_timings.model

)

select * from final
