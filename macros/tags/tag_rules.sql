{#- Rule tags are declared, not hand-coded: `fct_person_tags` carries its rules in its
    YAML (`config.meta.tag_rules`), and these macros compile them into SQL over the
    person metrics. A rule is one of three types:

      flag    {tag_code, when}          carried with value 'true' where `when` holds
      value   {tag_code, value[, when]} carried with the text of `value` where `when`
                                        holds (default: where `value` is not NULL)
      bucket  {tag_code, cases: [{when, then}, ...]}
                                        carried with the first matching case's `then`
                                        (a plain label); no match, not carried

    `when` and `value` are SQL expressions over the columns of `int_person_metrics`. A
    name that is not one of its (documented) columns fails the compile with an error
    naming the tag. -#}

{#- The rules declared on the calling model (`config.meta.tag_rules`). Unit tests
    override this macro with rules of their own. -#}
{% macro declared_tag_rules() -%}
    {%- set meta = config.get('meta') -%}
    {{ return(meta.get('tag_rules', []) if meta is mapping else []) }}
{%- endmacro %}

{#- SQL words and functions a rule may use besides metric names. -#}
{% macro tag_rule_sql_words() -%}
    {{ return([
        'and', 'or', 'not', 'null', 'is', 'in', 'between', 'like', 'case', 'when', 'then',
        'else', 'end', 'true', 'false', 'distinct', 'coalesce', 'greatest', 'least', 'abs',
        'round', 'floor', 'ceil', 'cast', 'as', 'double', 'integer', 'bigint', 'varchar',
        'lower', 'upper', 'nullif',
    ]) }}
{%- endmacro %}

{#- The rule type of one rule (`flag`, `value`, `bucket`); a malformed rule fails the compile. -#}
{% macro tag_rule_type(rule) -%}
    {%- set code = rule.get('tag_code') -%}
    {%- if not code -%}
        {{ exceptions.raise_compiler_error("tag rule without tag_code: " ~ rule) }}
    {%- endif -%}
    {%- if rule.get('cases') is not none -%}
        {%- for case in rule['cases'] -%}
            {%- if case.get('when') is none or case.get('then') is none -%}
                {{ exceptions.raise_compiler_error("tag rule '" ~ code ~ "': every case needs `when` and `then`") }}
            {%- endif -%}
        {%- endfor -%}
        {{ return('bucket') }}
    {%- elif rule.get('value') is not none -%}
        {{ return('value') }}
    {%- elif rule.get('when') is not none -%}
        {{ return('flag') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("tag rule '" ~ code ~ "' needs `when`, `value` or `cases`") }}
    {%- endif -%}
{%- endmacro %}

{#- Every SQL expression of a rule. -#}
{% macro tag_rule_expressions(rule) -%}
    {%- set expressions = [] -%}
    {%- for key in ['when', 'value'] if rule.get(key) is not none -%}
        {%- do expressions.append(rule[key] | string) -%}
    {%- endfor -%}
    {%- for case in rule.get('cases') or [] -%}
        {%- do expressions.append(case['when'] | string) -%}
    {%- endfor -%}
    {{ return(expressions) }}
{%- endmacro %}

{#- Fail the compile, naming the tag, where a rule uses a name that is not a metric. -#}
{% macro check_tag_rule_names(rule, known_columns) -%}
    {%- set words = tag_rule_sql_words() -%}
    {%- for expression in tag_rule_expressions(rule) -%}
        {%- set without_strings = modules.re.sub("'[^']*'", ' ', expression) -%}
        {%- for name in modules.re.findall('[A-Za-z_][A-Za-z0-9_]*', without_strings) -%}
            {%- if name | lower not in words and name | lower not in known_columns -%}
                {{ exceptions.raise_compiler_error(
                    "tag rule '" ~ rule['tag_code'] ~ "' references unknown metric '" ~ name
                    ~ "' (not a documented column of int_person_metrics)") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}

{#- The documented columns of a model, lower-cased (compile time, from the graph). -#}
{% macro documented_columns(model_name) -%}
    {%- set columns = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
        {%- for column in node.columns -%}{%- do columns.append(column | lower) -%}{%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- The value of a rule as a SQL text expression, and the condition under which it is carried. -#}
{% macro tag_rule_value_sql(rule) -%}
    {%- set kind = tag_rule_type(rule) -%}
    {%- if kind == 'flag' -%}
        'true'
    {%- elif kind == 'value' -%}
        cast({{ rule['value'] }} as {{ dbt.type_string() }})
    {%- else -%}
        case
            {%- for case in rule['cases'] %}
            when {{ case['when'] }} then '{{ case["then"] | string | replace("'", "''") }}'
            {%- endfor %}
        end
    {%- endif -%}
{%- endmacro %}

{% macro tag_rule_condition_sql(rule) -%}
    {%- set kind = tag_rule_type(rule) -%}
    {%- if kind == 'flag' -%}
        coalesce({{ rule['when'] }}, false)
    {%- elif kind == 'value' -%}
        ({{ rule['value'] }}) is not null{% if rule.get('when') is not none %} and coalesce({{ rule['when'] }}, false){% endif %}
    {%- else -%}
        ({{ tag_rule_value_sql(rule) }}) is not null
    {%- endif -%}
{%- endmacro %}

{#- One `select` per rule over `metrics_cte`, `union all`-ed: person_id, tag_code, tag_value. -#}
{% macro compile_tag_rules(rules, metrics_cte, metrics_model='int_person_metrics') -%}
    {#- A unit test's macro override arrives as the text of the YAML list. -#}
    {%- if not execute -%}{{ return('select 1 as person_id') }}{%- endif -%}
    {%- if rules is string -%}{%- set rules = fromyaml(rules) -%}{%- endif -%}
    {%- if not rules -%}
        {{ exceptions.raise_compiler_error("compile_tag_rules: no tag rules declared (config.meta.tag_rules)") }}
    {%- endif -%}
    {%- if not is_unit_test() -%}
        {%- set known = documented_columns(metrics_model) -%}
        {%- set seen = [] -%}
        {%- for rule in rules -%}
            {%- if rule.get('tag_code') in seen -%}
                {{ exceptions.raise_compiler_error("tag rule '" ~ rule['tag_code'] ~ "' is declared twice") }}
            {%- endif -%}
            {%- do seen.append(rule.get('tag_code')) -%}
            {%- do check_tag_rule_names(rule, known) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for rule in rules %}
    select
        person_id,
        '{{ rule["tag_code"] }}' as tag_code,
        {{ tag_rule_value_sql(rule) }} as tag_value
    from {{ metrics_cte }}
    where {{ tag_rule_condition_sql(rule) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
