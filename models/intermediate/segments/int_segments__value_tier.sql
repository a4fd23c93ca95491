{# Value-tier scheme by spend percentile: persons with net spend in the last 365 days
   are ranked by it, and the cumulative share of spenders at or above them (`score`,
   0-1, smaller is better) places them in `vip`, `high`, `medium` (cut-offs: var
   `portrait__value_tier_cutoffs`) or `low`; everyone else is `no_spend`. #}
{%- set cutoffs = var('portrait__value_tier_cutoffs') %}

with

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

spenders as (
    select
        person_id,
        cume_dist() over (order by spend_365d desc) as top_share
    from metrics
    where spend_365d > 0
),

final as (
    select
        metrics.person_id,
        'value_tier' as scheme,
        case
            when spenders.top_share is null then 'no_spend'
            when spenders.top_share <= {{ cutoffs['vip'] }} then 'vip'
            when spenders.top_share <= {{ cutoffs['high'] }} then 'high'
            when spenders.top_share <= {{ cutoffs['medium'] }} then 'medium'
            else 'low'
        end as segment_code,
        cast(spenders.top_share as double) as score
    from metrics
    left join spenders on metrics.person_id = spenders.person_id
)

select * from final
