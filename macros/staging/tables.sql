{#- The 13 raw tables staging reads: raw table name (`source_table` in the quarantine and
    the reconciliation), its dbt source and the base model holding its every row. A
    static list, so the models looping over it record their refs and sources at parse
    time. -#}
{% macro staging_tables() -%}
    {{ return([
        {'source_table': 'app_events', 'source_name': 'app', 'base_model': 'base_app__events'},
        {'source_table': 'campaign_touches', 'source_name': 'marketing', 'base_model': 'base_marketing__campaign_touches'},
        {'source_table': 'campaigns', 'source_name': 'marketing', 'base_model': 'base_marketing__campaigns'},
        {'source_table': 'crm_members', 'source_name': 'crm', 'base_model': 'base_crm__members'},
        {'source_table': 'pos_lines', 'source_name': 'pos', 'base_model': 'base_pos__lines'},
        {'source_table': 'pos_transactions', 'source_name': 'pos', 'base_model': 'base_pos__transactions'},
        {'source_table': 'privacy_requests', 'source_name': 'privacy', 'base_model': 'base_privacy__requests'},
        {'source_table': 'service_tickets', 'source_name': 'service', 'base_model': 'base_service__tickets'},
        {'source_table': 'shop_accounts', 'source_name': 'shop', 'base_model': 'base_shop__accounts'},
        {'source_table': 'shop_order_items', 'source_name': 'shop', 'base_model': 'base_shop__order_items'},
        {'source_table': 'shop_orders', 'source_name': 'shop', 'base_model': 'base_shop__orders'},
        {'source_table': 'survey_responses', 'source_name': 'survey', 'base_model': 'base_survey__responses'},
        {'source_table': 'wechat_users', 'source_name': 'wechat', 'base_model': 'base_wechat__users'},
    ]) }}
{%- endmacro %}

{#- Names of the four buckets, in precedence order. -#}
{% macro row_buckets() -%}
    {{ return(['erased', 'quarantined', 'duplicate', 'staged']) }}
{%- endmacro %}

{#- Quarantine reason codes (docs/raw_formats.md), in the order checks run
    (`invalid_identifier`, a record key given but breaking its type's pattern, and
    `missing_key` exclude each other). -#}
{% macro quarantine_reasons() -%}
    {{ return(['missing_key', 'invalid_identifier', 'unparseable_timestamp', 'future_timestamp',
               'unparseable_amount', 'absurd_amount', 'unmapped_enum', 'orphan_line']) }}
{%- endmacro %}
