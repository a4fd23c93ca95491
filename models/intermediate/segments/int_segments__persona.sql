{# Persona scheme: the persona cluster of each person from the Python models
   (`int_predictions__persona`), with the names the model derived from its centroids;
   `unscored` for persons with too little behaviour to profile. `score` is the
   assignment's confidence (0-1, higher is clearer). #}

with

personas as (
    select * from {{ ref('int_predictions__persona') }}
),

final as (
    select
        person_id,
        'persona' as scheme,
        persona_code as segment_code,
        persona_name_zh as segment_name_zh,
        persona_name_en as segment_name_en,
        cast(persona_confidence as double) as score
    from personas
)

select * from final
