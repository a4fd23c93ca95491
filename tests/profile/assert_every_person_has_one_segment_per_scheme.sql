{# Exactly one segment per person per scheme: every person of dim_person has one row in
   fct_person_segments for each scheme of `segment_schemes()`, and no row belongs to an
   unknown person. Fails with the (person, scheme) pairs that have 0 or 2+ rows. #}

with

persons as (
    select * from {{ ref('dim_person') }}
),

segments as (
    select * from {{ ref('fct_person_segments') }}
),

schemes as (
    {% for scheme in segment_schemes() -%}
        select '{{ scheme }}' as scheme
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

expected as (
    select
        persons.person_id,
        schemes.scheme
    from persons
    cross join schemes
),

actual as (
    select
        person_id,
        scheme,
        count(*) as segment_rows
    from segments
    group by person_id, scheme
),

final as (
    select
        coalesce(expected.person_id, actual.person_id) as person_id,
        coalesce(expected.scheme, actual.scheme) as scheme,
        coalesce(actual.segment_rows, 0) as segment_rows
    from expected
    full outer join actual
        on expected.person_id = actual.person_id and expected.scheme = actual.scheme
    where expected.person_id is null or actual.segment_rows is null or actual.segment_rows != 1
)

select * from final
