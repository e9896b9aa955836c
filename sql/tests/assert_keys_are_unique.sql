-- assert_keys_are_unique
-- Returns: one row per key that appears more than once (or is null) in a model that promises
--   it unique: fct_runs.run_id, fct_run_steps.step_id, fct_tool_calls (step_id,
--   tool_call_position), the code interpreter outputs' and file search results' keys, and
--   the response items' and their outputs' and results' keys, the conversation items' key, and
--   model_prices (model, starts_at). The marts' grains are assert_mart_grains_are_unique.
-- Why: a duplicated run or step counts its tokens and cost twice in every report.
with

runs as (

    select 'fct_runs' as model_name, run_id as key_value, count(*) as rows_with_key
    from analytics.fct_runs
    group by run_id

),

steps as (

    select 'fct_run_steps' as model_name, step_id as key_value, count(*) as rows_with_key
    from analytics.fct_run_steps
    group by step_id

),

tool_calls as (

    select
        'fct_tool_calls' as model_name,
        step_id || '/' || cast(tool_call_position as varchar) as key_value,
        count(*) as rows_with_key
    from analytics.fct_tool_calls
    group by step_id, tool_call_position

),

code_interpreter_outputs as (

    select
        'stg_code_interpreter_outputs' as model_name,
        step_id || '/' || cast(tool_call_position as varchar) || '/' || cast(output_position as varchar) as key_value,
        count(*) as rows_with_key
    from analytics.stg_code_interpreter_outputs
    group by step_id, tool_call_position, output_position

),

file_search_results as (

    select
        'stg_file_search_results' as model_name,
        step_id || '/' || cast(tool_call_position as varchar) || '/' || cast(result_position as varchar) as key_value,
        count(*) as rows_with_key
    from analytics.stg_file_search_results
    group by step_id, tool_call_position, result_position

),

response_items as (

    select
        'stg_response_items' as model_name,
        response_id || '/' || cast(item_position as varchar) as key_value,
        count(*) as rows_with_key
    from analytics.stg_response_items
    group by response_id, item_position

),

response_outputs as (

    select
        'stg_response_code_interpreter_outputs' as model_name,
        response_id || '/' || cast(item_position as varchar) || '/' || cast(output_position as varchar) as key_value,
        count(*) as rows_with_key
    from analytics.stg_response_code_interpreter_outputs
    group by response_id, item_position, output_position

),

response_results as (

    select
        'stg_response_file_search_results' as model_name,
        response_id || '/' || cast(item_position as varchar) || '/' || cast(result_position as varchar) as key_value,
        count(*) as rows_with_key
    from analytics.stg_response_file_search_results
    group by response_id, item_position, result_position

),

conversation_items as (

    select
        'stg_conversation_items' as model_name,
        conversation_id || '/' || cast(item_position as varchar) as key_value,
        count(*) as rows_with_key
    from analytics.stg_conversation_items
    group by conversation_id, item_position

),

prices as (

    select
        'model_prices' as model_name,
        model || '/' || cast(starts_at as varchar) as key_value,
        count(*) as rows_with_key
    from analytics.model_prices
    group by model, starts_at

),

all_keys as (

    select * from runs
    union all select * from steps
    union all select * from tool_calls
    union all select * from code_interpreter_outputs
    union all select * from file_search_results
    union all select * from response_items
    union all select * from response_outputs
    union all select * from response_results
    union all select * from conversation_items
    union all select * from prices

)

select * from all_keys
where rows_with_key > 1 or key_value is null
