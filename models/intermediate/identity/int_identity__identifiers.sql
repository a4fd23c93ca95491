{# Every identifier seen in any staged row: the identity graph's nodes. #}
{%- set types = identifier_types() %}

with

identifier_rows as (
    select * from {{ ref('int_identity__identifier_rows') }}
),

unpivoted as (
    {% for type in types -%}
        select
            '{{ type }}' as identifier_type,
            {{ type }} as identifier_value,
            source_table,
            is_{{ type }}_placeholder as is_placeholder,
            first_seen_at,
            last_seen_at,
            supporting_rows
        from identifier_rows
        where {{ type }} is not null
        {% if not loop.last -%}
            union all
        {% endif -%}
    {% endfor %}
),

final as (
    select
        identifier_type,
        identifier_value,
        {{ dbt.listagg('distinct source_table', "','", "order by source_table") }} as source_tables,
        cast(sum(supporting_rows) as {{ dbt.type_bigint() }}) as supporting_rows,
        {{ dbt.bool_or('is_placeholder') }} as is_placeholder,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from unpivoted
    group by identifier_type, identifier_value
)

select * from final
