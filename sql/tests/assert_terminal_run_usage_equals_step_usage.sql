-- assert_terminal_run_usage_equals_step_usage
-- Returns: one row per terminal run whose steps' usage does not add up to the run's usage.
-- Checked only where it can be: the run is terminal, has usage, and every one of its steps
--   carries usage (some Foundry servers send steps without usage; those runs are skipped).
-- Why: the run's usage is what gets priced; steps that disagree with it mean a lost or doubled
--   step, or a run loaded before its steps were final.
with

runs as (

    select * from analytics.int_runs_classified

),

steps as (

    select * from analytics.int_steps_aggregated_to_runs

),

compared as (

    select
        runs.run_id,
        runs.status,
        runs.input_tokens,
        steps.step_input_tokens,
        runs.output_tokens,
        steps.step_output_tokens,
        runs.total_tokens,
        steps.step_total_tokens

    from runs
    inner join steps
        on steps.run_id = runs.run_id
    where runs.is_terminal
        and runs.total_tokens is not null
        and steps.steps_with_usage = steps.steps

)

select * from compared
where input_tokens is distinct from step_input_tokens
    or output_tokens is distinct from step_output_tokens
    or total_tokens is distinct from step_total_tokens
