{# The identity graph's nodes (identifiers that are not placeholders), numbered 0..n-1 in
   representative order: earliest first seen (missing last), then the more durable
   identifier type (the order of `identifier_types()`), then the smaller value, then the
   type. The two OneID Python models work on these integer numbers instead of identifier
   strings, and a component's representative is its smallest number. The numbers are this
   build's only: they shift as identifiers arrive; join on type and value. #}
{%- set types = identifier_types() %}

with

identifiers as (
    select * from {{ ref('int_identity__identifiers') }}
    where not is_placeholder
),

ranked as (
    select
        identifier_type,
        identifier_value,
        first_seen_at,
        case identifier_type
            {% for type in types -%}
                when '{{ type }}' then {{ loop.index0 }}
            {% endfor -%}
            else {{ types | length }}
        end as type_rank
    from identifiers
),

final as (
    select
        cast(
            row_number() over (
                order by first_seen_at asc nulls last, type_rank asc, identifier_value asc, identifier_type asc
            ) - 1 as {{ dbt.type_bigint() }}
        ) as node_id,
        identifier_type,
        identifier_value,
        first_seen_at,
        type_rank
    from ranked
)

select * from final
