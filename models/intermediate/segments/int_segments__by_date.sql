{# Every person's segment in every scheme on every evaluation date
   (`int_segments__as_of_dates`): the one mechanism behind today's segments
   (`fct_person_segments`, the as-of date's rows), their history
   (`fct_person_segment_history`) and their migration (`agg_segment_migration`), and what
   campaign results are split by (segments the day before a campaign started). Names come
   from the seed `segment_definitions`, except persona names, which the persona model
   derives. #}

with

definitions as (
    select * from {{ ref('segment_definitions') }}
),

dates as (
    select * from {{ ref('int_segments__as_of_dates') }}
),

{#- One import per scheme, `int_segments__<scheme>` (macro `segment_schemes`). #}

unioned as (
    {% for scheme in segment_schemes() -%}
        select
            person_id,
            as_of_date,
            scheme,
            segment_code,
            {% if scheme == 'persona' -%}
                segment_name_zh,
                segment_name_en,
            {% else -%}
                cast(null as {{ dbt.type_string() }}) as segment_name_zh,
                cast(null as {{ dbt.type_string() }}) as segment_name_en,
            {% endif -%}
            score
        from {{ ref('int_segments__' ~ scheme) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        unioned.person_id,
        unioned.as_of_date,
        dates.date_kind,
        dates.is_current,
        unioned.scheme,
        unioned.segment_code,
        coalesce(definitions.segment_name_zh, unioned.segment_name_zh) as segment_name_zh,
        coalesce(definitions.segment_name_en, unioned.segment_name_en) as segment_name_en,
        unioned.score
    from unioned
    inner join dates on unioned.as_of_date = dates.as_of_date
    left join definitions
        on
            unioned.scheme = definitions.scheme
            and unioned.segment_code = definitions.segment_code
)

select * from final
