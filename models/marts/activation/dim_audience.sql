{{ config(materialized='table') }}
{# One row per audience: its definition, members, control members, and members a channel
   can reach (consent as of the last run; `portrait export` checks it again). #}
with

definitions as (
    select * from {{ ref('int_audience__definitions') }}
),

members as (
    select * from {{ ref('fct_audience_members') }}
),

persons as (
    select * from {{ ref('dim_person') }}
),

changes as (
    select * from {{ ref('fct_audience_membership_changes') }}
),

member_counts as (
    select
        members.audience_code,
        count(*) as members,
        count(case when members.is_control then 1 end) as control_members,
        count(case when not members.is_control and persons.is_contactable_sms then 1 end)
            as contactable_sms_members,
        count(case when not members.is_control and persons.is_contactable_email then 1 end)
            as contactable_email_members,
        count(case when not members.is_control and persons.is_contactable_wechat then 1 end)
            as contactable_wechat_members,
        count(case when not members.is_control and persons.is_contactable_push then 1 end)
            as contactable_push_members,
        count(case when not members.is_control and persons.is_contactable_ads then 1 end)
            as contactable_ads_members
    from members
    inner join persons
        on members.person_id = persons.person_id
    group by members.audience_code
),

last_changes as (
    select
        audience_code,
        max(change_date) as last_change_date
    from changes
    group by audience_code
),

final as (
    select
        cast(definitions.audience_code as {{ dbt.type_string() }}) as audience_code,
        cast(definitions.name_zh as {{ dbt.type_string() }}) as name_zh,
        cast(definitions.name_en as {{ dbt.type_string() }}) as name_en,
        cast(definitions.owner as {{ dbt.type_string() }}) as owner,  -- noqa: RF04
        cast(definitions.description as {{ dbt.type_string() }}) as description,
        cast(definitions.extends_audience as {{ dbt.type_string() }}) as extends_audience,
        cast(definitions.definition as {{ dbt.type_string() }}) as definition,
        cast(definitions.channels as {{ dbt.type_string() }}) as channels,
        cast(definitions.cap_size as {{ dbt.type_bigint() }}) as cap_size,
        cast(definitions.control_share as double) as control_share,
        cast(coalesce(member_counts.members, 0) as {{ dbt.type_bigint() }}) as members,
        cast(coalesce(member_counts.control_members, 0) as {{ dbt.type_bigint() }}) as control_members,
        cast(coalesce(member_counts.contactable_sms_members, 0) as {{ dbt.type_bigint() }})
            as contactable_sms_members,
        cast(coalesce(member_counts.contactable_email_members, 0) as {{ dbt.type_bigint() }})
            as contactable_email_members,
        cast(coalesce(member_counts.contactable_wechat_members, 0) as {{ dbt.type_bigint() }})
            as contactable_wechat_members,
        cast(coalesce(member_counts.contactable_push_members, 0) as {{ dbt.type_bigint() }})
            as contactable_push_members,
        cast(coalesce(member_counts.contactable_ads_members, 0) as {{ dbt.type_bigint() }})
            as contactable_ads_members,
        last_changes.last_change_date,
        cast(definitions.compiled_sql as {{ dbt.type_string() }}) as compiled_sql
    from definitions
    left join member_counts
        on definitions.audience_code = member_counts.audience_code
    left join last_changes
        on definitions.audience_code = last_changes.audience_code
)

select * from final
