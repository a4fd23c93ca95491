{{ config(materialized='view') }}
{# Campaign sends, one row per touch id; control touches have no `sent_at`. #}
with

touches as (
    select * from {{ ref('base_marketing__campaign_touches') }}
    where row_bucket = 'staged'
),

final as (
    select
        touch_id,
        campaign_id,
        channel,
        recipient_type,
        recipient,
        assigned_group,
        {{ identifier_hash_of_type('recipient_type', 'recipient') }} as recipient_hash,
        is_recipient_placeholder,
        is_recipient_invalid,
        sent_at,
        opened_at,
        clicked_at,
        _source_file,
        _source_row
    from touches
)

select * from final
