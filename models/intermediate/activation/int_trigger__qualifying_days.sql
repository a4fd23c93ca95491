{# The days on which each declared trigger's condition holds for a person (the triggers
   are declared in models/activation/triggers/_triggers.yml and compiled by
   macros/activation/triggers.sql), at most the as-of date. The cool-down is applied in
   `fct_trigger_firings`. Recomputed over the whole history every build, so a fresh
   warehouse has every firing and a night equals a full refresh. PII layer (birth months). #}
with

as_of as (
    select max(as_of_date) as as_of_date from {{ ref('int_profile__as_of_date') }}
),

events as (
    select
        person_id,
        event_name,
        category_l1,
        event_date,
        event_at
    from {{ ref('int_events_persons_attached') }}
    where
        person_id is not null
        and event_date <= (select as_of.as_of_date from as_of)
),

purchases as (
    select
        person_id,
        order_date,
        ordered_at,
        net_amount
    from {{ ref('int_orders_unified') }}
    where
        is_purchase
        and person_id is not null
        and order_date <= (select as_of.as_of_date from as_of)
),

purchase_lines as (
    select
        person_id,
        category_l1,
        order_date
    from {{ ref('int_order_lines_unified') }}
    where
        is_counted
        and person_id is not null
        and order_date <= (select as_of.as_of_date from as_of)
),

members as (
    select * from {{ ref('stg_crm__members') }}
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

birthdays as (
    select
        person_map.person_id,
        min(extract(month from members.birth_date)) as birth_month
    from members
    inner join person_map
        on
            members.member_id = person_map.identifier_value
            and person_map.identifier_type = 'member_id'
    where members.birth_date is not null
    group by person_map.person_id
),

years as (
    select distinct extract(year from order_date) as data_year from purchases
),

qualifying as (
    {% for trigger in declared_triggers() %}
        {{ trigger_qualifying_sql(trigger) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        cast(qualifying.trigger_code as {{ dbt.type_string() }}) as trigger_code,
        cast(qualifying.person_id as {{ dbt.type_string() }}) as person_id,
        cast(qualifying.qualify_date as date) as qualify_date,
        cast(qualifying.context as {{ dbt.type_string() }}) as context,
        cast(qualifying.trigger_count as {{ dbt.type_bigint() }}) as trigger_count,
        cast(qualifying.cooldown_days as {{ dbt.type_int() }}) as cooldown_days
    from qualifying
    where qualifying.qualify_date <= (select as_of.as_of_date from as_of)
)

select * from final
