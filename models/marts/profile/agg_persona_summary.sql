{# The personas for BI: one row per persona of the current model (and `unscored`), with
   its size, share of all persons and what its average member looks like, in the units
   of the features (not z-scores): what the name summarises. #}

with

personas as (
    select * from {{ ref('int_predictions__persona') }}
),

features as (
    select * from {{ ref('int_persona__features') }}
),

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

profiled as (
    select
        personas.persona_code,
        min(personas.persona_name_zh) as persona_name_zh,
        min(personas.persona_name_en) as persona_name_en,
        min(personas.persona_rank) as persona_rank,
        count(*) as persons,
        avg(personas.persona_confidence) as avg_confidence,
        avg(features.orders_per_year) as avg_orders_per_year,
        avg(features.avg_order_value) as avg_order_value,
        avg(features.discount_share) as avg_discount_share,
        avg(features.store_order_share) as avg_store_order_share,
        avg(features.miniprogram_event_share) as avg_miniprogram_event_share,
        avg(features.content_engagement_share) as avg_content_engagement_share,
        avg(features.sessions_per_30d) as avg_sessions_per_30d,
        avg(features.tenure_days) as avg_tenure_days,
        avg(features.days_since_last_active) as avg_days_since_last_active,
        avg(features.age_years_approx) as avg_age_years,
        avg(metrics.spend_365d) as avg_spend_365d
    from personas
    inner join features on personas.person_id = features.person_id
    inner join metrics on personas.person_id = metrics.person_id
    group by personas.persona_code
),

final as (
    select
        profiled.persona_code,
        profiled.persona_name_zh,
        profiled.persona_name_en,
        profiled.persona_rank,
        profiled.persons,
        cast(profiled.persons as double) / sum(profiled.persons) over () as share,
        profiled.avg_confidence,
        profiled.avg_orders_per_year,
        profiled.avg_order_value,
        profiled.avg_discount_share,
        profiled.avg_store_order_share,
        profiled.avg_miniprogram_event_share,
        profiled.avg_content_engagement_share,
        profiled.avg_sessions_per_30d,
        profiled.avg_tenure_days,
        profiled.avg_days_since_last_active,
        profiled.avg_age_years,
        profiled.avg_spend_365d,
        as_of.as_of_date
    from profiled
    cross join as_of
)

select * from final
