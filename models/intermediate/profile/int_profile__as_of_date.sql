{# The business as-of date every metric, tag and segment is computed for (one row):
   `portrait__as_of_date` when set, else the latest local date of a valid staged event
   or order, so future-dated junk (quarantined in staging) cannot move it. #}

with

events as (
    select * from {{ ref('stg_app__events') }}
),

shop_orders as (
    select * from {{ ref('stg_shop__orders') }}
),

store_transactions as (
    select * from {{ ref('stg_pos__transactions') }}
),

activity_times as (
    select max(event_at) as latest_at from events
    union all
    select max(ordered_at) as latest_at from shop_orders
    union all
    select max(transacted_at) as latest_at from store_transactions
),

latest_activity as (
    select max({{ local_date('latest_at') }}) as latest_activity_date
    from activity_times
),

final as (
    select
        {% if var('portrait__as_of_date', '') | string | trim != '' -%}
            cast('{{ var("portrait__as_of_date") | string | trim }}' as date)
        {%- else -%}
            latest_activity_date
        {%- endif %} as as_of_date,
        latest_activity_date
    from latest_activity
)

select * from final
