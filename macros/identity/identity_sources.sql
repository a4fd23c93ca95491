{#- Where identifiers live in the staged data, and which of them link people.
    Each entry: the staging model, the raw table it stages (`source_table`), the rule
    name edges get, the column holding the row's time (`seen_at`), the identifier
    columns (identifier type -> column; placeholder flag `is_<column>_placeholder`), and
    the pairs of identifier types that co-occurring in one row links. Tables with
    identifiers but no pairs (orders) only add identifiers. Never listed, on purpose:
    `shop_orders.ship_phone` (a gift's recipient) and `campaign_touches.recipient` (a
    send target). -#}
{% macro identity_sources() -%}
    {%- set app_types = ['device_id', 'anonymous_id', 'account_id', 'openid'] -%}
    {%- set app_pairs = [] -%}
    {%- for i in range(app_types | length) -%}
        {%- for j in range(i + 1, app_types | length) -%}
            {%- do app_pairs.append([app_types[i], app_types[j]]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return([
        {
            'model': 'stg_crm__members', 'source_table': 'crm_members', 'rule': 'crm_member',
            'seen_at': 'registered_at',
            'identifiers': {'member_id': 'member_id', 'phone': 'phone', 'email': 'email',
                            'card_no': 'card_no', 'unionid': 'unionid'},
            'pairs': [['member_id', 'phone'], ['member_id', 'email'], ['member_id', 'card_no'],
                      ['member_id', 'unionid']],
        },
        {
            'model': 'stg_shop__accounts', 'source_table': 'shop_accounts', 'rule': 'shop_account',
            'seen_at': 'created_at',
            'identifiers': {'account_id': 'account_id', 'phone': 'phone', 'email': 'email'},
            'pairs': [['account_id', 'phone'], ['account_id', 'email']],
        },
        {
            'model': 'stg_shop__orders', 'source_table': 'shop_orders', 'rule': 'shop_order',
            'seen_at': 'ordered_at',
            'identifiers': {'account_id': 'account_id'},
            'pairs': [],
        },
        {
            'model': 'stg_app__events', 'source_table': 'app_events', 'rule': 'app_event',
            'seen_at': 'event_at',
            'identifiers': {'device_id': 'device_id', 'anonymous_id': 'anonymous_id',
                            'account_id': 'account_id', 'openid': 'openid'},
            'pairs': app_pairs,
        },
        {
            'model': 'stg_wechat__users', 'source_table': 'wechat_users', 'rule': 'wechat_user',
            'seen_at': 'first_seen_at',
            'identifiers': {'openid': 'openid', 'unionid': 'unionid', 'phone': 'phone'},
            'pairs': [['openid', 'unionid'], ['openid', 'phone'], ['unionid', 'phone']],
        },
        {
            'model': 'stg_pos__transactions', 'source_table': 'pos_transactions', 'rule': 'pos_receipt',
            'seen_at': 'transacted_at',
            'identifiers': {'card_no': 'member_card_no', 'phone': 'phone'},
            'pairs': [['card_no', 'phone']],
        },
        {
            'model': 'stg_service__tickets', 'source_table': 'service_tickets', 'rule': 'service_ticket',
            'seen_at': 'created_at',
            'identifiers': {'phone': 'contact_phone', 'email': 'contact_email', 'account_id': 'account_id'},
            'pairs': [['phone', 'account_id'], ['email', 'account_id'], ['phone', 'email']],
        },
        {
            'model': 'stg_survey__responses', 'source_table': 'survey_responses', 'rule': 'survey_response',
            'seen_at': 'submitted_at',
            'identifiers': {'phone': 'phone', 'email': 'email'},
            'pairs': [['phone', 'email']],
        },
    ]) }}
{%- endmacro %}

{#- Identifier types whose links are weak evidence (shared screens, cookies): the
    conflict rule never lets them alone merge two CRM members with different phones. -#}
{% macro weak_identifier_types() -%}
    {{ return(var('portrait__weak_identifier_types', ['device_id', 'anonymous_id'])) }}
{%- endmacro %}
