{# One row per person and segment scheme (docs/contracts.md): the person's current segment
   with its Chinese and English names and the scheme's score. Every person has exactly
   one row per scheme; persons a scheme cannot score get an explicit segment
   (`no_purchase`, `prospect`, `no_spend`, `unscored`). The as-of date's rows of
   `int_segments__by_date`, which also gives the history (`fct_person_segment_history`). #}

with

by_date as (
    select * from {{ ref('int_segments__by_date') }}
),

final as (
    select
        person_id,
        scheme,
        segment_code,
        segment_name_zh,
        segment_name_en,
        score,
        as_of_date
    from by_date
    where is_current
)

select * from final
