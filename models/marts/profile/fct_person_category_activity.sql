{# Per-category behaviour, one row per person, product category (`category_l1`) and
   window (`portrait__metric_windows` days up to the as-of date, the as-of day included,
   like every metric window; and `lifetime`, window_days NULL): product views and cart
   adds of the category, and orders that include it and the spend on it (store returns
   net the spend, they are no order). Only windows with any of them. "Viewed a category three times in seven days without ordering it" is
   `window_days = 7 and product_views >= 3 and orders = 0`. No PII. #}
{%- set windows = var('portrait__metric_windows') %}

with

interests as (
    select * from {{ ref('int_person_daily_interests') }}
    where interest_type = 'category'
),

lines as (
    select * from {{ ref('int_order_lines_unified') }}
    where person_id is not null and is_counted and category_l1 is not null
),

as_of as (
    select max(as_of_date) as as_of_date from {{ ref('int_profile__as_of_date') }}
),

windows as (
    {% for days in windows -%}
        select
            '{{ days }}d' as window_name,
            {{ days }} as window_days
        union all
    {% endfor -%}
    select
        'lifetime' as window_name,
        cast(null as integer) as window_days
),

daily as (
    select
        interests.person_id,
        interests.interest_value as category,
        interests.activity_date,
        interests.product_views,
        interests.cart_adds,
        cast(null as {{ dbt.type_string() }}) as order_key,
        cast(0 as decimal(18, 2)) as spend
    from interests
    where interests.product_views > 0 or interests.cart_adds > 0
    union all
    select
        lines.person_id,
        lines.category_l1 as category,
        lines.order_date as activity_date,
        0 as product_views,
        0 as cart_adds,
        -- a store return's lines (negative quantities) net the spend but are no order
        case when lines.quantity > 0 then lines.order_key end as order_key,
        lines.line_amount as spend
    from lines
),

windowed as (
    select
        daily.person_id,
        daily.category,
        windows.window_name,
        windows.window_days,
        sum(daily.product_views) as product_views,
        sum(daily.cart_adds) as cart_adds,
        count(distinct daily.order_key) as orders,
        sum(daily.spend) as spend
    from daily
    cross join as_of
    inner join windows
        on
            daily.activity_date <= as_of.as_of_date
            and (
                windows.window_days is null
                or daily.activity_date > {{ dbt.dateadd('day', '-windows.window_days', 'as_of.as_of_date') }}
            )
    group by daily.person_id, daily.category, windows.window_name, windows.window_days
),

final as (
    select
        person_id,
        category,
        window_name,
        window_days,
        cast(product_views as bigint) as product_views,
        cast(cart_adds as bigint) as cart_adds,
        cast(orders as bigint) as orders,
        cast(spend as decimal(18, 2)) as spend
    from windowed
)

select * from final
