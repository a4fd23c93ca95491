{# One row per campaign touch whose recipient resolves to a person (no PII): the
   campaign, the person, the channel, the group the touch was drawn into, whether it was
   sent, opened and clicked, and the person's outcome in the campaign's attribution
   window (`int_campaign__assignments`: the same for every touch of one person in one
   campaign). `is_analysed` is false for a person drawn into both groups. #}

with

touches as (
    select * from {{ ref('int_campaign__touches') }}
    where person_id is not null
),

assignments as (
    select * from {{ ref('int_campaign__assignments') }}
),

final as (
    select
        touches.touch_id,
        touches.campaign_id,
        touches.person_id,
        touches.channel,
        touches.assigned_group,
        touches.sent_at is not null as is_sent,
        touches.opened_at is not null as is_opened,
        touches.clicked_at is not null as is_clicked,
        {{ local_date('touches.sent_at') }} as sent_date,
        assignments.window_start_date,
        assignments.window_end_date,
        assignments.converted,
        assignments.orders_in_window,
        assignments.revenue_in_window,
        not assignments.is_conflicting as is_analysed
    from touches
    inner join assignments
        on
            touches.campaign_id = assignments.campaign_id
            and touches.person_id = assignments.person_id
)

select * from final
