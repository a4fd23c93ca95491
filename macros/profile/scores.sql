{#- A quintile score 1-5 from a window's percent rank: ties share a score, so the score
    is deterministic (no arbitrary split of equal values as with `ntile`). `order_by`
    sorts worst first: the best fifth scores 5; `partition_by` ranks within each group (e.g.
    each evaluation date). -#}
{% macro quintile_score(order_by, partition_by=none) -%}
    least(5, 1 + cast(floor(5 * percent_rank() over (
        {%- if partition_by %}partition by {{ partition_by }} {% endif %}order by {{ order_by }})) as integer))
{%- endmacro %}
