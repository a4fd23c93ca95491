{# Campaign sends with the person behind the recipient (`int_campaign__touches`, where the
   recipient is looked up). Treatment sends only — control touches were never sent. One
   row per touch whose recipient resolves to a person. #}

with

touches as (
    select * from {{ ref('int_campaign__touches') }}
    where assigned_group = 'treatment' and sent_at is not null and person_id is not null
),

final as (
    select
        touch_id,
        person_id,
        campaign_id,
        channel,
        opened_at is not null as is_opened,
        clicked_at is not null as is_clicked,
        {{ local_date('sent_at') }} as sent_date,
        sent_at,
        opened_at,
        clicked_at
    from touches
)

select * from final
