{{ config(materialized='table') }}
{# How much every person outside a lookalike audience's seed looks like the seed (the
   Python model `int_lookalike__scores`, portrait.activation.lookalike): rank 1 is the most
   similar; the top `size` are the audience's members. No PII. #}
with

scores as (
    select * from {{ ref('int_lookalike__scores') }}
),

final as (
    select
        cast(audience_code as {{ dbt.type_string() }}) as audience_code,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(score as double) as score,
        cast(rank as {{ dbt.type_bigint() }}) as rank,  -- noqa: RF04
        cast(is_member as boolean) as is_member
    from scores
)

select * from final
