{#- Canonical identifier forms (interfaces.md, "Canonical identifier forms"). Every
    staging model normalises identifiers with these macros and nothing else, so an
    identifier has one spelling in the whole warehouse. -#}

{#- Phone: strip every space, dash, dot, bracket and `+`, then a leading `0086` or
    `86` country code; valid only as a mainland mobile `1[3-9]` + 9 digits, else NULL. -#}
{% macro normalise_phone(expression) -%}
    {%- set digits = regexp_replace_all(clean_text(expression), '[\\s\\-\\.\\(\\)\\+（）]', '') -%}
    {%- set national -%}
        case
            when {{ regexp_full_match(digits, '0086\\d{11}') }} then substr({{ digits }}, 5)
            when {{ regexp_full_match(digits, '86\\d{11}') }} then substr({{ digits }}, 3)
            else {{ digits }}
        end
    {%- endset -%}
    case when {{ regexp_full_match(national, '1[3-9]\\d{9}') }} then {{ national }} end
{%- endmacro %}

{#- E-mail: trimmed, lower case; NULL unless it looks like local@domain.tld. -#}
{% macro normalise_email(expression) -%}
    {%- set value = 'lower(' ~ clean_text(expression) ~ ')' -%}
    case when {{ regexp_full_match(value, "[a-z0-9!#$%&*+/=?^_`{|}~.\\-]+@[a-z0-9\\-]+(\\.[a-z0-9\\-]+)*\\.[a-z]{2,}") }}
        then {{ value }} end
{%- endmacro %}

{#- device_id, anonymous_id: trimmed, lower case. -#}
{% macro normalise_lowercase_id(expression) -%}
    lower({{ clean_text(expression) }})
{%- endmacro %}

{#- member_id, card_no, account_id, openid, unionid: trimmed, case kept (WeChat ids are case-sensitive). -#}
{% macro normalise_id(expression) -%}
    {{ clean_text(expression) }}
{%- endmacro %}

{#- Canonical form of an identifier of a given type (one of the nine). -#}
{% macro normalise_identifier(identifier_type, expression) -%}
    {%- if identifier_type == 'phone' -%}{{ normalise_phone(expression) }}
    {%- elif identifier_type == 'email' -%}{{ normalise_email(expression) }}
    {%- elif identifier_type in ('device_id', 'anonymous_id') -%}{{ normalise_lowercase_id(expression) }}
    {%- elif identifier_type in ('member_id', 'card_no', 'account_id', 'openid', 'unionid') -%}{{ normalise_id(expression) }}
    {%- else -%}{{ exceptions.raise_compiler_error("normalise_identifier: unknown identifier type '" ~ identifier_type ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- True when a canonical identifier is a placeholder that must never link people
    (seed `placeholder_identifiers`: exact values and regular expressions, per type or
    for every type `*`). The seed is read at compile time and inlined, so the check is
    a cheap expression on every row; the calling model must depend on the seed
    (`-- depends_on: {{ ref('placeholder_identifiers') }}`). -#}
{% macro is_placeholder(identifier_type, canonical_expression) -%}
    {%- set rules = placeholder_rules() -%}
    {%- set values = [] -%}
    {%- set patterns = [] -%}
    {%- for rule in rules if rule['identifier_type'] in (identifier_type, '*') -%}
        {%- if rule['match_kind'] == 'value' -%}{%- do values.append(rule['value']) -%}
        {%- else -%}{%- do patterns.append(rule['value']) -%}{%- endif -%}
    {%- endfor -%}
    coalesce(
        {%- if values %} lower({{ canonical_expression }}) in ({% for v in values %}'{{ v | lower | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}){% else %} false{% endif %}
        {%- for p in patterns %} or {{ regexp_full_match('lower(' ~ canonical_expression ~ ')', p | replace("'", "''")) }}{% endfor %},
        false
    )
{%- endmacro %}

{#- Rows of the seed `placeholder_identifiers`, read once per compiled node. -#}
{% macro placeholder_rules() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set relation = ref('placeholder_identifiers') -%}
    {%- set result = run_query("select identifier_type, match_kind, value from " ~ relation) -%}
    {%- set rules = [] -%}
    {%- for row in result.rows -%}
        {%- do rules.append({'identifier_type': row[0], 'match_kind': row[1], 'value': row[2]}) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{#- Keyed hash of a canonical identifier: sha256 over the secret `PORTRAIT_HASH_KEY`,
    the type and the value. A bare sha256 of an 11-digit phone is reversible by
    enumeration; without the key it is not. -#}
{% macro identifier_hash(identifier_type, canonical_expression) -%}
    {{ return(adapter.dispatch('identifier_hash', 'portrait')(identifier_type, canonical_expression)) }}
{%- endmacro %}
{% macro default__identifier_hash(identifier_type, canonical_expression) -%}
    case when {{ canonical_expression }} is not null
        then sha2({{ dbt.concat(["'" ~ hash_key() ~ "'", "':" ~ identifier_type ~ ":'", canonical_expression]) }}, 256) end
{%- endmacro %}
{% macro duckdb__identifier_hash(identifier_type, canonical_expression) -%}
    case when {{ canonical_expression }} is not null
        then sha256({{ dbt.concat(["'" ~ hash_key() ~ "'", "':" ~ identifier_type ~ ":'", canonical_expression]) }}) end
{%- endmacro %}

{#- The hash key. Required: `make demo`/`portrait` read it from the git-ignored key file. -#}
{% macro hash_key() -%}
    {%- set key = env_var('PORTRAIT_HASH_KEY', '') -%}
    {%- if execute and key | length < 16 -%}
        {{ exceptions.raise_compiler_error("PORTRAIT_HASH_KEY is not set (or shorter than 16 characters). Run through `make`/`portrait`, which read the key file .portrait_hash_key, or export PORTRAIT_HASH_KEY=$(cat .portrait_hash_key).") }}
    {%- endif -%}
    {{- key | replace("'", "''") -}}
{%- endmacro %}

{#- Masked display forms for marts: `138****8000`, `z***@qq.com`. -#}
{% macro mask_phone(canonical_expression) -%}
    case when {{ canonical_expression }} is not null
        then {{ dbt.concat(['substr(' ~ canonical_expression ~ ', 1, 3)', "'****'", dbt.right(canonical_expression, '4')]) }} end
{%- endmacro %}
{% macro mask_email(canonical_expression) -%}
    case when {{ canonical_expression }} is not null
        then {{ dbt.concat(['substr(' ~ canonical_expression ~ ', 1, 1)', "'***@'", dbt.split_part(canonical_expression, "'@'", 2)]) }} end
{%- endmacro %}
