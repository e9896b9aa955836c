-- assert_usage_and_cost_add_up
-- Returns: one row per check that fails, with the two sides:
--   - fct_runs has as many rows as the raw runs and responses (no fan-out from the price, step or
--     tool-call joins), for each API;
--   - rpt_daily_usage adds up to fct_runs: runs, input, output and total tokens, cost, tool cost,
--     billed and unpriced tool calls;
--   - input_tokens + output_tokens = total_tokens for every run with usage;
--   - each run's cost is the sum of its cost classes (input + cached input + output + web search +
--     file search), and tool_cost_usd the sum of its tool classes;
--   - cached input tokens are part of input, reasoning tokens part of output (never more).
-- Why: the finance figures are sums of these marts; a join that duplicates or drops a run, or a
--   cost class that goes missing, would move the totals without any error.
with

raw_runs as (

    select api, run_id from analytics.stg_runs
    union all
    select api, response_id as run_id from analytics.stg_responses

),

runs as (

    select * from analytics.fct_runs

),


daily as (

    select * from analytics.rpt_daily_usage

),

run_totals as (

    select
        count(*) as runs,
        coalesce(sum(input_tokens), 0) as input_tokens,
        coalesce(sum(output_tokens), 0) as output_tokens,
        coalesce(sum(total_tokens), 0) as total_tokens,
        coalesce(sum(cost_usd), 0) as cost_usd,
        coalesce(sum(tool_cost_usd), 0) as tool_cost_usd,
        coalesce(sum(billed_web_search_calls), 0) as billed_web_search_calls,
        coalesce(sum(billed_file_search_calls), 0) as billed_file_search_calls,
        coalesce(sum(unpriced_tool_calls), 0) as unpriced_tool_calls

    from runs

),

daily_totals as (

    select
        coalesce(sum(runs), 0) as runs,
        coalesce(sum(input_tokens), 0) as input_tokens,
        coalesce(sum(output_tokens), 0) as output_tokens,
        coalesce(sum(total_tokens), 0) as total_tokens,
        coalesce(sum(cost_usd), 0) as cost_usd,
        coalesce(sum(tool_cost_usd), 0) as tool_cost_usd,
        coalesce(sum(billed_web_search_calls), 0) as billed_web_search_calls,
        coalesce(sum(billed_file_search_calls), 0) as billed_file_search_calls,
        coalesce(sum(unpriced_tool_calls), 0) as unpriced_tool_calls

    from daily

),

raw_totals as (

    select count(*) as runs from raw_runs

),

raw_by_api as (

    select api, count(*) as runs from raw_runs group by api

),

runs_by_api as (

    select api, count(*) as runs from runs group by api

),

checks as (

    select 'fct_runs rows = raw runs' as check_name, cast(run_totals.runs as double) as left_side,
        cast(raw_totals.runs as double) as right_side
    from run_totals cross join raw_totals

    union all

    select 'fct_runs rows = raw rows of api ' || raw_by_api.api, cast(coalesce(runs_by_api.runs, 0) as double),
        cast(raw_by_api.runs as double)
    from raw_by_api
    left join runs_by_api
        on runs_by_api.api = raw_by_api.api

    union all

    select 'rpt_daily_usage runs = fct_runs', cast(daily_totals.runs as double), cast(run_totals.runs as double)
    from run_totals cross join daily_totals

    union all

    select 'rpt_daily_usage input_tokens = fct_runs', cast(daily_totals.input_tokens as double),
        cast(run_totals.input_tokens as double)
    from run_totals cross join daily_totals

    union all

    select 'rpt_daily_usage output_tokens = fct_runs', cast(daily_totals.output_tokens as double),
        cast(run_totals.output_tokens as double)
    from run_totals cross join daily_totals

    union all

    select 'rpt_daily_usage total_tokens = fct_runs', cast(daily_totals.total_tokens as double),
        cast(run_totals.total_tokens as double)
    from run_totals cross join daily_totals

    union all

    select 'rpt_daily_usage cost_usd = fct_runs', cast(daily_totals.cost_usd as double), cast(run_totals.cost_usd as double)
    from run_totals cross join daily_totals

    union all

    select 'rpt_daily_usage tool_cost_usd = fct_runs', cast(daily_totals.tool_cost_usd as double),
        cast(run_totals.tool_cost_usd as double)
    from run_totals cross join daily_totals

    union all

    select 'rpt_daily_usage billed_web_search_calls = fct_runs', cast(daily_totals.billed_web_search_calls as double),
        cast(run_totals.billed_web_search_calls as double)
    from run_totals cross join daily_totals

    union all

    select 'rpt_daily_usage billed_file_search_calls = fct_runs', cast(daily_totals.billed_file_search_calls as double),
        cast(run_totals.billed_file_search_calls as double)
    from run_totals cross join daily_totals

    union all

    select 'rpt_daily_usage unpriced_tool_calls = fct_runs', cast(daily_totals.unpriced_tool_calls as double),
        cast(run_totals.unpriced_tool_calls as double)
    from run_totals cross join daily_totals

),

failed_checks as (

    select check_name, left_side, right_side
    from checks
    where abs(left_side - right_side) > 0.000001

),

token_classes as (

    select
        'run ' || run_id || ': input + output tokens = total_tokens' as check_name,
        cast(input_tokens + output_tokens as double) as left_side,
        cast(total_tokens as double) as right_side
    from runs
    where total_tokens is not null and input_tokens + output_tokens <> total_tokens

),

cost_classes as (

    select
        'run ' || run_id || ': cost classes add up to cost_usd' as check_name,
        input_cost_usd + coalesce(cached_input_cost_usd, 0) + output_cost_usd
            + coalesce(web_search_cost_usd, 0) + coalesce(file_search_cost_usd, 0) as left_side,
        cost_usd as right_side
    from runs
    where cost_usd is not null
        and abs(input_cost_usd + coalesce(cached_input_cost_usd, 0) + output_cost_usd
            + coalesce(web_search_cost_usd, 0) + coalesce(file_search_cost_usd, 0) - cost_usd) > 0.000000001

),

tool_classes as (

    select
        'run ' || run_id || ': tool cost classes add up to tool_cost_usd' as check_name,
        coalesce(web_search_cost_usd, 0) + coalesce(file_search_cost_usd, 0) as left_side,
        tool_cost_usd as right_side
    from runs
    where (cost_usd is not null) <> (tool_cost_usd is not null)
        or abs(coalesce(web_search_cost_usd, 0) + coalesce(file_search_cost_usd, 0) - tool_cost_usd) > 0.000000001

),

token_parts as (

    select
        'run ' || run_id || ': cached <= input and reasoning <= output tokens' as check_name,
        cast(coalesce(cached_input_tokens, 0) - input_tokens as double) as left_side,
        cast(coalesce(reasoning_tokens, 0) - output_tokens as double) as right_side
    from runs
    where cached_input_tokens > input_tokens or reasoning_tokens > output_tokens

)

select * from failed_checks
union all
select * from token_classes
union all
select * from token_parts
union all
select * from cost_classes
union all
select * from tool_classes
