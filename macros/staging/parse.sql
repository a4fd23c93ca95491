{#- Parsing raw text into types. Every macro takes a SQL expression and returns one.
    DuckDB versions here; `default__` versions keep the project portable (Spark later). -#}

{#- Raw value as trimmed text, NULL when empty. -#}
{% macro clean_text(expression) -%}
    nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{#- Replace every match of a regular expression (Spark's regexp_replace already does). -#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'portrait')(expression, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
{% macro duckdb__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Whole-string regular-expression match. -#}
{% macro regexp_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'portrait')(expression, pattern)) }}
{%- endmacro %}
{% macro default__regexp_full_match(expression, pattern) -%}
    ({{ expression }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}
{% macro duckdb__regexp_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{#- The first capture group of a whole-string match, NULL when the text does not match
    (DuckDB and Spark both return '' then). One regular expression validates and extracts. -#}
{% macro regexp_extract_group(expression, pattern, group=1) -%}
    {{ return(adapter.dispatch('regexp_extract_group', 'portrait')(expression, pattern, group)) }}
{%- endmacro %}
{% macro default__regexp_extract_group(expression, pattern, group) -%}
    nullif(regexp_extract({{ expression }}, '^(?:{{ pattern }})$', {{ group }}), '')
{%- endmacro %}

{#- A timestamp in any shape of docs/raw_formats.md, as a UTC timestamp (no zone).
    Naive shapes are local time (`portrait__local_time_zone`); `Z`/offset shapes and
    epoch seconds/millis are instants. NULL when the text parses in no shape: callers
    tell "empty" from "unparseable" with `clean_text(...) is not null`.
    Hot path (every event row): the shape is told by length and LIKE, not regular
    expressions, and parsed by the ISO cast, which reads `T` or space, optional
    fractions and `/` separators. -#}
{% macro parse_timestamp(expression) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'portrait')(expression)) }}
{%- endmacro %}
{% macro duckdb__parse_timestamp(expression) -%}
    {%- set value = clean_text(expression) -%}
    case
        when length({{ value }}) = 13 and try_cast({{ value }} as bigint) is not null
            then make_timestamp(cast({{ value }} as bigint) * 1000)
        when length({{ value }}) = 10 and try_cast({{ value }} as bigint) is not null
            then make_timestamp(cast({{ value }} as bigint) * 1000000)
        when {{ value }} like '%Z' or {{ value }} like '%+__:__' or {{ value }} like '%+____'
            or {{ value }} like '%:%-__:__' or {{ value }} like '%:%-____'
            then timezone('UTC', try_cast({{ value }} as timestamptz))
        else timezone('UTC', timezone('{{ var("portrait__local_time_zone") }}', try_cast({{ value }} as timestamp)))
    end
{%- endmacro %}
{% macro default__parse_timestamp(expression) -%}
    {%- set value = clean_text(expression) -%}
    case
        when {{ value }} rlike '^[0-9]{13}$' then timestamp_millis(cast({{ value }} as bigint))
        when {{ value }} rlike '^[0-9]{10}$' then timestamp_seconds(cast({{ value }} as bigint))
        when {{ value }} rlike '(Z|[+-][0-9]{2}:?[0-9]{2})$' then to_utc_timestamp(cast({{ value }} as timestamp), 'UTC')
        else to_utc_timestamp(coalesce(
            try_to_timestamp({{ value }}, 'yyyy-MM-dd HH:mm:ss'),
            try_to_timestamp({{ value }}, "yyyy-MM-dd'T'HH:mm:ss"),
            try_to_timestamp({{ value }}, 'yyyy-MM-dd HH:mm:ss.SSS'),
            try_to_timestamp({{ value }}, 'yyyy/MM/dd HH:mm:ss')
        ), '{{ var("portrait__local_time_zone") }}')
    end
{%- endmacro %}

{#- A date in `YYYY-MM-DD`, `YYYY/MM/DD` or `YYYYMMDD`; NULL otherwise. -#}
{% macro parse_date(expression) -%}
    {{ return(adapter.dispatch('parse_date', 'portrait')(expression)) }}
{%- endmacro %}
{% macro duckdb__parse_date(expression) -%}
    cast(try_strptime({{ clean_text(expression) }}, ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d']) as date)
{%- endmacro %}
{% macro default__parse_date(expression) -%}
    coalesce(
        try_to_date({{ clean_text(expression) }}, 'yyyy-MM-dd'),
        try_to_date({{ clean_text(expression) }}, 'yyyy/MM/dd'),
        try_to_date({{ clean_text(expression) }}, 'yyyyMMdd')
    )
{%- endmacro %}

{#- The Asia/Shanghai business date of a UTC timestamp. -#}
{% macro local_date(utc_timestamp) -%}
    {{ return(adapter.dispatch('local_date', 'portrait')(utc_timestamp)) }}
{%- endmacro %}
{% macro duckdb__local_date(utc_timestamp) -%}
    cast(timezone('{{ var("portrait__local_time_zone") }}', cast({{ utc_timestamp }} as timestamptz)) as date)
{%- endmacro %}
{% macro default__local_date(utc_timestamp) -%}
    to_date(from_utc_timestamp({{ utc_timestamp }}, '{{ var("portrait__local_time_zone") }}'))
{%- endmacro %}

{#- A decimal amount from text such as `1299.5`, `¥1,299.00`, `-299.00`; NULL if not a number. -#}
{% macro parse_amount(expression) -%}
    {{ dbt.safe_cast(regexp_replace_all(clean_text(expression), '[¥￥,\\s]|RMB|CNY', ''), 'decimal(18, 2)') }}
{%- endmacro %}

{#- An integer from text; NULL if not an integer. -#}
{% macro parse_integer(expression) -%}
    {{ dbt.safe_cast(clean_text(expression), dbt.type_bigint()) }}
{%- endmacro %}

{#- A boolean from `1`/`0`, `true`/`false`, `Y`/`N`, `yes`/`no`, `是`/`否`; NULL otherwise. -#}
{% macro parse_boolean(expression) -%}
    case lower({{ clean_text(expression) }})
        when '1' then true when 'true' then true when 'y' then true when 'yes' then true when '是' then true
        when '0' then false when 'false' then false when 'n' then false when 'no' then false when '否' then false
    end
{%- endmacro %}

{#- Map raw enum text to a canonical code. `mapping` is a dict of canonical code ->
    list of accepted raw spellings (compared trimmed and lower-cased; the canonical code
    itself is always accepted). Unmapped text gives NULL: callers quarantine it as
    `unmapped_enum` when the raw value was not empty. -#}
{% macro map_enum(expression, mapping) -%}
    case lower({{ clean_text(expression) }})
    {%- for code, spellings in mapping.items() %}
        when '{{ code }}' then '{{ code }}'
        {%- for spelling in spellings if spelling | lower != code %}
        when '{{ spelling | lower }}' then '{{ code }}'
        {%- endfor %}
    {%- endfor %}
    end
{%- endmacro %}

{#- An integer score on a closed scale (`satisfaction` 1-5, `nps` 0-10); NULL when not
    an integer in [low, high]: callers treat a given but NULL score as `unmapped_enum`. -#}
{% macro parse_score(expression, low, high) -%}
    case when {{ parse_integer(expression) }} between {{ low }} and {{ high }} then {{ parse_integer(expression) }} end
{%- endmacro %}
