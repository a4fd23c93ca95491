{#- Stable person id from the person's representative identifier: `p_` + 20 hex chars
    of a keyed hash over a `person/<type>` domain (never equal to an identifier hash). -#}
{% macro person_id_from(type_expression, value_expression, key=none) -%}
    {{ dbt.concat(["'p_'", "substr(" ~ identifier_hash_of_type(dbt.concat(["'person/'", type_expression]), value_expression, key) ~ ", 1, 20)"]) }}
{%- endmacro %}
