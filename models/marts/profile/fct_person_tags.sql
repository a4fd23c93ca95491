{# The long tag table (interfaces.md): one row per person and tag the person carries,
   sparse. Rule and factual tags are compiled from the rules declared in this model's
   YAML (`meta.tag_rules`) by `compile_tag_rules`; predictive tags come from the Python
   models, with an explicit `unscored` for persons a model cannot score. #}

with

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

predictive_tags as (
    select
        metrics.person_id,
        'ltv_tier' as tag_code,
        coalesce(ltv.ltv_tier, 'unscored') as tag_value
    from metrics
    left join ltv on metrics.person_id = ltv.person_id
    union all
    select
        metrics.person_id,
        'persona' as tag_code,
        coalesce(personas.persona_code, 'unscored') as tag_value
    from metrics
    left join personas on metrics.person_id = personas.person_id
    union all
    select
        metrics.person_id,
        'churn_risk_band' as tag_code,
        coalesce(churn.churn_risk_band, 'unscored') as tag_value
    from metrics
    left join churn on metrics.person_id = churn.person_id
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
