{# The long tag table (docs/contracts.md): one row per person and tag the person carries,
   sparse. Rule and factual tags are compiled from the rules declared in this model's
   YAML (`meta.tag_rules`) by `compile_tag_rules`; predictive tags come from the Python
   models, with an explicit `unscored` for persons a model cannot score. #}

with

-- built after the suppression list, so that its snapshot can erase history (erase_from_history):
-- depends_on: {{ ref('privacy_suppression_list') }}

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
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

rule_tags as (
    {{ compile_tag_rules(declared_tag_rules(), 'metrics') }}
),

{#- predictive tag code: (CTE of the Python model's output, its column) #}
{%- set predictive = {
    'ltv_tier': ('ltv', 'ltv_tier'),
    'persona': ('personas', 'persona_code'),
    'churn_risk_band': ('churn', 'churn_risk_band'),
} %}

predictive_tags as (
    {% for tag_code, (source, column) in predictive.items() -%}
        select
            metrics.person_id,
            '{{ tag_code }}' as tag_code,
            coalesce({{ source }}.{{ column }}, 'unscored') as tag_value
        from metrics
        left join {{ source }} on metrics.person_id = {{ source }}.person_id
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

all_tags as (
    select * from rule_tags
    union all
    select * from predictive_tags
),

catalogue as (
    select * from {{ ref('tag_catalogue') }}
),

value_labels as (
    select * from {{ ref('tag_value_labels') }}
),

cities as (
    select * from {{ ref('city_tiers') }}
),

{# Display names of each value: yes/no tags 是/Yes, cities from `city_tiers`, personas
   from the persona model, label values from the seed `tag_value_labels`; a value with
   no name (free text) shows as itself. #}

final as (
    select
        all_tags.person_id,
        all_tags.tag_code,
        all_tags.tag_value,
        case
            when catalogue.value_type = 'boolean' then '是'
            when all_tags.tag_code = 'city' then all_tags.tag_value
            when all_tags.tag_code = 'persona'
                then coalesce(personas.persona_name_zh, value_labels.value_name_zh, all_tags.tag_value)
            else coalesce(value_labels.value_name_zh, all_tags.tag_value)
        end as tag_value_name_zh,
        case
            when catalogue.value_type = 'boolean' then 'Yes'
            when all_tags.tag_code = 'city' then coalesce(cities.city_en, all_tags.tag_value)
            when all_tags.tag_code = 'persona'
                then coalesce(personas.persona_name_en, value_labels.value_name_en, all_tags.tag_value)
            else coalesce(value_labels.value_name_en, all_tags.tag_value)
        end as tag_value_name_en,
        case when catalogue.value_type = 'boolean' then all_tags.tag_value = 'true' end as tag_value_boolean,
        as_of.as_of_date
    from all_tags
    cross join as_of
    left join catalogue on all_tags.tag_code = catalogue.tag_code
    left join value_labels
        on all_tags.tag_code = value_labels.tag_code and all_tags.tag_value = value_labels.tag_value
    left join cities on all_tags.tag_code = 'city' and all_tags.tag_value = cities.city
    left join personas on all_tags.tag_code = 'persona' and all_tags.person_id = personas.person_id
)

select * from final
