-- assert_priced_usage_has_a_cost
-- Returns: one row per run or step that has usage and a price for its model and time, yet no
--   cost (for instance total_tokens without the input/output split), or a cost without a
--   cost_basis (the label that says what kind of figure it is); and per run with a cost whose
--   web or file searches billed per call have a per-call price but no tool cost, or have a tool
--   cost without a per-call price, or are not counted in unpriced_tool_calls when unpriced.
-- Why: a priced run without a cost silently drops out of the spend; only unpriced models may
--   have a null cost, and they are listed in unpriced_models.
with

runs as (

    select 'run' as object_type, run_id as object_id, model, run_date, total_tokens, cost_usd, cost_basis
    from analytics.fct_runs
    where (is_priced and total_tokens is not null and cost_usd is null)
        or (cost_usd is not null and cost_basis is null)
        or (cost_usd is not null and billed_web_search_calls > 0
            and (web_search_usd_per_kcall is null) <> (web_search_cost_usd is null))
        or (cost_usd is not null and billed_file_search_calls > 0
            and (file_search_usd_per_kcall is null) <> (file_search_cost_usd is null))
        or (unpriced_tool_calls
            < case when web_search_usd_per_kcall is null then billed_web_search_calls else 0 end
            + case when file_search_usd_per_kcall is null then billed_file_search_calls else 0 end)

),

steps as (

    select 'step' as object_type, step_id as object_id, model, run_date, total_tokens, cost_usd, cost_basis
    from analytics.fct_run_steps
    where (is_priced and total_tokens is not null and cost_usd is null)
        or (cost_usd is not null and cost_basis is null)

)

select * from runs
union all
select * from steps
