{# Cohort retention: buyers grouped by the month of their first order, and the share of
   each cohort that ordered again in each following month (month 0 = the first month).
   Reads the `fct_orders` mart. Compile with `dbt compile --select cohort_retention` and
   run the SQL in target/compiled. #}

with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_purchase and person_id is not null
),

order_months as (
    select distinct
        person_id,
        {{ dbt.date_trunc('month', 'order_date') }} as order_month
    from orders
),

cohorts as (
    select
        person_id,
        min(order_month) as cohort_month
    from order_months
    group by person_id
),

activity as (
    select
        cohorts.cohort_month,
        order_months.person_id,
        (extract(year from order_months.order_month) - extract(year from cohorts.cohort_month)) * 12
        + extract(month from order_months.order_month) - extract(month from cohorts.cohort_month)
            as months_since_first_order
    from order_months
    inner join cohorts on order_months.person_id = cohorts.person_id
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_buyers
    from cohorts
    group by cohort_month
),

final as (
    select
        activity.cohort_month,
        activity.months_since_first_order,
        cohort_sizes.cohort_buyers,
        count(distinct activity.person_id) as active_buyers,
        cast(count(distinct activity.person_id) as double) / cohort_sizes.cohort_buyers as retention
    from activity
    inner join cohort_sizes on activity.cohort_month = cohort_sizes.cohort_month
    group by activity.cohort_month, activity.months_since_first_order, cohort_sizes.cohort_buyers
)

select * from final
order by cohort_month, months_since_first_order
