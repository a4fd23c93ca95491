{#- Median of a numeric expression in an aggregate (DuckDB exact; elsewhere approximate). -#}
{% macro median_of(expression) -%}
    {{ return(adapter.dispatch('median_of', 'portrait')(expression)) }}
{%- endmacro %}
{% macro duckdb__median_of(expression) -%}
    median({{ expression }})
{%- endmacro %}
{% macro default__median_of(expression) -%}
    percentile_approx({{ expression }}, 0.5)
{%- endmacro %}

{#- In an aggregate: the sum of `expression` over the rows whose `date_column` falls in
    the window (`window` days up to the as-of date, or `lifetime`); the windows' first
    days come from the `as_of` CTE as `window_start_<n>d`. -#}
{% macro windowed_sum(expression, window, date_column='activity_date') -%}
    {%- if window == 'lifetime' -%}
        sum({{ expression }})
    {%- else -%}
        sum(case when {{ in_window(window, date_column) }} then {{ expression }} else 0 end)
    {%- endif -%}
{%- endmacro %}

{#- Whether `date_column` falls in the window (always true for `lifetime`). -#}
{% macro in_window(window, date_column='activity_date') -%}
    {{- 'true' if window == 'lifetime' else date_column ~ ' >= window_start_' ~ window ~ 'd' -}}
{%- endmacro %}

{#- The window suffix of a metric name: `7d`, `30d`, ..., `lifetime`. -#}
{% macro window_suffix(window) -%}
    {{- 'lifetime' if window == 'lifetime' else window ~ 'd' -}}
{%- endmacro %}

{#- The metric windows with `lifetime` appended. -#}
{% macro all_windows() -%}
    {{ return(metric_windows() + ['lifetime']) }}
{%- endmacro %}
