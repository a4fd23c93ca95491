{# Every quarantined raw row of every raw table, with its reason and the raw row as
   JSON, for operators to inspect and fix at the source. PII layer: stays in staging. #}
with

{% for table in staging_tables() %}
    {{ table.source_table }} as (
        select * from {{ ref(table.base_model) }}
        where row_bucket = 'quarantined'
    ),
{% endfor %}

quarantined_rows as (
    {% for table in staging_tables() %}
        select
            '{{ table.source_table }}' as source_table,
            raw_key,
            quarantine_reason,
            raw_row_json,
            arrived_at,
            _source_file,
            _source_row
        from {{ table.source_table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        source_table,
        raw_key,
        quarantine_reason,
        raw_row_json,
        arrived_at,
        _source_file,
        _source_row
    from quarantined_rows
)

select * from final
