{# Value-tier scheme by spend percentile: persons with net spend in the last 365 days
   are ranked by it, and the cumulative share of spenders at or above them (`score`,
   0-1, smaller is better) places them in `vip`, `high`, `medium` (cut-offs: var
   `portrait__value_tier_cutoffs`) or `low`; everyone else is `no_spend`. On every
   evaluation date (`int_segments__as_of_dates`), each date's spenders ranked among
   themselves. #}
{%- set cutoffs = var('portrait__value_tier_cutoffs') %}

with

inputs as (
    select * from {{ ref('int_segments__inputs') }}
),

spenders as (
    select
        person_id,
        as_of_date,
        cume_dist() over (partition by as_of_date order by spend_365d desc) as top_share
    from inputs
    where spend_365d > 0
),

final as (
    select
        inputs.person_id,
        inputs.as_of_date,
        'value_tier' as scheme,
        case
            when spenders.top_share is null then 'no_spend'
            when spenders.top_share <= {{ cutoffs['vip'] }} then 'vip'
            when spenders.top_share <= {{ cutoffs['high'] }} then 'high'
            when spenders.top_share <= {{ cutoffs['medium'] }} then 'medium'
            else 'low'
        end as segment_code,
        cast(spenders.top_share as double) as score
    from inputs
    left join spenders on inputs.person_id = spenders.person_id and inputs.as_of_date = spenders.as_of_date
)

select * from final
