{# Campaign sends with the person behind the recipient (the recipient is a send target:
   it never links identities, it is only looked up). Treatment sends only — control
   touches were never sent. One row per touch whose recipient resolves to a person. #}

with

touches as (
    select * from {{ ref('stg_marketing__campaign_touches') }}
    where assigned_group = 'treatment' and sent_at is not null
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

final as (
    select
        touches.touch_id,
        recipient_persons.person_id,
        touches.campaign_id,
        touches.channel,
        touches.opened_at is not null as is_opened,
        touches.clicked_at is not null as is_clicked,
        {{ local_date('touches.sent_at') }} as sent_date,
        touches.sent_at,
        touches.opened_at,
        touches.clicked_at
    from touches
    inner join person_map as recipient_persons
        on
            touches.recipient_type = recipient_persons.identifier_type
            and touches.recipient = recipient_persons.identifier_value
)

select * from final
