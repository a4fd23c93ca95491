{# AIPL scheme (Alibaba's awareness → interest → purchase → loyalty funnel):
   `loyalty` with `portrait__aipl_loyalty_orders_365d` or more orders in 365 days,
   `purchase` with one, `interest` with interest behaviour (product views, searches,
   favourites, shares, cart adds, content engagement) in the last 90 days, else
   `awareness` (known in some channel). `score` is the stage number 1-4. On every
   evaluation date (`int_segments__as_of_dates`). #}

with

inputs as (
    select * from {{ ref('int_segments__inputs') }}
),

staged as (
    select
        person_id,
        as_of_date,
        case
            when orders_365d >= {{ var('portrait__aipl_loyalty_orders_365d') }} then 'loyalty'
            when orders_365d >= 1 then 'purchase'
            when interest_events_90d > 0 then 'interest'
            else 'awareness'
        end as segment_code
    from inputs
),

final as (
    select
        person_id,
        as_of_date,
        'aipl' as scheme,
        segment_code,
        cast(case segment_code
            when 'awareness' then 1 when 'interest' then 2 when 'purchase' then 3 else 4
        end as double) as score
    from staged
)

select * from final
