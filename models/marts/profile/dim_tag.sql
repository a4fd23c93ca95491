{# The tag catalogue (seed `tag_catalogue`) with how many persons carry each tag today:
   what a marketer browses to pick an audience. #}

with

catalogue as (
    select * from {{ ref('tag_catalogue') }}
),

person_tags as (
    select * from {{ ref('fct_person_tags') }}
),

carried as (
    select
        tag_code,
        count(distinct person_id) as persons_tagged,
        count(distinct tag_value) as distinct_values
    from person_tags
    group by tag_code
),

final as (
    select
        catalogue.tag_code,
        catalogue.name_zh,
        catalogue.name_en,
        catalogue.category,
        catalogue.kind,
        catalogue.hierarchy_path,
        catalogue.value_type,
        catalogue.description,
        catalogue.owner,
        catalogue.refresh,
        coalesce(carried.persons_tagged, 0) as persons_tagged,
        coalesce(carried.distinct_values, 0) as distinct_values
    from catalogue
    left join carried on catalogue.tag_code = carried.tag_code
)

select * from final
