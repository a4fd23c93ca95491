{# Persona scheme on every evaluation date (`int_segments__as_of_dates`): on the as-of
   date each person's persona from `int_predictions__persona`, on earlier dates the
   current model applied to that date's features (`int_predictions__persona_history`),
   with the names the model derived from its centroids; `unscored` for persons with too
   little behaviour to profile on the date. `score` is the assignment's confidence (0-1,
   higher is clearer). #}

with

current_personas as (
    select * from {{ ref('int_predictions__persona') }}
),

past_personas as (
    select * from {{ ref('int_predictions__persona_history') }}
),

features as (
    select * from {{ ref('int_persona__features_by_date') }}
),

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

current_rows as (
    select
        current_personas.person_id,
        as_of.as_of_date,
        current_personas.persona_code,
        current_personas.persona_name_zh,
        current_personas.persona_name_en,
        current_personas.persona_confidence
    from current_personas
    cross join as_of
),

past_rows as (
    select
        features.person_id,
        features.as_of_date,
        coalesce(past_personas.persona_code, 'unscored') as persona_code,
        coalesce(past_personas.persona_name_zh, '未评分') as persona_name_zh,
        coalesce(past_personas.persona_name_en, 'Unscored') as persona_name_en,
        past_personas.persona_confidence
    from features
    left join past_personas
        on features.person_id = past_personas.person_id and features.as_of_date = past_personas.as_of_date
    where not features.is_current
),

unioned as (
    select * from current_rows
    union all
    select * from past_rows
),

final as (
    select
        person_id,
        as_of_date,
        'persona' as scheme,
        persona_code as segment_code,
        persona_name_zh as segment_name_zh,
        persona_name_en as segment_name_en,
        cast(persona_confidence as double) as score
    from unioned
)

select * from final
