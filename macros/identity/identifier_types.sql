{#- The nine identifier types (raw contract), in the order used for tie-breaks. -#}
{% macro identifier_types() -%}
    {{ return(['member_id', 'card_no', 'account_id', 'unionid', 'openid', 'phone', 'email', 'device_id', 'anonymous_id']) }}
{%- endmacro %}
