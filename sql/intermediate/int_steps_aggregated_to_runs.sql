-- int_steps_aggregated_to_runs
-- Grain: one row per run that has at least one step, key run_id.
-- Meaning: what a run's steps add up to: how many of each kind and outcome, and their usage.
-- Definitions:
--   steps_with_usage: steps that carry usage (some Foundry servers send none).
--   step_input_tokens / step_output_tokens / step_total_tokens: the sum of the steps' usage.
--     It is a breakdown of the run's own usage, kept here to check that the two agree; never add
--     it to the run's usage as separate spend.
with

steps as (

    select * from analytics.int_steps_joined_to_runs

),

aggregated as (

    select
        run_id,
        count(*) as steps,
        count(case when step_type = 'message_creation' then 1 end) as message_creation_steps,
        count(case when step_type = 'tool_calls' then 1 end) as tool_calls_steps,
        count(case when is_failed then 1 end) as failed_steps,
        count(total_tokens) as steps_with_usage,
        cast(sum(input_tokens) as bigint) as step_input_tokens,
        cast(sum(output_tokens) as bigint) as step_output_tokens,
        cast(sum(total_tokens) as bigint) as step_total_tokens

    from steps
    group by run_id

)

select * from aggregated
