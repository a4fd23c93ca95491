{# Raw rows per raw table, counted straight from the landing zone and not from the base
   models, so the row reconciliation proves no row was lost on the way. #}
with

{% for table in staging_tables() %}
    {{ table.source_table }} as (
        {{ raw_source(table.source_name, table.source_table) }}
    ),
{% endfor %}

counts as (
    {% for table in staging_tables() %}
        select
            '{{ table.source_table }}' as source_table,
            count(*) as raw_rows
        from {{ table.source_table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        source_table,
        raw_rows
    from counts
)

select * from final
