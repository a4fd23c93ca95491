{{ config(materialized='table') }}
{# The current members of every audience (audiences as code, docs/activation.md), one row
   per audience and person, with the sticky control draw: control members are held out of
   every export. Computed by the Python model `int_audience__members` from the audiences'
   compiled SQL, and for lookalike audiences by `int_lookalike__scores` (the top `size`);
   published here with a contract. #}
with

rule_members as (
    select
        audience_code,
        person_id,
        is_control
    from {{ ref('int_audience__members') }}
),

lookalike_members as (
    select
        audience_code,
        person_id,
        is_control
    from {{ ref('int_lookalike__scores') }}
    where is_member
),

members as (
    select * from rule_members
    union all
    select * from lookalike_members
),

as_of as (
    select max(as_of_date) as as_of_date from {{ ref('int_profile__as_of_date') }}
),

final as (
    select
        cast(members.audience_code as {{ dbt.type_string() }}) as audience_code,
        cast(members.person_id as {{ dbt.type_string() }}) as person_id,
        cast(members.is_control as boolean) as is_control,
        as_of.as_of_date
    from members
    cross join as_of
)

select * from final
