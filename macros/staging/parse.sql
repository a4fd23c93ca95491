{#- Parsing raw text into types. Every macro takes a SQL expression and returns one.
    DuckDB versions here; `default__` versions keep the project portable (Spark later). -#}

{#- Raw value as trimmed text, NULL when empty: the one door for raw text, every parse
    and normalise macro reads its value through it. Control characters (Unicode Cc: C0
    U+0000-U+001F, DEL, C1 U+0080-U+009F) never pass: a run of tabs, line feeds, vertical
    tabs, form feeds and carriage returns becomes one space, every other control character
    (NUL, ...) is removed, then the text is trimmed (docs/raw_formats.md, "Text").
    Cost (it runs on every raw column of every row): on DuckDB one regular-expression test
    per non-NULL value, ~0.1 us (`translate` would be 20x that), and the rewrite only for
    the rare value holding a control character. Identifier patterns, which admit no
    control character, try `trimmed_text` first and fall back to `clean_text` only for a
    value that failed, so a valid identifier pays no test (a fallback is worth it only
    where the cleaned value occurs once in the fallback expression: DuckDB hoists a
    repeated subexpression out of a CASE or COALESCE and computes it for every row). -#}
{% macro clean_text(expression) -%}
    {{ return(adapter.dispatch('clean_text', 'portrait')(expression)) }}
{%- endmacro %}
{% macro duckdb__clean_text(expression) -%}
    {%- set text = 'cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ')' -%}
    nullif(trim(case
        when regexp_matches({{ text }}, '[\x00-\x1f\x7f-\x9f]')
            then regexp_replace(
                regexp_replace({{ text }}, '[\t\n\x0b\x0c\r]+', ' ', 'g'), '[\x00-\x1f\x7f-\x9f]', '', 'g'
            )
        else {{ text }}
    end), '')
{%- endmacro %}
{% macro default__clean_text(expression) -%}
    {%- set text = 'cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ')' -%}
    nullif(trim(regexp_replace(regexp_replace({{ text }}, '[\\t\\n\\x0B\\f\\r]+', ' '), '\\p{Cc}', '')), '')
{%- endmacro %}

{#- Raw value as text with spaces trimmed, NULL when empty, control characters left in:
    only for a validating parser's first try (see `clean_text`). -#}
{% macro trimmed_text(expression) -%}
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
    Naive shapes are local time (`portrait__local_time_zone`); shapes with a zone are
    instants: `Z`, an offset `+HH`, `+HHMM`, `+HH:MM` (or `-`), a zone name (`UTC`,
    `Asia/Tokyo`), and epoch seconds/millis. NULL when the text parses in no shape:
    callers tell "empty" from "unparseable" with `clean_text(...) is not null`.
    Typed Parquet columns reach here as DuckDB's text of them (`raw_source` casts every
    column to text): TIMESTAMP WITH TIME ZONE as `2026-06-20 04:00:00+00` (the session is
    UTC), an instant; TIMESTAMP (also _NS, _MS, _S) without zone as `2026-06-20 12:00:00`,
    local time like every zone-less raw timestamp; DATE as `2026-06-20`, local midnight.
    Hot path (every event row): the shape is told by length, `contains`, one LIKE and the
    last character (a letter: `Z` or a zone name), and parsed by the ISO casts, which read
    `T` or space, optional fractions and `/` separators; only a 13- or 10-character value
    is matched against `[0-9]+` (the bigint cast alone would read `0x12345678` or
    `1.7502e+09`). A value with a zone must go to the `timestamptz` cast: the `timestamp`
    cast silently drops an offset or zone name. A `-` is an offset only after a `:` (the
    time), never in the date. -#}
{% macro parse_timestamp(expression) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'portrait')(expression)) }}
{%- endmacro %}
{% macro duckdb__parse_timestamp(expression) -%}
    {%- set value = clean_text(expression) -%}
    case
        when length({{ value }}) = 13 and regexp_full_match({{ value }}, '[0-9]+')
            then make_timestamp(cast({{ value }} as bigint) * 1000)
        when length({{ value }}) = 10 and regexp_full_match({{ value }}, '[0-9]+')
            then make_timestamp(cast({{ value }} as bigint) * 1000000)
        when contains({{ value }}, '+') or {{ value }} like '%:%-%' or right({{ value }}, 1) >= 'A'
            then timezone('UTC', try_cast({{ value }} as timestamptz))
        else timezone('UTC', timezone('{{ var("portrait__local_time_zone") }}', try_cast({{ value }} as timestamp)))
    end
{%- endmacro %}
{% macro default__parse_timestamp(expression) -%}
    {%- set value = clean_text(expression) -%}
    case
        when {{ value }} rlike '^[0-9]{13}$' then timestamp_millis(cast({{ value }} as bigint))
        when {{ value }} rlike '^[0-9]{10}$' then timestamp_seconds(cast({{ value }} as bigint))
        when {{ value }} rlike '(Z|[+][0-9]{2}(:?[0-9]{2})?|:.*-[0-9]{2}(:?[0-9]{2})?)$'
            then to_utc_timestamp(cast({{ value }} as timestamp), 'UTC')
        else to_utc_timestamp(coalesce(
            try_to_timestamp({{ value }}, 'yyyy-MM-dd HH:mm:ss'),
            try_to_timestamp({{ value }}, "yyyy-MM-dd'T'HH:mm:ss"),
            try_to_timestamp({{ value }}, 'yyyy-MM-dd HH:mm:ss.SSS'),
            try_to_timestamp({{ value }}, 'yyyy/MM/dd HH:mm:ss')
        ), '{{ var("portrait__local_time_zone") }}')
    end
{%- endmacro %}

