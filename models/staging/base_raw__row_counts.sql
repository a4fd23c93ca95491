{# Raw rows per raw table, counted straight from the landing zone and not from the base
   models, so the row reconciliation proves no row was lost on the way; and the files in
   a table's folder that are not Parquet, which nothing reads. #}
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
            count(*) as raw_rows,
            {{ raw_ignored_file_count(table.source_table) }} as ignored_files
        from {{ table.source_table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        source_table,
        raw_rows,
        ignored_files
    from counts
)

select * from final
