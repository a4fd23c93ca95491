{{ config(materialized='table') }}
{# Every behavioural, transactional, service, marketing and survey metric of a person,
   published for BI and for audience predicates (portrait.activation.audiences): the
   metrics of `int_person_metrics` without its demographic columns (those published are
   in `dim_person`). One row per person; no PII. #}
with

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

final as (
    select
        * exclude ({{ person_metrics_private_columns() | join(', ') }})
    from metrics
)

select * from final
