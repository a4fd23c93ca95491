{# One row per person and segment scheme (docs/contracts.md): the person's current segment
   with its Chinese and English names and the scheme's score. Every person has exactly
   one row per scheme; persons a scheme cannot score get an explicit segment
   (`no_purchase`, `prospect`, `no_spend`, `unscored`). Names come from the seed
   `segment_definitions`, except persona names, which the persona model derives. #}

with

-- built after the suppression list, so that its snapshot can erase history (erase_from_history):
-- depends_on: {{ ref('privacy_suppression_list') }}

definitions as (
    select * from {{ ref('segment_definitions') }}
),

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

{#- One import per scheme, `int_segments__<scheme>` (macro `segment_schemes`). #}

unioned as (
    {% for scheme in segment_schemes() -%}
        select
            person_id,
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
        unioned.scheme,
        unioned.segment_code,
        coalesce(definitions.segment_name_zh, unioned.segment_name_zh) as segment_name_zh,
        coalesce(definitions.segment_name_en, unioned.segment_name_en) as segment_name_en,
        unioned.score,
        as_of.as_of_date
    from unioned
    cross join as_of
    left join definitions
        on
            unioned.scheme = definitions.scheme
            and unioned.segment_code = definitions.segment_code
)

select * from final
