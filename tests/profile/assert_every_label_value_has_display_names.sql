{# Every value a label tag carries in `fct_person_tags` has display names in the seed
   `tag_value_labels` (cities are named by `city_tiers`, personas by the persona model), so
   a new value (a new category, a new band) fails the build instead of reaching BI as a
   bare code. Fails with each unnamed tag value. #}

with

tags as (
    select * from {{ ref('fct_person_tags') }}
),

catalogue as (
    select * from {{ ref('tag_catalogue') }}
),

value_labels as (
    select * from {{ ref('tag_value_labels') }}
),

final as (
    select distinct
        tags.tag_code,
        tags.tag_value
    from tags
    inner join catalogue on tags.tag_code = catalogue.tag_code
    left join value_labels
        on tags.tag_code = value_labels.tag_code and tags.tag_value = value_labels.tag_value
    where
        catalogue.value_type = 'label'
        and tags.tag_code not in ('city', 'persona')
        and value_labels.tag_code is null
)

select * from final
