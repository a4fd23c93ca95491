{#- The keyed hash of an identifier whose type is a column, not a constant. Same value
    as `identifier_hash(type, value)` for every type. -#}
{% macro identifier_hash_by_type(type_expression, canonical_expression) -%}
    {{ return(adapter.dispatch('identifier_hash_by_type', 'portrait')(type_expression, canonical_expression)) }}
{%- endmacro %}
{% macro duckdb__identifier_hash_by_type(type_expression, canonical_expression) -%}
    case when {{ canonical_expression }} is not null
        then sha256({{ dbt.concat(["'" ~ hash_key() ~ "'", "':'", type_expression, "':'", canonical_expression]) }}) end
{%- endmacro %}
{% macro default__identifier_hash_by_type(type_expression, canonical_expression) -%}
    case when {{ canonical_expression }} is not null
        then sha2({{ dbt.concat(["'" ~ hash_key() ~ "'", "':'", type_expression, "':'", canonical_expression]) }}, 256) end
{%- endmacro %}

{#- Stable person id from the person's representative identifier: `p_` + 20 hex chars
    of a keyed hash (a different domain than identifier hashes, so the two never match). -#}
{% macro person_id_from(type_expression, value_expression) -%}
    {{ dbt.concat(["'p_'", "substr(" ~ identifier_hash_by_type(dbt.concat(["'person/'", type_expression]), value_expression) ~ ", 1, 20)"]) }}
{%- endmacro %}
