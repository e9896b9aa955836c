-- rpt_daily_timings
-- Grain: one row per run_date x api x agent x model that has runs.
-- Meaning: how long runs waited, ran, and how long their steps took, per API, assistant, model and
--   day. Run times are split by how the run ended, because they mean different things: a
--   completed run's time is latency; an expired run's is pinned at the expiry deadline (the API's
--   10 minutes) and says nothing about speed, so mixing them drags every statistic.
-- Definitions:
--   agent: the assistant id, or the Foundry agent as `name:version` (null for responses without
--     an agent); assistant_id: the same value, kept for queries written before the Responses API.
--   run_date: UTC date of the runs' created_at; steps count on their run's day.
--   queue_seconds: a run's created_at -> started_at (runs that started).
--   completed_*: run_seconds (started_at -> completed_at) of completed runs that started.
--   expired_*: run_seconds (started_at -> expires_at) of expired runs that started.
--   other_ended_*: run_seconds of failed, cancelled and incomplete runs that started.
--   step_seconds: a step's created_at -> ended_at (steps that ended).
--   *_p50 / *_p95: continuous percentiles; avg and max as named. All null when nothing qualifies.
with

runs as (

    select * from analytics.fct_runs

),

steps as (

    select * from analytics.fct_run_steps

),

runs_by_outcome as (

    select
        *,
        case when is_completed then run_seconds end as completed_run_seconds,
        case when is_expired then run_seconds end as expired_run_seconds,
        case when is_failed or is_cancelled or is_incomplete then run_seconds end as other_ended_run_seconds

    from runs

),

run_timings as (

    select
        run_date,
        api,
        agent,
        assistant_id,
        model,
        count(*) as runs,
        count(queue_seconds) as started_runs,
        avg(queue_seconds) as queue_seconds_avg,
        quantile_cont(queue_seconds, 0.5) as queue_seconds_p50,
        quantile_cont(queue_seconds, 0.95) as queue_seconds_p95,
        max(queue_seconds) as queue_seconds_max,
        count(completed_run_seconds) as completed_timed_runs,
        avg(completed_run_seconds) as completed_run_seconds_avg,
        quantile_cont(completed_run_seconds, 0.5) as completed_run_seconds_p50,
        quantile_cont(completed_run_seconds, 0.95) as completed_run_seconds_p95,
        max(completed_run_seconds) as completed_run_seconds_max,
        count(expired_run_seconds) as expired_timed_runs,
        avg(expired_run_seconds) as expired_run_seconds_avg,
        max(expired_run_seconds) as expired_run_seconds_max,
        count(other_ended_run_seconds) as other_ended_timed_runs,
        avg(other_ended_run_seconds) as other_ended_run_seconds_avg,
        quantile_cont(other_ended_run_seconds, 0.5) as other_ended_run_seconds_p50,
        max(other_ended_run_seconds) as other_ended_run_seconds_max

    from runs_by_outcome
    group by run_date, api, agent, assistant_id, model

),

step_timings as (

    select
        run_date,
        api,
        agent,
        assistant_id,
        model,
        count(step_seconds) as timed_steps,
        avg(step_seconds) as step_seconds_avg,
        quantile_cont(step_seconds, 0.5) as step_seconds_p50,
        quantile_cont(step_seconds, 0.95) as step_seconds_p95,
        max(step_seconds) as step_seconds_max

    from steps
    group by run_date, api, agent, assistant_id, model

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
        and step_timings.api is not distinct from run_timings.api
        and step_timings.agent is not distinct from run_timings.agent
        and step_timings.assistant_id is not distinct from run_timings.assistant_id
        and step_timings.model is not distinct from run_timings.model

)

select * from final
