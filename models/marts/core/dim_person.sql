{# One row per person: how many identifiers of each type resolve to them, the channels
   they were seen in, and when. Profile columns (metrics, segments, tags, consent) join
   here as they land. #}
{%- set types = identifier_types() %}
{%- set channels = {
    'crm': ['crm_members'],
    'online_shop': ['shop_accounts', 'shop_orders'],
    'app': ['app_events'],
    'wechat': ['wechat_users'],
    'store': ['pos_transactions'],
    'service': ['service_tickets'],
    'survey': ['survey_responses'],
} %}

with

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

final as (
    select
        person_id,
        {% for type in types -%}
            count(case when identifier_type = '{{ type }}' then 1 end) as {{ type }}_count,
        {% endfor -%}
        count(*) as identifier_count,
        {% for channel, tables in channels.items() -%}
            {%- set seen = [] -%}
            {%- for table in tables -%}
                {%- do seen.append("source_tables like '%" ~ table ~ "%'") -%}
            {%- endfor -%}
            {{ dbt.bool_or(seen | join(' or ')) }} as is_seen_in_{{ channel }},
        {% endfor -%}
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from person_map
    group by person_id
)

select * from final
