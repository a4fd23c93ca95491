{#- Local (Asia/Shanghai) parts of a UTC timestamp: the hour of day and the ISO weekday
    (1 = Monday ... 7 = Sunday). Business dates use `local_date` (macros/staging/parse.sql). -#}
{% macro local_hour(utc_timestamp) -%}
    {{ return(adapter.dispatch('local_hour', 'portrait')(utc_timestamp)) }}
{%- endmacro %}
{% macro duckdb__local_hour(utc_timestamp) -%}
    extract(hour from timezone('{{ var("portrait__local_time_zone") }}', cast({{ utc_timestamp }} as timestamptz)))
{%- endmacro %}
{% macro default__local_hour(utc_timestamp) -%}
    hour(from_utc_timestamp({{ utc_timestamp }}, '{{ var("portrait__local_time_zone") }}'))
{%- endmacro %}

{% macro local_iso_weekday(utc_timestamp) -%}
    {{ return(adapter.dispatch('local_iso_weekday', 'portrait')(utc_timestamp)) }}
{%- endmacro %}
{% macro duckdb__local_iso_weekday(utc_timestamp) -%}
    isodow(timezone('{{ var("portrait__local_time_zone") }}', cast({{ utc_timestamp }} as timestamptz)))
{%- endmacro %}
{% macro default__local_iso_weekday(utc_timestamp) -%}
    ((dayofweek(from_utc_timestamp({{ utc_timestamp }}, '{{ var("portrait__local_time_zone") }}')) + 5) % 7 + 1)
{%- endmacro %}

{#- The daypart of a local hour: night 0-5, morning 6-11, afternoon 12-17, evening 18-23. -#}
{% macro daypart(local_hour_expression) -%}
    case
        when {{ local_hour_expression }} < 6 then 'night'
        when {{ local_hour_expression }} < 12 then 'morning'
        when {{ local_hour_expression }} < 18 then 'afternoon'
        else 'evening'
    end
{%- endmacro %}

{#- Exact seconds (a double, fractions kept) from one timestamp to a later one. Not
    date_diff('second'), which counts second boundaries crossed: 29:59.5 would count 1800. -#}
{% macro seconds_between(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('seconds_between', 'portrait')(start_timestamp, end_timestamp)) }}
{%- endmacro %}
{% macro duckdb__seconds_between(start_timestamp, end_timestamp) -%}
    (epoch({{ end_timestamp }}) - epoch({{ start_timestamp }}))
{%- endmacro %}
{% macro default__seconds_between(start_timestamp, end_timestamp) -%}
    (cast({{ end_timestamp }} as double) - cast({{ start_timestamp }} as double))
{%- endmacro %}

{#- Whole days from a date to the as-of date (positive when the date is earlier). -#}
{% macro days_before(date_expression, as_of_expression) -%}
    {{ return(adapter.dispatch('days_before', 'portrait')(date_expression, as_of_expression)) }}
{%- endmacro %}
{% macro duckdb__days_before(date_expression, as_of_expression) -%}
    ({{ as_of_expression }} - {{ date_expression }})
{%- endmacro %}
{% macro default__days_before(date_expression, as_of_expression) -%}
    datediff({{ as_of_expression }}, {{ date_expression }})
{%- endmacro %}

{#- Age in completed years on `as_of_date` of someone born on `birth_date` (a year
    boundary alone is not a birthday: date_diff('year') would count it). -#}
{% macro age_in_years(birth_date, as_of_date) -%}
    extract(year from {{ as_of_date }}) - extract(year from {{ birth_date }})
    - case
        when extract(month from {{ as_of_date }}) * 100 + extract(day from {{ as_of_date }})
            < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }}) then 1
        else 0
    end
{%- endmacro %}

{#- The time-decay weight of an interaction `age_days` old: halves every
    `portrait__affinity_half_life_days` days (1 today, 0.5 at one half-life). -#}
{% macro decay_weight(age_days) -%}
    power(0.5, cast({{ age_days }} as double) / {{ var('portrait__affinity_half_life_days') }})
{%- endmacro %}

{#- `numerator / denominator` as a double, NULL when the denominator is 0 or NULL. -#}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- In an aggregate: the first non-NULL `value` by `order_by` (earliest wins). -#}
{% macro first_value_by_time(value, order_by) -%}
    {{ return(adapter.dispatch('first_value_by_time', 'portrait')(value, order_by)) }}
{%- endmacro %}
{% macro duckdb__first_value_by_time(value, order_by) -%}
    arg_min({{ value }}, {{ order_by }}) filter (where {{ value }} is not null)
{%- endmacro %}
{% macro default__first_value_by_time(value, order_by) -%}
    min_by({{ value }}, case when {{ value }} is not null then {{ order_by }} end)
{%- endmacro %}
