-- rpt_tool_usage
-- Grain: one row per run_date x api x agent x model x tool_type x function_name that has tool
--   calls (function_name is null for tools without a name).
-- Meaning: which tools each assistant called, how often, and how often their steps failed.
-- Definitions:
--   agent: the assistant id, or the Foundry agent as `name:version` (null for responses without
--     an agent); assistant_id: the same value, kept for queries written before the Responses API.
--   run_date: UTC date of the calls' runs' created_at; api: their API ('assistants' or 'responses').
--   tool_calls: calls made; steps / runs: distinct steps and runs that made them.
--   terminal_tool_calls: calls whose step has ended (completed, failed, cancelled or expired).
--   completed / failed / cancelled / expired_tool_calls: calls by their step's outcome. A tool call
--     has no status of its own: it failed when its step failed.
--   failed_steps: distinct failed steps among them.
--   failure_rate = (terminal_tool_calls - completed_tool_calls) / terminal_tool_calls; null when
--     no call has ended yet. Calls whose step is in progress are left out of it.
with

tool_calls as (

    select * from analytics.fct_tool_calls

),

tool_usage as (

    select
        run_date,
        api,
        agent,
        assistant_id,
        model,
        tool_type,
        function_name,
        count(*) as tool_calls,
        count(distinct step_id) as steps,
        count(distinct run_id) as runs,
        count(case when is_step_terminal then 1 end) as terminal_tool_calls,
        count(case when is_step_completed then 1 end) as completed_tool_calls,
        count(case when is_step_failed then 1 end) as failed_tool_calls,
        count(case when is_step_cancelled then 1 end) as cancelled_tool_calls,
        count(case when is_step_expired then 1 end) as expired_tool_calls,
        count(distinct case when is_step_failed then step_id end) as failed_steps

    from tool_calls
    group by run_date, api, agent, assistant_id, model, tool_type, function_name

),

rates as (

    select
        *,
        cast(terminal_tool_calls - completed_tool_calls as double)
            / nullif(terminal_tool_calls, 0) as failure_rate

    from tool_usage

)

select * from rates
