{# Every rule declared on fct_person_tags (meta.tag_rules) has a catalogue row of kind
   `rule` or `factual`, and every such catalogue row has exactly one rule: adding a tag
   means adding both. The value type agrees with the rule type: flag rules are `boolean`,
   bucket rules `label`, value rules `label` or `text`. Fails with one row per
   disagreement. #}
{%- set rules = [] %}
{%- if execute %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == 'fct_person_tags' %}
        {%- for rule in node.config.meta.get('tag_rules', []) %}
            {%- do rules.append((rule['tag_code'], tag_rule_type(rule))) %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}

with

catalogue as (
    select * from {{ ref('tag_catalogue') }}
),

rules as (
    {% for code, rule_type in rules -%}
        select
            '{{ code }}' as tag_code,
            '{{ rule_type }}' as rule_type
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rules_without_catalogue_row as (
    select
        rules.tag_code,
        'rule has no catalogue row of kind rule/factual' as problem
    from rules
    left join catalogue
        on rules.tag_code = catalogue.tag_code and catalogue.kind in ('rule', 'factual')
    where catalogue.tag_code is null
),

catalogue_rows_without_rule as (
    select
        catalogue.tag_code,
        'catalogue row of kind rule/factual has no rule' as problem
    from catalogue
    left join rules on catalogue.tag_code = rules.tag_code
    where catalogue.kind in ('rule', 'factual') and rules.tag_code is null
),

value_types_disagreeing as (
    select
        rules.tag_code,
        {{ dbt.concat(["'a '", 'rules.rule_type', "' rule with value type '", 'catalogue.value_type']) }} as problem
    from rules
    inner join catalogue on rules.tag_code = catalogue.tag_code
    where
        not (rules.rule_type = 'flag' and catalogue.value_type = 'boolean')
        and not (rules.rule_type = 'bucket' and catalogue.value_type = 'label')
        and not (rules.rule_type = 'value' and catalogue.value_type in ('label', 'text'))
),

final as (
    select * from rules_without_catalogue_row
    union all
    select * from catalogue_rows_without_rule
    union all
    select * from value_types_disagreeing
)

select * from final
