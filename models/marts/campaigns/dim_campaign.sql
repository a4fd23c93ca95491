{# One row per campaign: what it was (name, objective, channel, run time), its
   attribution window and whether that window has closed by the as-of date, and who it
   reached: touches, touches whose recipient is nobody the warehouse knows, persons
   assigned to each group and persons assigned to both (left out of the results). #}

with

campaigns as (
    select * from {{ ref('stg_marketing__campaigns') }}
),

touches as (
    select * from {{ ref('int_campaign__touches') }}
),

assignments as (
    select * from {{ ref('int_campaign__assignments') }}
),

as_of as (
    select max(as_of_date) as as_of_date from {{ ref('int_profile__as_of_date') }}
),

touch_counts as (
    select
        campaign_id,
        count(*) as touches,
        count(*) filter (where person_id is null) as unresolved_touches
    from touches
    group by campaign_id
),

person_counts as (
    select
        campaign_id,
        min(window_start_date) as window_start_date,
        min(window_end_date) as window_end_date,
        count(*) filter (where assigned_group = 'treatment') as treatment_persons,
        count(*) filter (where assigned_group = 'control') as control_persons,
        count(*) filter (where is_conflicting) as conflicting_persons
    from assignments
    group by campaign_id
),

final as (
    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.objective,
        campaigns.channel,
        campaigns.start_at,
        campaigns.end_at,
        {{ local_date('campaigns.start_at') }} as start_date,
        {{ var('portrait__campaign_attribution_days') | int }} as attribution_days,
        cast({{ dbt.dateadd('day', (var('portrait__campaign_attribution_days') | int) - 1,
                            local_date('campaigns.start_at')) }} as date) as window_end_date,
        cast({{ dbt.dateadd('day', (var('portrait__campaign_attribution_days') | int) - 1,
                            local_date('campaigns.start_at')) }} as date) <= as_of.as_of_date as is_window_complete,
        coalesce(touch_counts.touches, 0) as touches,
        coalesce(touch_counts.unresolved_touches, 0) as unresolved_touches,
        coalesce(person_counts.treatment_persons, 0) as treatment_persons,
        coalesce(person_counts.control_persons, 0) as control_persons,
        coalesce(person_counts.conflicting_persons, 0) as conflicting_persons,
        as_of.as_of_date
    from campaigns
    cross join as_of
    left join touch_counts on campaigns.campaign_id = touch_counts.campaign_id
    left join person_counts on campaigns.campaign_id = person_counts.campaign_id
)

select * from final
