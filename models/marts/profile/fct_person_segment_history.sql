{# Every person's segment in every scheme over time, one row per person, scheme and
   period in one segment (docs/segments.md). Built from the raw history on each build
   (`int_segments__by_date`): the segments are evaluated on month ends, on the day before
   each campaign started and on the as-of date, and a period runs from the first
   evaluation date in a segment (`valid_from`) to the first date in another (`valid_to`,
   exclusive; null while current). The segment on a date D is the row with
   `valid_from <= D and (valid_to > D or valid_to is null)`: that of the last evaluation
   date on or before D. #}

with

by_date as (
    select * from {{ ref('int_segments__by_date') }}
),

changes as (
    select
        *,
        lag(segment_code) over (partition by person_id, scheme order by as_of_date) as previous_segment_code
    from by_date
),

starts as (
    select *
    from changes
    where previous_segment_code is null or previous_segment_code <> segment_code
),

periods as (
    select
        person_id,
        scheme,
        segment_code,
        segment_name_zh,
        segment_name_en,
        as_of_date as valid_from,
        lead(as_of_date) over (partition by person_id, scheme order by as_of_date) as valid_to,
        previous_segment_code
    from starts
),

final as (
    select
        person_id,
        scheme,
        segment_code,
        segment_name_zh,
        segment_name_en,
        valid_from,
        valid_to,
        valid_to is null as is_current,
        previous_segment_code
    from periods
)

select * from final
