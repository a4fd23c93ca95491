{# Every rule declared on fct_person_tags (meta.tag_rules) has a catalogue row of kind
   `rule` or `factual`, and every such catalogue row has exactly one rule: adding a tag
   means adding both. Fails with one row per disagreement. #}
{%- set rule_codes = [] %}
{%- if execute %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == 'fct_person_tags' %}
        {%- for rule in node.config.meta.get('tag_rules', []) %}
            {%- do rule_codes.append(rule['tag_code']) %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}

with

catalogue as (
    select * from {{ ref('tag_catalogue') }}
),

rules as (
    {% for code in rule_codes -%}
        select '{{ code }}' as tag_code
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

final as (
    select * from rules_without_catalogue_row
    union all
    select * from catalogue_rows_without_rule
)

select * from final
