{# Persons per scheme and segment with their share of all persons (shares sum to 1 per
   scheme), plus what an average member of the segment spends and buys: the overview a
   BI dashboard shows first. Every defined segment of a scheme in use is listed, with 0 persons if empty. #}

with

seeded_definitions as (
    select * from {{ ref('segment_definitions') }}
),

-- persona segments are named by the model, not the seed
persona_definitions as (
    select
        'persona' as scheme,
        persona_code as segment_code,
        min(persona_name_zh) as segment_name_zh,
        min(persona_name_en) as segment_name_en,
        cast(min(persona_rank) as integer) as sort_order
    from {{ ref('int_predictions__persona') }}
    where persona_code <> 'unscored'
    group by persona_code
),

definitions as (
    select
        scheme,
        segment_code,
        segment_name_zh,
        segment_name_en,
        sort_order
    from seeded_definitions
    union all
    select * from persona_definitions
),

segments as (
    select * from {{ ref('fct_person_segments') }}
),

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

counted as (
    select
        segments.scheme,
        segments.segment_code,
        count(*) as persons,
        avg(metrics.spend_365d) as avg_spend_365d,
        avg(metrics.orders_365d) as avg_orders_365d
    from segments
    inner join metrics on segments.person_id = metrics.person_id
    group by segments.scheme, segments.segment_code
),

scheme_totals as (
    select
        scheme,
        sum(persons) as scheme_persons
    from counted
    group by scheme
),

final as (
    select
        definitions.scheme,
        definitions.segment_code,
        definitions.segment_name_zh,
        definitions.segment_name_en,
        definitions.sort_order,
        coalesce(counted.persons, 0) as persons,
        coalesce(cast(counted.persons as double) / scheme_totals.scheme_persons, 0) as share,
        counted.avg_spend_365d,
        counted.avg_orders_365d
    from definitions
    left join counted
        on
            definitions.scheme = counted.scheme
            and definitions.segment_code = counted.segment_code
    inner join scheme_totals on definitions.scheme = scheme_totals.scheme
)

select * from final
