{# Which persons gather the most identifiers, and of which types: the first place to look
   for a false merge (a shared device or phone that slipped past the degree caps). Compile
   with `dbt compile --select identity_largest_persons` and run the SQL in target/compiled. #}

{%- set type_and_count = dbt.concat(['identifier_type', "'='", dbt.safe_cast('identifiers', dbt.type_string())]) %}

with

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

identifier_mix as (
    select
        person_id,
        identifier_type,
        count(*) as identifiers
    from person_map
    group by person_id, identifier_type
),

person_sizes as (
    select
        person_id,
        sum(identifiers) as identifiers,
        {{ dbt.listagg(type_and_count, "', '", 'order by identifier_type') }} as identifier_mix
    from identifier_mix
    group by person_id
),

final as (
    select * from person_sizes
    order by identifiers desc
    limit 50
)

select * from final
