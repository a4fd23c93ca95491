{# Distinct combinations of identifiers that co-occur in one staged row, per source:
   the identity graph's raw evidence, read once from staging. #}
{%- set types = identifier_types() %}

with

{% for source in identity_sources() %}
    {%- set present = [] %}
    {%- set grouped = [] %}
    {%- for type in types if type in source.identifiers %}
        {%- do present.append(source.identifiers[type] ~ ' is not null') %}
        {%- do grouped.append(source.identifiers[type]) %}
        {%- do grouped.append('is_' ~ source.identifiers[type] ~ '_placeholder') %}
    {%- endfor %}
    {{ source.rule }}_combinations as (
        select
            '{{ source.source_table }}' as source_table,
            '{{ source.rule }}' as rule,
            {% for type in types -%}
                {% if type in source.identifiers -%}
                    {{ source.identifiers[type] }} as {{ type }},
                    is_{{ source.identifiers[type] }}_placeholder as is_{{ type }}_placeholder,
                {% else -%}
                    cast(null as {{ dbt.type_string() }}) as {{ type }},
                    false as is_{{ type }}_placeholder,
                {% endif -%}
            {% endfor -%}
            min({{ source.seen_at }}) as first_seen_at,
            max({{ source.seen_at }}) as last_seen_at,
            count(*) as supporting_rows
        from {{ ref(source.model) }}
        where {{ present | join(' or ') }}
        group by {{ grouped | join(', ') }}
    ),

{% endfor -%}

final as (
    {% for source in identity_sources() -%}
        select * from {{ source.rule }}_combinations
        {% if not loop.last -%}
            union all
        {% endif -%}
    {% endfor %}
)

select * from final
