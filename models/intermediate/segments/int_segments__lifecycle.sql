{# Lifecycle scheme: `prospect` (never bought), `new` (first order within the last
   `portrait__lifecycle_new_days` days), then by the last order: `active` (within the last
   `portrait__lifecycle_active_days` days), `silent` (within `..._silent_days`),
   `churn_warning` (within `..._churn_warning_days`), `churned` (none within them).
   "Within the last N days" counts the as-of day, like the metric windows: fewer than N
   days since. `score` is the number of days since the last order. On every evaluation
   date (`int_segments__as_of_dates`). #}

with

inputs as (
    select * from {{ ref('int_segments__inputs') }}
),

final as (
    select
        person_id,
        as_of_date,
        'lifecycle' as scheme,
        case
            when orders_lifetime = 0 or days_since_last_order is null then 'prospect'
            when days_since_first_order < {{ var('portrait__lifecycle_new_days') }} then 'new'
            when days_since_last_order < {{ var('portrait__lifecycle_active_days') }} then 'active'
            when days_since_last_order < {{ var('portrait__lifecycle_silent_days') }} then 'silent'
            when days_since_last_order < {{ var('portrait__lifecycle_churn_warning_days') }} then 'churn_warning'
            else 'churned'
        end as segment_code,
        cast(days_since_last_order as double) as score
    from inputs
)

select * from final
