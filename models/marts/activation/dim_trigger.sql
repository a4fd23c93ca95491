{{ config(materialized='table') }}
{# One row per behaviour trigger declared in models/activation/triggers/_triggers.yml:
   names, owner, what it is for, its kind and cool-down, and how often it fired. #}
with

declared as (
    {% for trigger in declared_trigger_list() %}
        select
            '{{ trigger.code }}' as trigger_code,
            '{{ trigger.name_zh | replace("'", "''") }}' as name_zh,
            '{{ trigger.name_en | replace("'", "''") }}' as name_en,
            '{{ trigger.owner | replace("'", "''") }}' as trigger_owner,
            '{{ trigger.description | replace("'", "''") }}' as description,
            '{{ trigger.kind }}' as kind,
            {{ trigger.get('cooldown_days', 0) | int }} as cooldown_days
        {% if not loop.last %}union all{% endif %}
    {% else %}
        select
            cast(null as {{ dbt.type_string() }}) as trigger_code,
            cast(null as {{ dbt.type_string() }}) as name_zh,
            cast(null as {{ dbt.type_string() }}) as name_en,
            cast(null as {{ dbt.type_string() }}) as trigger_owner,
            cast(null as {{ dbt.type_string() }}) as description,
            cast(null as {{ dbt.type_string() }}) as kind,
            0 as cooldown_days
        where 1 = 0
    {% endfor %}
),

firings as (
    select * from {{ ref('fct_trigger_firings') }}
),

fired as (
    select
        trigger_code,
        count(*) as firings,
        count(distinct person_id) as persons_fired,
        max(fired_date) as last_fired_date
    from firings
    group by trigger_code
),

final as (
    select
        cast(declared.trigger_code as {{ dbt.type_string() }}) as trigger_code,
        cast(declared.name_zh as {{ dbt.type_string() }}) as name_zh,
        cast(declared.name_en as {{ dbt.type_string() }}) as name_en,
        cast(declared.trigger_owner as {{ dbt.type_string() }}) as trigger_owner,
        cast(declared.description as {{ dbt.type_string() }}) as description,
        cast(declared.kind as {{ dbt.type_string() }}) as kind,
        cast(declared.cooldown_days as {{ dbt.type_int() }}) as cooldown_days,
        cast(coalesce(fired.firings, 0) as {{ dbt.type_bigint() }}) as firings,
        cast(coalesce(fired.persons_fired, 0) as {{ dbt.type_bigint() }}) as persons_fired,
        fired.last_fired_date
    from declared
    left join fired
        on declared.trigger_code = fired.trigger_code
)

select * from final
