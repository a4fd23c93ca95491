{#- Canonical identifier forms (docs/contracts.md, "Canonical identifier forms"). Every
    staging model normalises identifiers with these macros and nothing else, so an
    identifier has one spelling in the whole warehouse. -#}

{#- Phone: strip every space (also full-width), dash, dot and bracket, then a leading
    `+86`, `86` or `0086` country code; valid only as a mainland mobile `1[3-9]` + 9
    digits, else NULL. A `+` followed by another country code is not a mainland mobile.
    A phone written as a float (digits then `.0`, e.g. `13912341111.0`: pandas writes a
    phone column with gaps as DOUBLE, which DuckDB renders so below 1e16) is read as its
    digits first; any other `.` is a separator as before. One replace and one extracting
    match per value (the float check is a LIKE; its replace runs only on `%.0` values). -#}
{% macro normalise_phone(expression) -%}
    {%- set text = clean_text(expression) -%}
    {%- set digits = "case when " ~ text ~ " like '%.0' then "
        ~ regexp_replace_all(text, '^([0-9]+)[.]0$', '\\1') ~ " else " ~ text ~ " end" -%}
    {%- set compact = regexp_replace_all(digits, '[\\s\\pZ\\-\\.\\(\\)（）]', '') -%}
    {{ regexp_extract_group(compact, '(?:\\+?86|0086)?(1[3-9]\\d{9})') }}
{%- endmacro %}

{#- E-mail: trimmed, lower case; NULL unless it looks like local@domain.tld. -#}
{% macro normalise_email(expression) -%}
    {{ regexp_extract_group('lower(' ~ clean_text(expression) ~ ')', "([a-z0-9!#$%&*+/=?^_`{|}~.\\-]+@[a-z0-9\\-]+(?:\\.[a-z0-9\\-]+)*\\.[a-z]{2,})") }}
{%- endmacro %}

{#- The documented pattern of each record-key identifier type (docs/raw_formats.md,
    "Identifier patterns"), matched against the whole canonical value. Deliberately a
    character set and a length, not one source system's numbering (`M` + 8 digits):
    letters, digits, `-` and `_` (device and anonymous ids, lower-cased: also `.` and
    `:`), at most 64 characters (128 for device and anonymous ids); member, card and
    account numbers start with a letter or digit. Every value the generator writes
    matches; quotes, semicolons, spaces, slashes, control characters do not. A value that
    breaks it is invalid like a bad phone: NULL (never linked, hashed or erased by), with
    `is_<column>_invalid`. -#}
{% macro identifier_pattern(identifier_type) -%}
    {%- set patterns = {
        'member_id': '[0-9A-Za-z][0-9A-Za-z_-]{0,63}',
        'card_no': '[0-9A-Za-z][0-9A-Za-z_-]{0,63}',
        'account_id': '[0-9A-Za-z][0-9A-Za-z_-]{0,63}',
        'openid': '[0-9A-Za-z_-]{1,64}',
        'unionid': '[0-9A-Za-z_-]{1,64}',
        'device_id': '[0-9a-z][0-9a-z._:-]{0,127}',
        'anonymous_id': '[0-9a-z][0-9a-z._:-]{0,127}',
    } -%}
    {%- if identifier_type not in patterns -%}
        {{ exceptions.raise_compiler_error("identifier_pattern: no pattern for identifier type '" ~ identifier_type ~ "'") }}
    {%- endif -%}
    {{ return(patterns[identifier_type]) }}
{%- endmacro %}

{#- The canonical value of a typed identifier, NULL unless it matches the type's pattern.
    `canonical` maps a text expression to the canonical form (trimmed: itself; device and
    anonymous ids: lower case). A value is tried trimmed first: one that matches the
    pattern holds no control character, so `clean_text` would give the same; only a value
    that failed is cleaned and tried again. A valid value costs one regular expression. -#}
{% macro valid_identifier(identifier_type, expression, lowercase=false) -%}
    {%- set pattern = identifier_pattern(identifier_type) -%}
    {%- set fast = trimmed_text(expression) -%}
    {%- set slow = clean_text(expression) -%}
    {%- if lowercase -%}{%- set fast = 'lower(' ~ fast ~ ')' -%}{%- set slow = 'lower(' ~ slow ~ ')' -%}{%- endif -%}
    case
        when {{ regexp_full_match(fast, pattern) }} then {{ fast }}
        when {{ regexp_full_match(slow, pattern) }} then {{ slow }}
    end
{%- endmacro %}

{#- device_id, anonymous_id: trimmed, lower case. With `identifier_type`: NULL unless the
    value matches the type's pattern (without: a plain key, e.g. `event_id`). -#}
{% macro normalise_lowercase_id(expression, identifier_type=none) -%}
    {%- if identifier_type is none -%}lower({{ clean_text(expression) }})
    {%- else -%}{{ valid_identifier(identifier_type, expression, lowercase=true) }}{%- endif -%}
{%- endmacro %}

{#- member_id, card_no, account_id, openid, unionid: trimmed, case kept (WeChat ids are
    case-sensitive). With `identifier_type`: NULL unless the value matches the type's
    pattern (without: a plain key, e.g. `order_id`, `txn_id`). A number written as a
    float (`12345.0`) is not read back as a member, card or account number: a float has
    lost any leading zeros, so it could name another id; it is invalid. -#}
{% macro normalise_id(expression, identifier_type=none) -%}
    {%- if identifier_type is none -%}{{ clean_text(expression) }}
    {%- else -%}{{ valid_identifier(identifier_type, expression) }}{%- endif -%}
{%- endmacro %}

{#- Canonical form of an identifier of a given type (one of the nine). -#}
{% macro normalise_identifier(identifier_type, expression) -%}
    {%- if identifier_type == 'phone' -%}{{ normalise_phone(expression) }}
    {%- elif identifier_type == 'email' -%}{{ normalise_email(expression) }}
    {%- elif identifier_type in ('device_id', 'anonymous_id') -%}{{ normalise_lowercase_id(expression, identifier_type) }}
    {%- elif identifier_type in ('member_id', 'card_no', 'account_id', 'openid', 'unionid') -%}{{ normalise_id(expression, identifier_type) }}
    {%- else -%}{{ exceptions.raise_compiler_error("normalise_identifier: unknown identifier type '" ~ identifier_type ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- Canonical form of an identifier whose type is itself a column (`privacy_requests`,
    `campaign_touches`): `type_expression` is SQL giving one of the nine type names. -#}
{% macro normalise_identifier_of_type(type_expression, expression) -%}
    case {{ type_expression }}
    {%- for identifier_type in enum_values('identifier_type') %}
        when '{{ identifier_type }}' then {{ normalise_identifier(identifier_type, expression) }}
    {%- endfor %}
    end
{%- endmacro %}

{#- True when a canonical identifier is a placeholder that must never link people
    (seed `placeholder_identifiers`: exact values and regular expressions, per type or
    for every type `*`). The seed is read at compile time and inlined, so the check is
    a cheap expression on every row (one IN list and at most one regular expression);
    the calling model must depend on the seed (`{{ depends_on_placeholder_identifiers() }}`). -#}
{% macro is_placeholder(identifier_type, canonical_expression) -%}
    {%- set values = [] -%}
    {%- set patterns = [] -%}
    {%- for rule in placeholder_rules() if rule['identifier_type'] in (identifier_type, '*') -%}
        {%- if rule['match_kind'] == 'value' -%}{%- do values.append(rule['value'] | lower | replace("'", "''")) -%}
        {%- else -%}{%- do patterns.append('(?:' ~ rule['value'] | replace("'", "''") ~ ')') -%}{%- endif -%}
    {%- endfor -%}
    coalesce(
        {%- if values %} lower({{ canonical_expression }}) in ('{{ values | join("', '") }}'){% else %} false{% endif %}
        {%- if patterns %} or {{ regexp_full_match('lower(' ~ canonical_expression ~ ')', patterns | join('|')) }}{% endif %},
        false
    )
{%- endmacro %}

{#- `is_placeholder` for an identifier whose type is itself a column. -#}
{% macro is_placeholder_of_type(type_expression, canonical_expression) -%}
    case {{ type_expression }}
    {%- for identifier_type in enum_values('identifier_type') %}
        when '{{ identifier_type }}' then {{ is_placeholder(identifier_type, canonical_expression) }}
    {%- endfor %}
        else false
    end
{%- endmacro %}

{#- The seed dependency of every model calling `is_placeholder`. Not in unit tests:
    there `placeholder_rules` reads the seed table itself, so tests need not mock it. -#}
{% macro depends_on_placeholder_identifiers() -%}
    {%- if not is_unit_test() -%}-- depends_on: {{ ref('placeholder_identifiers') }}{%- endif -%}
{%- endmacro %}

{#- Rows of the seed `placeholder_identifiers`, read once per compiled node. In a unit
    test the seed as loaded in the warehouse (`dbt build` loads it before the tests). -#}
{% macro placeholder_rules() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- if is_unit_test() -%}
        {%- set relation = adapter.get_relation(database=target.database, schema='reference', identifier='placeholder_identifiers') -%}
        {%- if relation is none -%}
            {{ exceptions.raise_compiler_error("unit tests read the seed placeholder_identifiers from the warehouse: run `dbt seed` (or `dbt build`) first") }}
        {%- endif -%}
    {%- else -%}
        {%- set relation = ref('placeholder_identifiers') -%}
    {%- endif -%}
    {%- set result = run_query("select identifier_type, match_kind, value from " ~ relation ~ " order by 1, 2, 3") -%}
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
    {{ return(identifier_hash_of_type("'" ~ identifier_type ~ "'", canonical_expression)) }}
{%- endmacro %}

{#- `identifier_hash` for an identifier whose type is itself a column: the same bytes
    are hashed, so both give one hash for one (type, value). -#}
{% macro identifier_hash_of_type(type_expression, canonical_expression, key=none) -%}
    {{ return(adapter.dispatch('identifier_hash', 'portrait')(type_expression, canonical_expression, key)) }}
{%- endmacro %}
{#- `key`: another key than the warehouse's (the previous one, during a rotation). -#}
{% macro default__identifier_hash(type_expression, canonical_expression, key=none) -%}
    case when {{ canonical_expression }} is not null
        then sha2({{ dbt.concat(["'" ~ (key if key is not none else hash_key()) ~ ":'", type_expression, "':'", canonical_expression]) }}, 256) end
{%- endmacro %}
{% macro duckdb__identifier_hash(type_expression, canonical_expression, key=none) -%}
    case when {{ canonical_expression }} is not null
        then sha256({{ dbt.concat(["'" ~ (key if key is not none else hash_key()) ~ ":'", type_expression, "':'", canonical_expression]) }}) end
{%- endmacro %}

{#- The key the warehouse was built with before `portrait rotate-key`, during the rotation
    run only (PORTRAIT_PREVIOUS_HASH_KEY); empty otherwise. Histories keyed by person id
    map the old ids to the new through it. -#}
{% macro previous_hash_key() -%}
    {%- set key = env_var('PORTRAIT_PREVIOUS_HASH_KEY', '') -%}
    {%- if key | length < 16 or key == env_var('PORTRAIT_HASH_KEY', '') -%}{{ return(none) }}{%- endif -%}
    {{ return(key | replace("'", "''")) }}
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

{#- Staging's columns for one identifier column `column` of type `identifier_type` (the
    canonical value is already selected as `column`, the raw text is `raw_<column>`):
    the placeholder flag, and whether a given value was invalid (a phone or e-mail that
    is none, an identifier breaking its type's pattern: the canonical value is NULL). -#}
{% macro identifier_flags(identifier_type, column) -%}
        {{ is_placeholder(identifier_type, column) }} as is_{{ column }}_placeholder,
        {{ any_unparsed([column]) }} as is_{{ column }}_invalid
{%- endmacro %}

{#- What later layers may use instead of the value: the keyed hash and, for phones and
    e-mails, the masked display form (`<column>_hash`, `<column>_masked`). -#}
{% macro identifier_display_columns(identifier_type, column) -%}
        {{ identifier_hash(identifier_type, column) }} as {{ column }}_hash
    {%- if identifier_type == 'phone' %},
        {{ mask_phone(column) }} as {{ column }}_masked
    {%- elif identifier_type == 'email' %},
        {{ mask_email(column) }} as {{ column }}_masked
    {%- endif %}
{%- endmacro %}

