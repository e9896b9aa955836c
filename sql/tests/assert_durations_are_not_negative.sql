-- assert_durations_are_not_negative
-- Returns: one row per negative duration: a run's queue_seconds or run_seconds, or a step's
--   step_seconds.
-- Why: a negative duration means timestamps out of order (a run started before it was created),
--   and it would drag every average and percentile down.
with

runs as (

    select * from analytics.fct_runs

),

steps as (

    select * from analytics.fct_run_steps

),

negative_queue_times as (

    select 'run queue_seconds' as duration, run_id as object_id, queue_seconds as seconds
    from runs
    where queue_seconds < 0

),

negative_run_times as (

    select 'run run_seconds' as duration, run_id as object_id, run_seconds as seconds
    from runs
    where run_seconds < 0

),

negative_step_times as (

    select 'step step_seconds' as duration, step_id as object_id, step_seconds as seconds
    from steps
    where step_seconds < 0

)

select * from negative_queue_times
union all
select * from negative_run_times
union all
select * from negative_step_times
