{# Every staged campaign touch with the person its recipient resolves to (NULL when the
   warehouse knows no one by it). A recipient is a send target: it is looked up in the
   identity map, never used to link identities. The one place this lookup is written:
   assignments, the touch mart, the campaign counts and the person metrics' sends all
   read it. #}

with

touches as (
    select * from {{ ref('stg_marketing__campaign_touches') }}
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

final as (
    select
        touches.touch_id,
        touches.campaign_id,
        touches.channel,
        touches.assigned_group,
        recipients.person_id,
        touches.sent_at,
        touches.opened_at,
        touches.clicked_at
    from touches
    left join person_map as recipients
        on
            touches.recipient_type = recipients.identifier_type
            and touches.recipient = recipients.identifier_value
)

select * from final
