{# The CLV models' backtest: each buyer's purchase summary as of
   `portrait__ltv_backtest_days` (180) days before the as-of date, in the same form as
   `int_ltv__purchase_summary` (purchase days, weeks), with the purchase days they
   actually made in the days from then to the as-of date. The CLV fit model fits on the
   old summary and compares its forecast with what happened — a validation figure for
   `fct_model_runs` that needs no truth. Purchase days and spend are defined as in
   `int_ltv__purchase_summary`. #}
{%- set backtest_days = var('portrait__ltv_backtest_days') %}

with

cutoff as (
    select
        as_of_date,
        cast({{ dbt.dateadd('day', -backtest_days, 'as_of_date') }} as date) as cutoff_date
    from {{ ref('int_profile__as_of_date') }}
),

-- purchase days as in int_ltv__purchase_summary: orders on one day count once
purchase_days as (
    select
        person_id,
        order_date as activity_date,
        sum(net_amount) as spend
    from {{ ref('int_orders_unified') }}
    where is_purchase and person_id is not null
    group by person_id, order_date
),

calibration as (
    select
        purchase_days.person_id,
        min(purchase_days.activity_date) as first_purchase_date,
        max(purchase_days.activity_date) as last_purchase_date,
        count(*) as purchase_days
    from purchase_days
    cross join cutoff
    where purchase_days.activity_date <= cutoff.cutoff_date
    group by purchase_days.person_id
),

repeat_spend as (
    select
        purchase_days.person_id,
        avg(purchase_days.spend) as monetary_value
    from purchase_days
    inner join calibration on purchase_days.person_id = calibration.person_id
    cross join cutoff
    where
        purchase_days.activity_date > calibration.first_purchase_date
        and purchase_days.activity_date <= cutoff.cutoff_date
    group by purchase_days.person_id
),

realised as (
    select
        purchase_days.person_id,
        count(*) as purchase_days_after
    from purchase_days
    cross join cutoff
    where
        purchase_days.activity_date > cutoff.cutoff_date
        and purchase_days.activity_date <= cutoff.as_of_date
    group by purchase_days.person_id
),

final as (
    select
        calibration.person_id,
        cast(calibration.purchase_days - 1 as bigint) as frequency,
        {{ days_before('calibration.first_purchase_date', 'calibration.last_purchase_date') }} / 7.0
            as recency_weeks,
        {{ days_before('calibration.first_purchase_date', 'cutoff.cutoff_date') }} / 7.0 as t_weeks,
        cast(coalesce(repeat_spend.monetary_value, 0) as double) as monetary_value,
        cast(coalesce(realised.purchase_days_after, 0) as bigint) as purchase_days_after,
        cutoff.cutoff_date
    from calibration
    cross join cutoff
    left join repeat_spend on calibration.person_id = repeat_spend.person_id
    left join realised on calibration.person_id = realised.person_id
)

select * from final
