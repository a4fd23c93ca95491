{# The persona clustering's input on every evaluation date (`int_segments__as_of_dates`),
   one row per person and date: lifetime behaviour as rates per day of tenure, channel,
   discount, content and funnel shares, basket measures, recency and age, from the running
   totals of `int_segments__inputs`. Raw values: the Python models log-transform, impute
   and scale them (`portrait.persona.features`). The as-of date's rows are
   `int_persona__features`, which the persona model is fitted on; the earlier dates give
   the persona history (the current model applied to past features). Age is today's age
   band on every date. Persons with too little behaviour to profile are flagged, not
   dropped (`unscored` downstream). #}

with

inputs as (
    select * from {{ ref('int_segments__inputs') }}
),

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

tenure as (
    select
        person_id,
        as_of_date,
        greatest(coalesce(days_since_first_visit, 0), coalesce(days_since_first_order, 0)) + 1 as tenure_days
    from inputs
),

final as (
    select
        inputs.person_id,
        inputs.as_of_date,
        inputs.is_current,
        inputs.events_lifetime >= {{ var('portrait__persona_min_events') }}
        or inputs.orders_lifetime >= {{ var('portrait__persona_min_orders') }} as is_eligible,
        cast(inputs.events_lifetime as bigint) as events_lifetime,
        cast(inputs.orders_lifetime as bigint) as orders_lifetime,
        cast(tenure.tenure_days as bigint) as tenure_days,
        inputs.orders_lifetime * 365.0 / tenure.tenure_days as orders_per_year,
        inputs.sessions_lifetime * 30.0 / tenure.tenure_days as sessions_per_30d,
        {{ safe_divide('inputs.events_lifetime', 'inputs.sessions_lifetime') }} as events_per_session,
        {{ safe_divide('inputs.spend_lifetime', 'inputs.orders_lifetime') }} as avg_order_value,
        {{ safe_divide('inputs.line_amount_lifetime', 'inputs.units_lifetime') }} as avg_unit_price,
        {{ safe_divide('inputs.counted_lines_lifetime', 'inputs.counted_orders_lifetime') }} as lines_per_order,
        {{ safe_divide('inputs.discount_amount_lifetime', 'inputs.gross_amount_lifetime') }} as discount_share,
        {{ safe_divide('inputs.store_orders_lifetime', 'inputs.orders_lifetime') }} as store_order_share,
        {{ safe_divide('inputs.events_on_miniprogram_lifetime', 'inputs.events_lifetime') }}
            as miniprogram_event_share,
        {{ safe_divide('inputs.events_in_evening_lifetime', 'inputs.events_lifetime') }} as evening_event_share,
        {{ safe_divide('inputs.content_engagements_lifetime', 'inputs.events_lifetime') }}
            as content_engagement_share,
        {{ safe_divide('inputs.cart_adds_lifetime', 'inputs.events_lifetime') }} as cart_add_share,
        {{ safe_divide('inputs.shares_lifetime', 'inputs.events_lifetime') }} as share_event_share,
        inputs.days_since_last_active,
        case metrics.age_band
            when '<18' then 16
            when '18-24' then 21
            when '25-34' then 30
            when '35-44' then 40
            when '45-54' then 50
            when '55+' then 60
        end as age_years_approx
    from inputs
    inner join tenure on inputs.person_id = tenure.person_id and inputs.as_of_date = tenure.as_of_date
    left join metrics on inputs.person_id = metrics.person_id
)

select * from final
