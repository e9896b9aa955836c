-- fct_run_steps
-- Grain: one row per run step, key step_id.
-- Meaning: every step with its run's assistant, model and day, its outcome, duration, usage and
--   the cost of that usage at the run's model price.
-- Definitions:
--   api, agent (= assistant_id), model, run_date, run_status, is_run_terminal: the run's (steps
--     carry no model).
--   Steps carry no tool fees: only responses have tool calls billed per call, and they have no steps.
--   step_type: message_creation or tool_calls. is_terminal and is_completed / is_failed /
--     is_cancelled / is_expired: the step's outcome.
--   step_seconds: created_at -> ended_at (completed_at, failed_at, cancelled_at or expired_at by
--     status); null while in progress. Steps have no start time of their own.
--   input_tokens / cached_input_tokens / output_tokens / reasoning_tokens / total_tokens: the
--     step's usage by token class; null while in progress or when the server sends none (Foundry
--     may omit it); cached_input_tokens and reasoning_tokens are always null for assistants.
--   input_cost_usd / cached_input_cost_usd / output_cost_usd / cost_usd / cost_basis: the step's
--     tokens at the price of the run's model at the run's created_at (int_usage_priced); null
--     (never 0) when unpriced or without usage. Step costs break the run's cost down: never add
--     them to fct_runs.cost_usd.
with

steps as (

    select * from analytics.int_steps_priced

),

final as (

    select
        api,
        step_id,
        run_id,
        thread_id,
        agent,
        assistant_id,
        model,
        run_date,
        run_status,
        is_run_terminal,
        step_type,
        status,
        is_terminal,
        is_completed,
        is_failed,
        is_cancelled,
        is_expired,
        last_error_code,
        last_error_message,
        created_at,
        ended_at,
        step_seconds,
        input_tokens,
        cached_input_tokens,
        output_tokens,
        reasoning_tokens,
        total_tokens,
        is_priced,
        priced_at,
        input_usd_per_mtok,
        cached_input_usd_per_mtok,
        output_usd_per_mtok,
        price_source,
        price_starts_at,
        input_cost_usd,
        cached_input_cost_usd,
        output_cost_usd,
        cost_usd,
        cost_basis,
        message_id,
        tool_call_count

    from steps

)

select * from final
