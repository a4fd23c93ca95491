{# The shares of agg_segment_summary sum to 1 per scheme and its person counts to the
   number of persons in dim_person. Fails with the schemes that do not. #}

with

summary as (
    select * from {{ ref('agg_segment_summary') }}
),

persons as (
    select count(*) as persons from {{ ref('dim_person') }}
),

per_scheme as (
    select
        scheme,
        sum(share) as total_share,
        sum(persons) as total_persons
    from summary
    group by scheme
),

final as (
    select
        per_scheme.scheme,
        per_scheme.total_share,
        per_scheme.total_persons,
        persons.persons as expected_persons
    from per_scheme
    cross join persons
    where abs(per_scheme.total_share - 1) > 1e-9 or per_scheme.total_persons != persons.persons
)

select * from final
