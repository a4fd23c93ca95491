{#- Marketing consent (models/intermediate/privacy/int_privacy__consent.sql): the
    channels, and for each the identifier types that can carry it (`usable`) and the
    identifier types whose opt-out blocks it (`opt_out`). An opt-out on a member id or
    card number speaks for the whole person (`consent_all_channel_types`). -#}
{% macro consent_channels() -%}
    {{ return({
        'sms': {'usable': ['phone'], 'opt_out': ['phone']},
        'email': {'usable': ['email'], 'opt_out': ['email']},
        'push': {'usable': ['account_id', 'device_id'], 'opt_out': ['account_id', 'device_id']},
        'wechat': {'usable': ['openid'], 'opt_out': ['openid', 'unionid']},
        'ads': {'usable': ['phone', 'email'], 'opt_out': ['phone', 'email']},
    }) }}
{%- endmacro %}

{#- Identifier types whose opt-out blocks every channel. -#}
{% macro consent_all_channel_types() -%}
    {{ return(['member_id', 'card_no']) }}
{%- endmacro %}

{#- Why a person cannot be contacted on a channel, in order of precedence. -#}
{% macro consent_not_contactable_reasons() -%}
    {{ return(['no_identifier', 'opted_out', 'not_subscribed']) }}
{%- endmacro %}
