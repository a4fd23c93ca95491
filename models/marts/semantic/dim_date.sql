{# The date dimension and MetricFlow's time spine: one row per local date from the first
   day of the data (the earliest order, event or first sighting) to a year after the as-of
   date, with its week, month, quarter and year. Metrics grouped by `metric_time` join to
   it, so a day without orders is a row with 0, not a gap. #}

with

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

orders as (
    select * from {{ ref('int_orders_unified') }}
),

activity as (
    select * from {{ ref('int_person_daily_activity') }}
),

bounds as (
    select
        least(
            (select min(order_date) from orders),
            (select min(activity_date) from activity),
            as_of.as_of_date
        ) as first_date,
        cast({{ dbt.dateadd('day', 365, 'as_of.as_of_date') }} as date) as last_date
    from as_of
),

days as (
    select cast(unnest(generate_series(first_date, last_date, interval 1 day)) as date) as date_day
    from bounds
),

final as (
    select
        date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast(extract(year from date_day) as integer) as calendar_year
    from days
)

select * from final
