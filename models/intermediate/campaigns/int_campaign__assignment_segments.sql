{# Each person assigned to a campaign, in every segment scheme, with their segment on the
   day before the campaign's window started (`int_segments__by_date`: every campaign's eve
   is an evaluation date), so a campaign cannot move the segments it is split by. A person
   not yet seen on that day is `not_seen`. Conflicting assignments are left out, as in
   the results. #}

with

assignments as (
    select * from {{ ref('int_campaign__assignments') }}
    where not is_conflicting
),

by_date as (
    select * from {{ ref('int_segments__by_date') }}
),

schemes as (
    {% for scheme in segment_schemes() -%}
        select '{{ scheme }}' as scheme
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        assignments.campaign_id,
        assignments.person_id,
        schemes.scheme,
        cast({{ dbt.dateadd('day', -1, 'assignments.window_start_date') }} as date) as segment_date,
        coalesce(by_date.segment_code, 'not_seen') as segment_code
    from assignments
    cross join schemes
    left join by_date
        on
            assignments.person_id = by_date.person_id
            and schemes.scheme = by_date.scheme
            and cast({{ dbt.dateadd('day', -1, 'assignments.window_start_date') }} as date) = by_date.as_of_date
)

select * from final
