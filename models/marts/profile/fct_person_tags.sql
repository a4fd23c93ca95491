{# The long tag table (interfaces.md): one row per person and tag the person carries,
   sparse. Rule and factual tags are compiled from the rules declared in this model's
   YAML (`meta.tag_rules`) by `compile_tag_rules`; predictive tags join when the Python
   models land. #}

with

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

rule_tags as (
    {{ compile_tag_rules(declared_tag_rules(), 'metrics') }}
),

final as (
    select
        rule_tags.person_id,
        rule_tags.tag_code,
        rule_tags.tag_value,
        as_of.as_of_date
    from rule_tags
    cross join as_of
)

select * from final
