{# One row per person — the table a BI tool opens first: masked contact, demographics,
   key metrics, the current segment of every scheme, the person's most distinctive tags,
   how many identifiers of each type resolve to them, the channels they were seen in
   and when, and whether they may be contacted on each marketing channel
   (`int_privacy__consent`). No raw PII: contacts are masked, identifiers only counted. #}
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

{%- set key_metrics = [
    'gender', 'age_band', 'city', 'city_tier', 'is_member', 'orders_lifetime', 'spend_lifetime',
    'orders_365d', 'spend_365d', 'avg_order_value_lifetime', 'visit_days_30d', 'days_since_last_order',
    'days_since_last_visit', 'preferred_platform', 'preferred_daypart', 'shopping_channel_mix',
    'top_category_affinity', 'top_content_type_affinity', 'as_of_date',
] %}

with

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

segments as (
    select * from {{ ref('fct_person_segments') }}
),

person_tags as (
    select * from {{ ref('fct_person_tags') }}
),

tags as (
    select * from {{ ref('dim_tag') }}
),

ltv as (
    select * from {{ ref('int_predictions__ltv') }}
),

personas as (
    select * from {{ ref('int_predictions__persona') }}
),

churn as (
    select * from {{ ref('int_predictions__churn') }}
),

consent as (
    select * from {{ ref('int_privacy__consent') }}
),

latest_contacts as (
    select
        person_id,
        identifier_type,
        identifier_value,
        row_number() over (
            partition by person_id, identifier_type
            order by last_seen_at desc, supporting_rows desc, identifier_value asc
        ) as recency_rank
    from person_map
    where identifier_type in ('phone', 'email')
),

contacts as (
    select
        person_id,
        max(case when identifier_type = 'phone' then {{ mask_phone('identifier_value') }} end) as phone_masked,
        max(case when identifier_type = 'email' then {{ mask_email('identifier_value') }} end) as email_masked
    from latest_contacts
    where recency_rank = 1
    group by person_id
),

segments_pivoted as (
    select
        person_id,
        {% for scheme in segment_schemes() -%}
            max(case when scheme = '{{ scheme }}' then segment_code end) as {{ scheme }}_segment,
        {% endfor -%}
        max(case when scheme = 'rfm' then score end) as rfm_score
    from segments
    group by person_id
),

distinctive_tags as (
    select
        person_tags.person_id,
        {{ dbt.concat(['person_tags.tag_code', "'='", 'person_tags.tag_value']) }} as tag_label,
        row_number() over (
            partition by person_tags.person_id
            order by tags.persons_tagged, person_tags.tag_code
        ) as distinctiveness_rank
    from person_tags
    inner join tags on person_tags.tag_code = tags.tag_code
    where tags.kind != 'factual'
),

top_tags as (
    select
        person_id,
        {{ dbt.listagg('tag_label', "'; '", 'order by distinctiveness_rank') }} as top_tags
    from distinctive_tags
    where distinctiveness_rank <= 5
    group by person_id
),

consent_pivoted as (
    select
        {% for channel in consent_channels() -%}
            {{ dbt.bool_or("channel = '" ~ channel ~ "' and is_contactable") }} as is_contactable_{{ channel }},
            max(case when channel = '{{ channel }}' then not_contactable_reason end)
                as {{ channel }}_not_contactable_reason,
            max(case when channel = '{{ channel }}' then not_contactable_since end)
                as {{ channel }}_not_contactable_since,
        {% endfor -%}
        person_id
    from consent
    group by person_id
),

identifiers as (
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
),

final as (
    select
        identifiers.person_id,
        contacts.phone_masked,
        contacts.email_masked,
        {% for column in key_metrics -%}
            metrics.{{ column }},
        {% endfor -%}
        {#- the preferred platform in the orders' vocabulary (`fct_orders.platform`), to join on -#}
        case
            when metrics.preferred_platform in ('ios', 'android') then 'app'
            else metrics.preferred_platform
        end as preferred_order_platform,
        {% for scheme in segment_schemes() -%}
            segments_pivoted.{{ scheme }}_segment,
        {% endfor -%}
        segments_pivoted.rfm_score,
        coalesce(ltv.ltv_tier, 'unscored') as ltv_tier,
        ltv.expected_clv_12m,
        ltv.expected_purchases_365d,
        ltv.probability_alive,
        coalesce(churn.churn_risk_band, 'unscored') as churn_risk_band,
        churn.churn_probability,
        coalesce(personas.persona_name_zh, '未评分') as persona_name_zh,
        coalesce(personas.persona_name_en, 'Unscored') as persona_name_en,
        top_tags.top_tags,
        {% for type in types -%}
            identifiers.{{ type }}_count,
        {% endfor -%}
        identifiers.identifier_count,
        {% for channel in channels -%}
            identifiers.is_seen_in_{{ channel }},
        {% endfor -%}
        identifiers.first_seen_at,
        identifiers.last_seen_at,
        {% for channel in consent_channels() -%}
            consent_pivoted.is_contactable_{{ channel }},
            consent_pivoted.{{ channel }}_not_contactable_reason,
            consent_pivoted.{{ channel }}_not_contactable_since
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from identifiers
    left join contacts on identifiers.person_id = contacts.person_id
    left join metrics on identifiers.person_id = metrics.person_id
    left join segments_pivoted on identifiers.person_id = segments_pivoted.person_id
    left join top_tags on identifiers.person_id = top_tags.person_id
    left join ltv on identifiers.person_id = ltv.person_id
    left join personas on identifiers.person_id = personas.person_id
    left join churn on identifiers.person_id = churn.person_id
    left join consent_pivoted on identifiers.person_id = consent_pivoted.person_id
)

select * from final
