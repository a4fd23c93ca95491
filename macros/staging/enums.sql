{#- Canonical codes of every enum and the raw spellings that map to them
    (docs/raw_formats.md). Models map with `map_enum(column, enum_mapping('name'))`;
    schema tests read the same lists through `enum_values('name')`. -#}
{% macro enum_mappings() -%}
    {{ return({
        'gender': {
            'male': ['1', '男', 'm', 'male', '男性'],
            'female': ['2', '女', 'f', 'female', '女性'],
            'unknown': ['0', '9', 'u', 'unknown', '未知'],
        },
        'register_channel': {
            'store': ['pos', 'offline'],
            'web': ['pc', 'h5'],
            'app': [],
            'miniprogram': ['mini_program', 'mini-program', 'wechat_mp'],
            'wechat_oa': ['wechat', 'official_account'],
        },
        'order_status': {
            'paid': [], 'shipped': [], 'completed': ['complete'],
            'refunded': [], 'cancelled': ['canceled'],
        },
        'order_platform': {
            'web': ['pc', 'h5'], 'app': ['ios', 'android'],
            'miniprogram': ['mini_program', 'mini-program'],
        },
        'event_platform': {
            'web': ['pc', 'h5'], 'ios': [], 'android': [],
            'miniprogram': ['mini_program', 'mini-program'],
        },
        'event_name': {
            'page_view': ['pageview'], 'product_view': [], 'search': [], 'add_to_cart': [],
            'favorite': ['favourite'], 'share': [], 'login': [], 'register': ['signup'],
            'checkout': [], 'video_play': [], 'content_like': [], 'push_open': [],
        },
        'ticket_channel': {
            'phone': ['hotline'], 'online_chat': ['chat', 'online'], 'email': [],
            'wechat': [], 'app': [],
        },
        'ticket_category': {
            'inquiry': ['enquiry'], 'complaint': [], 'return': ['returns'], 'logistics': ['delivery'],
            'invoice': [], 'other': [],
        },
        'contact_channel': {'sms': [], 'push': [], 'email': [], 'wechat': []},
        'recipient_type': {
            'phone': [], 'email': [], 'device_id': [], 'openid': [], 'account_id': [],
        },
        'assigned_group': {'treatment': [], 'control': []},
        'campaign_objective': {
            'acquisition': [], 'activation': [], 'retention': [], 'winback': ['win_back'], 'awareness': [],
        },
        'payment_method': {
            'cash': [], 'card': ['bank_card'], 'wechat_pay': ['wechatpay', 'wxpay'],
            'alipay': [], 'unionpay': ['union_pay'],
        },
        'request_type': {'marketing_opt_out': ['opt_out'], 'marketing_opt_in': ['opt_in'], 'erasure': []},
        'identifier_type': {
            'member_id': [], 'card_no': ['member_card_no'], 'account_id': [], 'phone': ['mobile'],
            'email': [], 'device_id': [], 'anonymous_id': [], 'openid': [], 'unionid': [],
        },
        'age_band': {'<18': [], '18-24': [], '25-34': [], '35-44': [], '45-54': [], '55+': []},
        'income_band': {'low': [], 'mid': ['middle'], 'high': []},
    }) }}
{%- endmacro %}

{% macro enum_mapping(name) -%}
    {%- set mappings = enum_mappings() -%}
    {%- if name not in mappings -%}
        {{ exceptions.raise_compiler_error("enum_mapping: no mapping named '" ~ name ~ "'") }}
    {%- endif -%}
    {{ return(mappings[name]) }}
{%- endmacro %}

{% macro enum_values(name) -%}
    {{ return(enum_mapping(name).keys() | list) }}
{%- endmacro %}
