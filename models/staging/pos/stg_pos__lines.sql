{{ config(materialized='view') }}
{# Receipt lines whose receipt is valid, one row per transaction and line number. #}
with

lines as (
    select * from {{ ref('base_pos__lines') }}
    where row_bucket = 'staged'
),

final as (
    select
        txn_id,
        line_no,
        sku,
        category_l1,
        category_l2,
        unit_price,
        quantity,
        line_amount,
        is_return,
        _source_file,
        _source_row
    from lines
)

select * from final
