{# Marketing consent, one row per person and channel (`sms`, `email`, `push`, `wechat`;
   macro `consent_channels`). A person is contactable on a channel when they have a
   usable identifier for it (phone; e-mail; account or device id; an openid, and for
   wechat one whose WeChat record says subscribed) and none of their identifiers opted
   out of it. Per identifier the latest opt-out/opt-in requested up to the as-of date
   wins (same second: the opt-out; then the higher request id); an opt-out on a phone,
   e-mail, account/device id or openid/unionid blocks its own channel, one on a member id
   or card number every channel. Placeholder and invalid identifiers, erasure requests
   and identifiers no person holds are ignored. No PII. #}
{%- set channels = consent_channels() %}
{%- set all_channel_types = consent_all_channel_types() %}

with

as_of as (
    select as_of_date from {{ ref('int_profile__as_of_date') }}
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

requests as (
    select * from {{ ref('stg_privacy__requests') }}
    where
        request_type in ('marketing_opt_out', 'marketing_opt_in')
        and identifier is not null
        and not coalesce(is_identifier_placeholder, false)
        and not coalesce(is_identifier_invalid, false)
),

wechat_users as (
    select * from {{ ref('stg_wechat__users') }}
),

channel_identifier_types as (
    {% for channel, types in channels.items() -%}
        {%- set channel_loop = loop -%}
        {%- set scoped_types = [] -%}
        {%- for type in types['usable'] + types['opt_out'] + all_channel_types -%}
            {%- if type not in scoped_types %}{% do scoped_types.append(type) %}{% endif -%}
        {%- endfor -%}
        {%- for type in scoped_types %}
            select
                '{{ channel }}' as channel,
                '{{ type }}' as identifier_type,
                {{ 'true' if type in types['usable'] else 'false' }} as is_usable,
                {{ 'true' if type in types['opt_out'] + all_channel_types else 'false' }} as is_blocked_by_opt_out
            {% if not (channel_loop.last and loop.last) %}union all{% endif %}
        {%- endfor %}
    {%- endfor %}
),

channels as (
    select distinct channel from channel_identifier_types
),

persons as (
    select distinct person_id from person_map
),

requests_until_as_of as (
    select
        requests.request_id,
        requests.identifier_type,
        requests.identifier,
        requests.request_type,
        requests.requested_at,
        {{ local_date('requests.requested_at') }} as requested_date
    from requests
    cross join as_of
    where {{ local_date('requests.requested_at') }} <= as_of.as_of_date
),

requests_ranked as (
    select
        *,
        row_number() over (
            partition by identifier_type, identifier
            order by
                requested_at desc,
                case when request_type = 'marketing_opt_out' then 0 else 1 end asc,
                request_id desc
        ) as recency_rank
    from requests_until_as_of
),

opted_out_identifiers as (
    select
        person_map.person_id,
        requests_ranked.identifier_type,
        requests_ranked.requested_date
    from requests_ranked
    inner join person_map
        on
            requests_ranked.identifier_type = person_map.identifier_type
            and requests_ranked.identifier = person_map.identifier_value
    where
        requests_ranked.recency_rank = 1
        and requests_ranked.request_type = 'marketing_opt_out'
),

channel_opt_outs as (
    select
        opted_out_identifiers.person_id,
        channel_identifier_types.channel,
        count(*) as blocking_opt_outs,
        max(opted_out_identifiers.requested_date) as latest_opt_out_date
    from opted_out_identifiers
    inner join channel_identifier_types
        on opted_out_identifiers.identifier_type = channel_identifier_types.identifier_type
    where channel_identifier_types.is_blocked_by_opt_out
    group by opted_out_identifiers.person_id, channel_identifier_types.channel
),

channel_identifiers as (
    select
        person_map.person_id,
        channel_identifier_types.channel,
        count(*) as usable_identifiers
    from person_map
    inner join channel_identifier_types
        on person_map.identifier_type = channel_identifier_types.identifier_type
    where channel_identifier_types.is_usable
    group by person_map.person_id, channel_identifier_types.channel
),

wechat_subscriptions as (
    select
        person_map.person_id,
        'wechat' as channel,
        count(case when wechat_users.is_subscribed then 1 end) as subscribed_openids,
        max(case when not coalesce(wechat_users.is_subscribed, false) then wechat_users.updated_at end)
            as latest_unsubscribed_updated_at
    from person_map
    left join wechat_users on person_map.identifier_value = wechat_users.openid
    where person_map.identifier_type = 'openid'
    group by person_map.person_id
),

person_channels as (
    select
        persons.person_id,
        channels.channel,
        coalesce(channel_identifiers.usable_identifiers, 0) as usable_identifiers,
        case
            when channels.channel = 'wechat' then coalesce(wechat_subscriptions.subscribed_openids, 0)
        end as subscribed_openids,
        coalesce(channel_opt_outs.blocking_opt_outs, 0) as blocking_opt_outs,
        channel_opt_outs.latest_opt_out_date,
        {{ local_date('wechat_subscriptions.latest_unsubscribed_updated_at') }} as latest_unsubscribed_date
    from persons
    cross join channels
    left join channel_identifiers
        on
            persons.person_id = channel_identifiers.person_id
            and channels.channel = channel_identifiers.channel
    left join channel_opt_outs
        on
            persons.person_id = channel_opt_outs.person_id
            and channels.channel = channel_opt_outs.channel
    left join wechat_subscriptions
        on
            persons.person_id = wechat_subscriptions.person_id
            and channels.channel = wechat_subscriptions.channel
),

reasons as (
    select
        *,
        case
            when usable_identifiers = 0 then 'no_identifier'
            when blocking_opt_outs > 0 then 'opted_out'
            when channel = 'wechat' and subscribed_openids = 0 then 'not_subscribed'
        end as not_contactable_reason
    from person_channels
),

final as (
    select
        reasons.person_id,
        reasons.channel,
        reasons.not_contactable_reason is null as is_contactable,
        reasons.not_contactable_reason,
        case reasons.not_contactable_reason
            when 'opted_out' then reasons.latest_opt_out_date
            when 'not_subscribed' then reasons.latest_unsubscribed_date
        end as not_contactable_since,
        reasons.usable_identifiers,
        reasons.subscribed_openids,
        reasons.blocking_opt_outs,
        as_of.as_of_date
    from reasons
    cross join as_of
)

select * from final
