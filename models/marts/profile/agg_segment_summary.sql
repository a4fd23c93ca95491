{# Persons per scheme and segment with their share of all persons (shares sum to 1 per
   scheme), plus what an average member of the segment spends and buys: the overview a
   BI dashboard shows first. Every defined segment of a scheme in use is listed, with 0 persons if empty. #}

with

definitions as (
    select * from {{ ref('segment_definitions') }}
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
