{#- Run at on-run-start: fail fast, with a message that says what to fix, when a
    project variable has a value that would make the build wrong. -#}
{% macro config_check() %}
    {%- set problems = [] -%}

    {%- set as_of = var('portrait__as_of_date', '') | string | trim -%}
    {%- if as_of != '' and not modules.re.fullmatch('\d{4}-\d{2}-\d{2}', as_of) -%}
        {%- do problems.append("var portrait__as_of_date must be YYYY-MM-DD or empty, got '" ~ as_of ~ "'") -%}
    {%- endif -%}

    {%- set max_amount = var('portrait__max_abs_amount') -%}
    {%- if max_amount is not number or max_amount <= 0 -%}
        {%- do problems.append("var portrait__max_abs_amount must be a positive number, got '" ~ max_amount ~ "'") -%}
    {%- endif -%}

    {%- set tolerance = var('portrait__future_tolerance_hours') -%}
    {%- if tolerance is not number or tolerance < 0 -%}
        {%- do problems.append("var portrait__future_tolerance_hours must be a number >= 0, got '" ~ tolerance ~ "'") -%}
    {%- endif -%}

    {%- if var('portrait__local_time_zone') != 'Asia/Shanghai' -%}
        {{ log("portrait: local time zone is " ~ var('portrait__local_time_zone') ~ " (the raw contract assumes Asia/Shanghai)", info=true) }}
    {%- endif -%}

    {%- if problems | length > 0 -%}
        {{ exceptions.raise_compiler_error("Invalid project configuration:\n  - " ~ (problems | join("\n  - "))) }}
    {%- endif -%}
    select 1
{% endmacro %}
