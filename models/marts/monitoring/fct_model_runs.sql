{# One row per Python model per run (interfaces.md): what each prediction model fitted,
   on how many rows, how many persons it scored, and its validation figures (`metrics`,
   JSON text), so a drop in quality shows in BI. A history table: each `dbt build`
   appends its runs (incremental); rebuilt only by `--full-refresh`, which forgets them. #}
{{ config(materialized='incremental', unique_key=['model_name', 'run_at'], on_schema_change='append_new_columns') }}

with

persons as (
    select count(*) as persons from {{ ref('int_person_metrics') }}
),

fits as (
    select
        model_name,
        as_of_date,
        status,
        cast(fitted_rows as bigint) as fitted_rows,
        metrics
    from {{ ref('int_predictions__persona_model') }}
    union all
    select
        model_name,
        as_of_date,
        status,
        cast(fitted_rows as bigint) as fitted_rows,
        metrics
    from {{ ref('int_predictions__ltv_model') }}
    union all
    select
        model_name,
        as_of_date,
        status,
        cast(fitted_rows as bigint) as fitted_rows,
        metrics
    from {{ ref('int_predictions__churn_model') }}
),

scored as (
    select
        'persona' as model_name,
        count(*) as scored_rows
    from {{ ref('int_predictions__persona') }}
    where persona_code <> 'unscored'
    union all
    select
        'ltv' as model_name,
        count(*) as scored_rows
    from {{ ref('int_predictions__ltv') }}
    union all
    select
        'churn' as model_name,
        count(*) as scored_rows
    from {{ ref('int_predictions__churn') }}
),

final as (
    select
        fits.model_name,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as run_at,
        cast(fits.as_of_date as date) as as_of_date,
        fits.status,
        fits.metrics,
        fits.fitted_rows,
        cast(scored.scored_rows as bigint) as scored_rows,
        cast(persons.persons - scored.scored_rows as bigint) as unscored_persons,
        '{{ invocation_id }}' as invocation_id
    from fits
    inner join scored on fits.model_name = scored.model_name
    cross join persons
)

select * from final
