{# One row per person: behavioural, transactional, service, marketing, survey and
   demographic metrics as of `portrait__as_of_date`, over the windows of
   `portrait__metric_windows` (7/30/90/365 days, as-of day included) and lifetime.
   Windowed metrics are named `<measure>_<window>` (`orders_30d`, `spend_lifetime`) and
   add up the daily rollups, so a new day never rescans history. Tag rules and segment
   schemes read only this model. PII layer (intermediate): no raw identifiers, but
   demographics. #}
{%- set windows = all_windows() %}
{%- set activity_measures = ['events'] + (event_measures().keys() | list)
    + ['sessions', 'session_seconds', 'visit_days'] %}
{%- set count_measures = ['orders', 'online_orders', 'store_orders', 'refunds', 'orders_placed'] %}
{%- set amount_measures = ['spend', 'online_spend', 'store_spend', 'gross_amount', 'discount_amount'] %}

with

as_of as (
    select
        as_of_date,
        {% for window in metric_windows() -%}
            {{ dbt.dateadd('day', 1 - window, 'as_of_date') }} as window_start_{{ window }}d,
        {% endfor -%}
        {{ dbt.dateadd('day', 1, 'as_of_date') }} as day_after_as_of
    from {{ ref('int_profile__as_of_date') }}
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

daily_activity as (
    select * from {{ ref('int_person_daily_activity') }}
),

daily_orders as (
    select * from {{ ref('int_person_daily_orders') }}
),

daily_interests as (
    select * from {{ ref('int_person_daily_interests') }}
),

orders as (
    select * from {{ ref('int_orders_unified') }}
    where person_id is not null
),

tickets as (
    select * from {{ ref('int_service_tickets_persons_attached') }}
    where person_id is not null
),

touches as (
    select * from {{ ref('int_campaign_touches_persons_attached') }}
),

surveys as (
    select * from {{ ref('int_survey_responses_persons_attached') }}
    where person_id is not null
),

members as (
    select * from {{ ref('stg_crm__members') }}
),

city_tiers as (
    select * from {{ ref('city_tiers') }}
),

persons as (
    select distinct person_id from person_map
),

activity_in_range as (
    select
        daily_activity.*,
        as_of.*,
        case when daily_activity.sessions > 0 then 1 else 0 end as visit_days
    from daily_activity
    cross join as_of
    where daily_activity.activity_date <= as_of.as_of_date
),

activity_windows as (
    select
        person_id,
        {% for window in windows -%}
            {% for measure in activity_measures -%}
                {{ windowed_sum(measure, window) }} as {{ measure }}_{{ window_suffix(window) }},
            {% endfor -%}
        {% endfor -%}
        sum(events_on_weekend) as events_on_weekend_lifetime,
        min(activity_date) as first_visit_date,
        max(case when sessions > 0 then activity_date end) as last_visit_date
    from activity_in_range
    group by person_id
),

{#- Preferred platform and daypart: the one with the most events; ties go to the
    earlier in `event_platforms()` / `dayparts()` order. -#}
{%- set preferences = {'platform': event_platforms(), 'daypart': dayparts()} %}

preference_counts as (
    {% for preference, labels in preferences.items() -%}
        {% set outer_loop = loop -%}
        {% for label in labels -%}
            select
                person_id,
                '{{ preference }}' as preference,
                '{{ label }}' as preference_value,
                {{ loop.index }} as tie_order,
                sum(events_{{ 'on' if preference == 'platform' else 'in' }}_{{ label }}) as events
            from activity_in_range
            group by person_id
            {% if not (loop.last and outer_loop.last) %}union all{% endif %}
        {% endfor -%}
    {% endfor %}
),

preferences_ranked as (
    select
        *,
        row_number() over (
            partition by person_id, preference
            order by events desc, tie_order asc
        ) as preference_rank
    from preference_counts
    where events > 0
),

preferred as (
    select
        person_id,
        max(case when preference = 'platform' then preference_value end) as preferred_platform,
        max(case when preference = 'daypart' then preference_value end) as preferred_daypart
    from preferences_ranked
    where preference_rank = 1
    group by person_id
),

orders_in_range as (
    select
        daily_orders.*,
        as_of.*
    from daily_orders
    cross join as_of
    where daily_orders.activity_date <= as_of.as_of_date
),

order_windows as (
    select
        person_id,
        {% for window in windows -%}
            {% for measure in count_measures + amount_measures -%}
                {{ windowed_sum(measure, window) }} as {{ measure }}_{{ window_suffix(window) }},
            {% endfor -%}
        {% endfor -%}
        min(case when orders > 0 then activity_date end) as first_order_date,
        max(case when orders > 0 then activity_date end) as last_order_date
    from orders_in_range
    group by person_id
),

active_dates as (
    select
        person_id,
        activity_date
    from activity_in_range
    union
    select
        person_id,
        activity_date
    from orders_in_range
),

active_day_windows as (
    select
        active_dates.person_id,
        {% for window in windows -%}
            {{ windowed_sum('1', window) }} as active_days_{{ window_suffix(window) }},
        {% endfor -%}
        max(active_dates.activity_date) as last_active_date
    from active_dates
    cross join as_of
    group by active_dates.person_id
),

purchase_dates as (
    select distinct
        orders.person_id,
        orders.order_date
    from orders
    cross join as_of
    where orders.is_purchase and orders.order_date <= as_of.as_of_date
),

purchase_gaps as (
    select
        person_id,
        order_date,
        lag(order_date) over (partition by person_id order by order_date) as previous_order_date
    from purchase_dates
),

order_intervals as (
    select
        person_id,
        {{ median_of(dbt.datediff('previous_order_date', 'order_date', 'day')) }} as median_days_between_orders
    from purchase_gaps
    where previous_order_date is not null
    group by person_id
),

interests_in_range as (
    select
        daily_interests.*,
        as_of.*,
        case
            when daily_interests.product_views > 0 or daily_interests.spend > 0
                then daily_interests.interest_value
        end as category_seen,
        {{ days_before('daily_interests.activity_date', 'as_of.as_of_date') }} as age_days
    from daily_interests
    cross join as_of
    where daily_interests.activity_date <= as_of.as_of_date
),

category_windows as (
    select
        person_id,
        {% for window in windows -%}
            count(distinct case when {{ in_window(window) }} then category_seen end)
                as distinct_categories_{{ window_suffix(window) }},
        {% endfor -%}
        max(activity_date) as last_interest_date
    from interests_in_range
    where interest_type = 'category'
    group by person_id
),

{#- Top interests: the value with the highest score (ties: alphabetical). Decayed scores
    are summed as exact decimals: a sum of doubles depends on the order rows arrive in,
    and the score and the winner must not change with it. -#}
{%- set decayed = 'cast(interaction_score * ' ~ decay_weight('age_days') ~ ' as decimal(38, 12))' %}
{%- set rankings = {
    'top_category_by_views_30d': ('category', 30, 'product_views'),
    'top_category_by_views_365d': ('category', 365, 'product_views'),
    'top_category_by_spend_365d': ('category', 365, 'spend'),
    'top_category_by_spend_lifetime': ('category', 'lifetime', 'spend'),
    'top_category_affinity': ('category', 'lifetime', decayed),
    'top_content_type_affinity': ('content_type', 'lifetime', decayed),
} %}

interest_scores as (
    {% for name, (interest_type, window, score) in rankings.items() -%}
        select
            person_id,
            '{{ name }}' as ranking,
            interest_value,
            sum({{ score }}) as score
        from interests_in_range
        where interest_type = '{{ interest_type }}' and {{ in_window(window) }}
        group by person_id, interest_value
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

interest_ranked as (
    select
        *,
        row_number() over (partition by person_id, ranking order by score desc, interest_value asc) as score_rank
    from interest_scores
    where score > 0
),

top_interests as (
    select
        person_id,
        {% for name in rankings -%}
            max(case when ranking = '{{ name }}' then interest_value end) as {{ name }},
        {% endfor -%}
        max(case when ranking = 'top_category_affinity' then score end) as top_category_affinity_score,
        max(case when ranking = 'top_content_type_affinity' then score end) as top_content_type_affinity_score
    from interest_ranked
    where score_rank = 1
    group by person_id
),

ticket_metrics as (
    select
        tickets.person_id,
        {{ windowed_sum('1', 365, 'created_date') }} as tickets_365d,
        count(*) as tickets_lifetime,
        {{ windowed_sum('case when is_complaint then 1 else 0 end', 365, 'created_date') }} as complaints_365d,
        sum(case when tickets.is_complaint then 1 else 0 end) as complaints_lifetime,
        avg(cast(tickets.satisfaction as double)) as avg_satisfaction_lifetime
    from tickets
    cross join as_of
    where tickets.created_date <= as_of.as_of_date
    group by tickets.person_id
),

touch_metrics as (
    select
        touches.person_id,
        {% for window in [90, 'lifetime'] -%}
            {{ windowed_sum('1', window, 'sent_date') }} as campaign_sends_{{ window_suffix(window) }},
            {{ windowed_sum('case when is_opened then 1 else 0 end', window, 'sent_date') }}
                as campaign_opens_{{ window_suffix(window) }},
            {{ windowed_sum('case when is_clicked then 1 else 0 end', window, 'sent_date') }}
                as campaign_clicks_{{ window_suffix(window) }},
        {% endfor -%}
        max(touches.sent_date) as last_campaign_send_date
    from touches
    cross join as_of
    where touches.sent_date <= as_of.as_of_date
    group by touches.person_id
),

latest_surveys as (
    select
        surveys.*,
        row_number() over (
            partition by surveys.person_id
            order by surveys.submitted_at desc, surveys.response_id desc
        ) as recency_rank
    from surveys
    cross join as_of
    where surveys.submitted_date <= as_of.as_of_date
),

member_persons as (
    select
        member_map.person_id,
        members.gender,
        members.city,
        members.register_channel,
        {{ age_in_years('members.birth_date', 'as_of.as_of_date') }} as age_years,
        {{ local_date('members.registered_at') }} as member_since_date,
        row_number() over (
            partition by member_map.person_id
            order by members.updated_at desc, members.member_id asc
        ) as recency_rank
    from members
    cross join as_of
    inner join person_map as member_map
        on
            member_map.identifier_type = 'member_id'
            and members.member_id = member_map.identifier_value
),

order_cities as (
    select
        orders.person_id,
        orders.city,
        row_number() over (partition by orders.person_id order by count(*) desc, orders.city asc) as frequency_rank
    from orders
    cross join as_of
    where orders.city is not null and orders.order_date <= as_of.as_of_date
    group by orders.person_id, orders.city
),

demographics as (
    select
        persons.person_id,
        coalesce(member_persons.gender, 'unknown') as gender,
        case
            when member_persons.age_years is null then latest_surveys.age_band
            when member_persons.age_years < 18 then '<18'
            when member_persons.age_years < 25 then '18-24'
            when member_persons.age_years < 35 then '25-34'
            when member_persons.age_years < 45 then '35-44'
            when member_persons.age_years < 55 then '45-54'
            else '55+'
        end as age_band,
        coalesce(member_persons.city, order_cities.city) as city,
        member_persons.register_channel,
        latest_surveys.income_band,
        latest_surveys.interests as stated_interests,
        latest_surveys.nps as latest_nps,
        member_persons.person_id is not null as is_member,
        member_persons.member_since_date
    from persons
    left join member_persons
        on persons.person_id = member_persons.person_id and member_persons.recency_rank = 1
    left join latest_surveys
        on persons.person_id = latest_surveys.person_id and latest_surveys.recency_rank = 1
    left join order_cities
        on persons.person_id = order_cities.person_id and order_cities.frequency_rank = 1
),

combined as (
    select
        demographics.*,
        city_tiers.city_tier,
        as_of.as_of_date,
        {% for window in windows -%}
            {%- set suffix = window_suffix(window) %}
            {% for measure in activity_measures -%}
                coalesce(activity_windows.{{ measure }}_{{ suffix }}, 0) as {{ measure }}_{{ suffix }},
            {% endfor -%}
            {% for measure in count_measures + amount_measures -%}
                coalesce(order_windows.{{ measure }}_{{ suffix }}, 0) as {{ measure }}_{{ suffix }},
            {% endfor -%}
            coalesce(active_day_windows.active_days_{{ suffix }}, 0) as active_days_{{ suffix }},
            coalesce(category_windows.distinct_categories_{{ suffix }}, 0) as distinct_categories_{{ suffix }},
        {% endfor -%}
        activity_windows.events_on_weekend_lifetime,
        activity_windows.first_visit_date,
        activity_windows.last_visit_date,
        order_windows.first_order_date,
        order_windows.last_order_date,
        active_day_windows.last_active_date,
        preferred.preferred_platform,
        preferred.preferred_daypart,
        order_intervals.median_days_between_orders,
        {% for name in rankings -%}
            top_interests.{{ name }},
        {% endfor -%}
        top_interests.top_category_affinity_score,
        top_interests.top_content_type_affinity_score,
        coalesce(ticket_metrics.tickets_365d, 0) as tickets_365d,
        coalesce(ticket_metrics.tickets_lifetime, 0) as tickets_lifetime,
        coalesce(ticket_metrics.complaints_365d, 0) as complaints_365d,
        coalesce(ticket_metrics.complaints_lifetime, 0) as complaints_lifetime,
        ticket_metrics.avg_satisfaction_lifetime,
        {% for window in [90, 'lifetime'] -%}
            {% for measure in ['sends', 'opens', 'clicks'] -%}
                coalesce(touch_metrics.campaign_{{ measure }}_{{ window_suffix(window) }}, 0)
                    as campaign_{{ measure }}_{{ window_suffix(window) }},
            {% endfor -%}
        {% endfor -%}
        persons.person_id as metrics_person_id
    from persons
    cross join as_of
    left join demographics on persons.person_id = demographics.person_id
    left join city_tiers on demographics.city = city_tiers.city
    left join activity_windows on persons.person_id = activity_windows.person_id
    left join preferred on persons.person_id = preferred.person_id
    left join order_windows on persons.person_id = order_windows.person_id
    left join active_day_windows on persons.person_id = active_day_windows.person_id
    left join category_windows on persons.person_id = category_windows.person_id
    left join order_intervals on persons.person_id = order_intervals.person_id
    left join top_interests on persons.person_id = top_interests.person_id
    left join ticket_metrics on persons.person_id = ticket_metrics.person_id
    left join touch_metrics on persons.person_id = touch_metrics.person_id
),

final as (
    select
        metrics_person_id as person_id,
        gender,
        age_band,
        city,
        city_tier,
        register_channel,
        income_band,
        stated_interests,
        {% for window in windows -%}
            {%- set suffix = window_suffix(window) %}
            {% for measure in activity_measures + count_measures + ['active_days', 'distinct_categories'] -%}
                {% if measure != 'orders_placed' -%}
                    cast({{ measure }}_{{ suffix }} as bigint) as {{ measure }}_{{ suffix }},
                {% endif -%}
            {% endfor -%}
            {% for measure in amount_measures -%}
                cast({{ measure }}_{{ suffix }} as decimal(18, 2)) as {{ measure }}_{{ suffix }},
            {% endfor -%}
            {{ safe_divide('spend_' ~ suffix, 'orders_' ~ suffix) }} as avg_order_value_{{ suffix }},
            {{ safe_divide('discount_amount_' ~ suffix, 'gross_amount_' ~ suffix) }} as discount_share_{{ suffix }},
            {{ safe_divide('refunds_' ~ suffix, 'orders_placed_' ~ suffix) }} as refund_rate_{{ suffix }},
            {{ safe_divide('session_seconds_' ~ suffix, 'sessions_' ~ suffix) }} as avg_session_seconds_{{ suffix }},
        {% endfor -%}
        top_category_by_views_30d,
        top_category_by_views_365d,
        top_category_by_spend_365d,
        top_category_by_spend_lifetime,
        top_category_affinity,
        cast(top_category_affinity_score as double) as top_category_affinity_score,
        top_content_type_affinity,
        cast(top_content_type_affinity_score as double) as top_content_type_affinity_score,
        preferred_platform,
        {{ safe_divide('store_orders_lifetime', 'orders_lifetime') }} as store_order_share_lifetime,
        case
            when orders_lifetime = 0 then 'none'
            when store_orders_lifetime = 0 then 'online_only'
            when online_orders_lifetime = 0 then 'store_only'
            else 'omnichannel'
        end as shopping_channel_mix,
        preferred_daypart,
        {{ safe_divide('events_on_weekend_lifetime', 'events_lifetime') }} as weekend_event_share_lifetime,
        cast(median_days_between_orders as double) as median_days_between_orders,
        cast(tickets_365d as bigint) as tickets_365d,
        cast(tickets_lifetime as bigint) as tickets_lifetime,
        cast(complaints_365d as bigint) as complaints_365d,
        cast(complaints_lifetime as bigint) as complaints_lifetime,
        avg_satisfaction_lifetime,
        cast(campaign_sends_90d as bigint) as campaign_sends_90d,
        {{ safe_divide('campaign_opens_90d', 'campaign_sends_90d') }} as campaign_open_rate_90d,
        {{ safe_divide('campaign_clicks_90d', 'campaign_sends_90d') }} as campaign_click_rate_90d,
        cast(campaign_sends_lifetime as bigint) as campaign_sends_lifetime,
        {{ safe_divide('campaign_opens_lifetime', 'campaign_sends_lifetime') }} as campaign_open_rate_lifetime,
        {{ safe_divide('campaign_clicks_lifetime', 'campaign_sends_lifetime') }} as campaign_click_rate_lifetime,
        latest_nps,
        {{ days_before('last_visit_date', 'as_of_date') }} as days_since_last_visit,
        {{ days_before('last_order_date', 'as_of_date') }} as days_since_last_order,
        {{ days_before('first_order_date', 'as_of_date') }} as days_since_first_order,
        {{ days_before('last_active_date', 'as_of_date') }} as days_since_last_active,
        {{ days_before('first_visit_date', 'as_of_date') }} as days_since_first_visit,
        {{ days_before('member_since_date', 'as_of_date') }} as member_tenure_days,
        coalesce(is_member, false) as is_member,
        as_of_date,
        member_since_date,
        first_visit_date,
        last_visit_date,
        first_order_date,
        last_order_date
    from combined
)

select * from final
