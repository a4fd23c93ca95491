{{ config(materialized='table') }}
{# Every firing of every behaviour trigger, over the whole history up to the as-of date:
   a trigger fires for a person on the first day its condition holds, then again only on
   the first day it holds at least `cooldown_days` after the previous firing (the cool-down
   counts from the firing, per trigger and person, whatever the context). On a day when it
   holds for several contexts, the firing's context is the one with the highest count
   (then the first by name). Recomputed from the history every build: a fresh warehouse has
   every firing and a night equals a full refresh. No PII. #}
with recursive

qualifying as (
    select * from {{ ref('int_trigger__qualifying_days') }}
),

as_of as (
    select max(as_of_date) as as_of_date from {{ ref('int_profile__as_of_date') }}
),

firings as (
    select
        trigger_code,
        person_id,
        min(qualify_date) as fired_date
    from qualifying
    group by trigger_code, person_id

    union all

    select
        firings.trigger_code,
        firings.person_id,
        min(qualifying.qualify_date) as fired_date
    from firings
    inner join qualifying
        on
            firings.trigger_code = qualifying.trigger_code
            and firings.person_id = qualifying.person_id
            and qualifying.qualify_date >= firings.fired_date + greatest(qualifying.cooldown_days, 1)
    group by firings.trigger_code, firings.person_id
),

with_context as (
    select
        firings.trigger_code,
        firings.person_id,
        firings.fired_date,
        qualifying.context,
        qualifying.trigger_count
    from firings
    inner join qualifying
        on
            firings.trigger_code = qualifying.trigger_code
            and firings.person_id = qualifying.person_id
            and firings.fired_date = qualifying.qualify_date
    qualify row_number() over (
            partition by firings.trigger_code, firings.person_id, firings.fired_date
            order by qualifying.trigger_count desc, qualifying.context asc
        ) = 1
),

final as (
    select
        cast(with_context.trigger_code as {{ dbt.type_string() }}) as trigger_code,
        cast(with_context.person_id as {{ dbt.type_string() }}) as person_id,
        cast(with_context.fired_date as date) as fired_date,
        cast(with_context.context as {{ dbt.type_string() }}) as context,
        cast(with_context.trigger_count as {{ dbt.type_bigint() }}) as trigger_count,
        as_of.as_of_date
    from with_context
    cross join as_of
)

select * from final
