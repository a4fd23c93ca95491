{# The persona clustering's input, one row per person as of the as-of date: the as-of
   date's rows of `int_persona__features_by_date` (lifetime behaviour as rates per day of
   tenure, channel, discount, content and funnel shares, basket measures, recency, age).
   Raw values: the Python model log-transforms, imputes and scales them
   (`portrait.persona.features`). Persons with too little behaviour to profile are
   flagged here, not dropped (`unscored` downstream). #}

with

by_date as (
    select * from {{ ref('int_persona__features_by_date') }}
    where is_current
),

final as (
    select
        person_id,
        is_eligible,
        events_lifetime,
        orders_lifetime,
        tenure_days,
        orders_per_year,
        sessions_per_30d,
        events_per_session,
        avg_order_value,
        avg_unit_price,
        lines_per_order,
        discount_share,
        store_order_share,
        miniprogram_event_share,
        evening_event_share,
        content_engagement_share,
        cart_add_share,
        share_event_share,
        days_since_last_active,
        age_years_approx,
        as_of_date
    from by_date
)

select * from final
