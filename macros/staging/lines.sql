{#- The base model of a line table (`shop_order_items`, `pos_lines`): same columns,
    same checks, keyed by the parent's key + `line_no`. Lines arrive with their parent,
    so they have no arrival column (file name and row position order re-deliveries),
    and a line whose parent has no valid row (quarantined or absent) is an orphan. The
    lines of an erased parent are erased with it (the same request).
    Negative quantities are returns and valid. -#}
{% macro base_lines(source_name, table_name, parent_model, parent_key) -%}
with

source as (
    {{ raw_source(source_name, table_name) }}
),

valid_parents as (
    select {{ parent_key }} from {{ ref(parent_model) }}
    where row_bucket = 'staged'
),

erased_parents as (
    select
        {{ parent_key }},
        min(erasure_request_id) as erasure_request_id
    from {{ ref(parent_model) }}
    where row_bucket = 'erased' and {{ parent_key }} is not null
    group by {{ parent_key }}
),

parsed as (
    select
        source.*,
        {{ normalise_id('raw_' ~ parent_key) }} as {{ parent_key }},
        {{ parse_integer('raw_line_no') }} as line_no,
        {{ clean_text('raw_sku') }} as sku,
        {{ clean_text('raw_category_l1') }} as category_l1,
        {{ clean_text('raw_category_l2') }} as category_l2,
        {{ parse_amount('raw_unit_price') }} as unit_price,
        {{ parse_integer('raw_quantity') }} as quantity
    from source
),

checked as (
    select
        parsed.*,
        {{ quarantine_reason([
            (any_missing(['parsed.' ~ parent_key, 'line_no']), 'missing_key'),
            (any_missing(['unit_price', 'quantity']), 'unparseable_amount'),
            (any_absurd_amount(['unit_price', 'unit_price * quantity']), 'absurd_amount'),
            ('valid_parents.' ~ parent_key ~ ' is null', 'orphan_line'),
        ]) }} as quarantine_reason,
        erased_parents.erasure_request_id as parent_erasure_request_id
    from parsed
    left join valid_parents
        on parsed.{{ parent_key }} = valid_parents.{{ parent_key }}
    left join erased_parents
        on parsed.{{ parent_key }} = erased_parents.{{ parent_key }}
),

typed_rows as (
    select
        {{ parent_key }},
        line_no,
        sku,
        category_l1,
        category_l2,
        unit_price,
        quantity,
        unit_price * quantity as line_amount,
        (quantity < 0) as is_return,
        {{ bucket_columns(source_name, table_name, none, raw_composite_key(['raw_' ~ parent_key, 'raw_line_no']),
                          erasure_request_id='parent_erasure_request_id') }}
    from checked
),

{{ bucketed_rows('typed_rows', [parent_key, 'line_no']) }}

select * from final
{%- endmacro %}
