{#- Columns of `int_person_metrics` that `fct_person_metrics` does not publish: the
    demographics (those published are in `dim_person`; register channel, income band and
    stated interests stay private). -#}
{% macro person_metrics_private_columns() -%}
    {{ return(['gender', 'age_band', 'city', 'city_tier', 'register_channel', 'income_band', 'stated_interests']) }}
{%- endmacro %}
