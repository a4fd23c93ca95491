{# One row per prediction model run, that is per fit (docs/contracts.md): what each model
   fitted, on how many rows, why (`fit_reason`), how many persons the build that fitted it
   scored, and its validation figures (`metrics`, JSON text), so a drop in quality shows in
   BI. A history table: each `dbt build` that refits a model appends its run (incremental,
   keyed by the fit's own time, so a build reusing a current fit (`portrait__refit_after_days`)
   adds nothing). `--full-refresh` keeps the history (full_refresh:
   false); drop the table to start it over. #}
{{ config(
    materialized='incremental',
    unique_key=['model_name', 'run_at'],
    on_schema_change='append_new_columns',
    full_refresh=false
) }}

with

persons as (
    select count(*) as persons from {{ ref('int_person_metrics') }}
),

fits as (
    {% for model in ['persona', 'ltv', 'churn'] -%}
        select
            model_name,
            fitted_at,
            as_of_date,
            status,
            cast(fitted_rows as bigint) as fitted_rows,
            metrics,
            fit_reason
        from {{ ref('int_predictions__' ~ model ~ '_model') }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
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
        cast(fits.fitted_at as {{ dbt.type_timestamp() }}) as run_at,
        cast(fits.as_of_date as date) as as_of_date,
        fits.status,
        fits.metrics,
        fits.fitted_rows,
        cast(scored.scored_rows as bigint) as scored_rows,
        cast(persons.persons - scored.scored_rows as bigint) as unscored_persons,
        '{{ invocation_id }}' as invocation_id,
        fits.fit_reason
    from fits
    inner join scored on fits.model_name = scored.model_name
    cross join persons
),

new_runs as (
    select * from final
    {% if is_incremental() -%}
        where not exists (
                select 1 from {{ this }} as previous_runs
                where previous_runs.model_name = final.model_name and previous_runs.run_at = final.run_at
            )
    {%- endif %}
)

select * from new_runs
