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

final as (
    select
        all_tags.person_id,
        all_tags.tag_code,
        all_tags.tag_value,
        as_of.as_of_date
    from all_tags
    cross join as_of
)

select * from final
