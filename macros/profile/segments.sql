{#- The segment schemes of fct_person_segments, each built by `int_segments__<scheme>`
    (docs/contracts.md codes; `persona` joins with the Python models). -#}
{% macro segment_schemes() -%}
    {{ return(['rfm', 'lifecycle', 'aipl', 'value_tier', 'persona']) }}
{%- endmacro %}
