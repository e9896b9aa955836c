-- assert_steps_and_tool_calls_have_a_run
-- Returns: one row per step whose run is not loaded, and per tool call whose run or step is not
--   loaded.
-- Why: such rows get no model, no day and no price, and drop out of every per-run figure.
with

runs as (

    select * from analytics.stg_runs

),

steps as (

    select * from analytics.stg_run_steps

),

tool_calls as (

    select * from analytics.stg_run_step_tool_calls

),

orphan_steps as (

    select
        'step without its run' as problem,
        steps.step_id,
        cast(null as bigint) as tool_call_position,
        steps.run_id

    from steps
    left join runs
        on runs.run_id = steps.run_id
    where runs.run_id is null

),

orphan_tool_calls as (

    select
        case
            when runs.run_id is null then 'tool call without its run'
            else 'tool call without its step'
        end as problem,
        tool_calls.step_id,
        tool_calls.tool_call_position,
        tool_calls.run_id

    from tool_calls
    left join runs
        on runs.run_id = tool_calls.run_id
    left join steps
        on steps.step_id = tool_calls.step_id
    where runs.run_id is null or steps.step_id is null

)

select * from orphan_steps
union all
select * from orphan_tool_calls
