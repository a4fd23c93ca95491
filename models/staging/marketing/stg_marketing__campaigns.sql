{{ config(materialized='view') }}
{# Marketing campaigns, one row per campaign id. #}
with

campaigns as (
    select * from {{ ref('base_marketing__campaigns') }}
    where row_bucket = 'staged'
),

final as (
    select
        campaign_id,
        campaign_name,
        objective,
        channel,
        start_at,
        end_at,
        _source_file,
        _source_row
    from campaigns
)

select * from final
