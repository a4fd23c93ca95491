{# The CLV models' input, one row per buyer as of the as-of date, in the literature's
   form: purchase days (several orders on one day count once), `frequency` = repeat
   purchase days, `recency_weeks` = first to last purchase day, `t_weeks` = first
   purchase day to the as-of date, `monetary_value` = mean net spend of the repeat
   purchase days (0 without repeats). Persons who never bought are not here: the models
   cannot score them (`unscored` downstream). #}

with

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

orders as (
    select * from {{ ref('int_orders_unified') }}
    where is_purchase and person_id is not null
),

purchase_days as (
    select
        orders.person_id,
        orders.order_date,
        sum(orders.net_amount) as day_spend
    from orders
    cross join as_of
    where orders.order_date <= as_of.as_of_date
    group by orders.person_id, orders.order_date
),

first_days as (
    select
        person_id,
        min(order_date) as first_purchase_date,
        max(order_date) as last_purchase_date,
        count(*) as purchase_days
    from purchase_days
    group by person_id
),

repeat_spend as (
    select
        purchase_days.person_id,
        avg(purchase_days.day_spend) as monetary_value
    from purchase_days
    inner join first_days on purchase_days.person_id = first_days.person_id
    where purchase_days.order_date > first_days.first_purchase_date
    group by purchase_days.person_id
),

final as (
    select
        first_days.person_id,
        cast(first_days.purchase_days - 1 as bigint) as frequency,
        {{ days_before('first_days.first_purchase_date', 'first_days.last_purchase_date') }} / 7.0 as recency_weeks,
        {{ days_before('first_days.first_purchase_date', 'as_of.as_of_date') }} / 7.0 as t_weeks,
        cast(coalesce(repeat_spend.monetary_value, 0) as double) as monetary_value,
        first_days.first_purchase_date,
        first_days.last_purchase_date,
        as_of.as_of_date
    from first_days
    cross join as_of
    left join repeat_spend on first_days.person_id = repeat_spend.person_id
)

select * from final