{#- A date in `YYYY-MM-DD`, `YYYY/MM/DD` or `YYYYMMDD`, or a midnight `YYYY-MM-DD 00:00:00`
    (a date written as a zone-less Parquet TIMESTAMP, as pandas does); NULL otherwise. -#}
{% macro parse_date(expression) -%}
    {{ return(adapter.dispatch('parse_date', 'portrait')(expression)) }}
{%- endmacro %}
{% macro duckdb__parse_date(expression) -%}
    {%- set value = clean_text(expression) -%}
    cast(try_strptime(
        case when {{ value }} like '____-__-__ 00:00:00' then left({{ value }}, 10) else {{ value }} end,
        ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d']
    ) as date)
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

{#- A decimal(18, 2) amount, parsed only in the accepted forms of docs/raw_formats.md
    ("Amounts"): an optional currency mark (`¥`, `￥`, `RMB`, `CNY` before the number,
    `RMB`, `CNY`, `元` after it) and spaces, an optional sign (before or after a leading
    mark), then digits, either plain or grouped by commas in groups of exactly three
    (`1,299.00`, `12,345,678`), with an optional `.` and decimals; plain digits may carry
    an exponent (`1e-05`: DuckDB's text of a DOUBLE below 1e-4). Decimals beyond two are
    rounded half away from zero. Anything else is NULL, never reinterpreted: a decimal
    comma (`12,50`, `1.299,00`, `0,125`), wrong grouping (`1,29`), two dots, letters, `1_000`
    (which DuckDB's cast alone would read as 1000). Callers quarantine a given but NULL
    amount as `unparseable_amount`. Typed Parquet amounts arrive as DuckDB's text of
    them: DECIMAL `1299.50`, DOUBLE `1299.5` / `12.0` / `100000000.0`, integer `1299`. -#}
{% macro parse_amount(expression) -%}
    {%- set value = clean_text(expression) -%}
    {%- set mark = '(?:¥|￥|RMB|CNY)' -%}
    {%- set number = '(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:[.][0-9]+)?|[0-9]+(?:[.][0-9]+)?(?:[eE][+-]?[0-9]+)?)' -%}
    {%- set pattern = '(?:[+-] *)?(?:' ~ mark ~ ' *)?' ~ number
        ~ '|' ~ mark ~ ' *[+-] *' ~ number
        ~ '|(?:[+-] *)?' ~ number ~ ' *(?:RMB|CNY|元)' -%}
    case when {{ regexp_full_match(value, pattern) }}
        then {{ dbt.safe_cast(regexp_replace_all(value, '[^0-9.eE+-]', ''), 'decimal(18, 2)') }}
    end
{%- endmacro %}

{#- An integer from text: optional sign and digits, or an integer written as a float
    (`2.0`, DuckDB's text of a whole DOUBLE); NULL otherwise (`2.5`, `1e3`, `0x10`,
    `1_000`, which DuckDB's cast alone would round or read). -#}
{% macro parse_integer(expression) -%}
    {%- set value = clean_text(expression) -%}
    case when {{ regexp_full_match(value, '[+-]?[0-9]{1,18}(?:[.]0+)?') }}
        then {{ dbt.safe_cast(regexp_replace_all(value, '[.]0+$', ''), dbt.type_bigint()) }}
    end
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
