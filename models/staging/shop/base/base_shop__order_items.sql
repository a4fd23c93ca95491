{# Every raw order line, parsed, in exactly one bucket; a line whose order has no valid
   row is an orphan (macro `base_lines`, shared with POS lines). #}
{{ base_lines('shop', 'shop_order_items', parent_model='base_shop__orders', parent_key='order_id') }}
