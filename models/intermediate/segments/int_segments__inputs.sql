{# Per person and evaluation date (`int_segments__as_of_dates`), what the segment schemes
   and the persona features read: lifetime and 365-day orders and net spend, first and
   last purchase dates, interest behaviour of the last 90 days, and the lifetime totals
   behind the persona features (events, sessions, funnel and channel counts, gross and
   discount amounts, basket lines), each defined as in `int_person_metrics` (a test holds
   them equal on the as-of date). A person is listed from the first date they were seen
   (first visit, order or membership; persons with none of these on every date), and
   every person on the as-of date.

   Each daily rollup is summed once, cumulatively per person; the value on a date D is the
   running total of the person's last day on or before D (a day's interval of validity
   joined to the dates), and a window of N days is the running total on D less that on
   D - N. So the cost grows with the days of activity plus persons times dates, not with
   their product. #}
{%- set interest_measures = ['product_views', 'searches', 'favourites', 'shares', 'cart_adds',
                             'content_engagements'] %}
{%- set activity_totals = ['events', 'sessions', 'content_engagements', 'cart_adds', 'shares',
                           'events_on_miniprogram', 'events_in_evening'] %}
{%- set line_totals = ['counted_lines', 'counted_orders', 'units', 'line_amount'] %}

with

dates as (
    select * from {{ ref('int_segments__as_of_dates') }}
),

daily_orders as (
    select * from {{ ref('int_person_daily_orders') }}
),

daily_activity as (
    select * from {{ ref('int_person_daily_activity') }}
),

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_unified') }}
    where is_counted and person_id is not null
),

daily_lines as (
    select
        person_id,
        order_date as activity_date,
        count(*) as counted_lines,
        count(distinct order_key) as counted_orders,
        sum(quantity) as units,
        sum(line_amount) as line_amount
    from order_lines
    group by person_id, order_date
),

lookups as (
    {#- each date, and the two earlier dates whose totals a window subtracts -#}
    select
        as_of_date,
        as_of_date as lookup_date,
        'at' as lookup
    from dates
    union all
    select
        as_of_date,
        cast({{ dbt.dateadd('day', -365, 'as_of_date') }} as date) as lookup_date,
        'before_365d' as lookup
    from dates
    union all
    select
        as_of_date,
        cast({{ dbt.dateadd('day', -90, 'as_of_date') }} as date) as lookup_date,
        'before_90d' as lookup
    from dates
),

order_running as (
    select
        person_id,
        activity_date,
        lead(activity_date) over (partition by person_id order by activity_date) as next_activity_date,
        sum(orders) over running as orders_total,
        sum(spend) over running as spend_total,
        sum(store_orders) over running as store_orders_total,
        sum(gross_amount) over running as gross_amount_total,
        sum(discount_amount) over running as discount_amount_total,
        min(case when orders > 0 then activity_date end) over running as first_order_date,
        max(case when orders > 0 then activity_date end) over running as last_order_date
    from daily_orders
    window running as (partition by person_id order by activity_date rows unbounded preceding)
),

activity_running as (
    select
        person_id,
        activity_date,
        lead(activity_date) over (partition by person_id order by activity_date) as next_activity_date,
        sum({{ interest_measures | join(' + ') }}) over running as interest_events_total,
        {% for measure in activity_totals -%}
            sum({{ measure }}) over running as {{ measure }}_total,
        {% endfor -%}
        min(activity_date) over running as first_visit_date
    from daily_activity
    window running as (partition by person_id order by activity_date rows unbounded preceding)
),

line_running as (
    select
        person_id,
        activity_date,
        {% for measure in line_totals -%}
            sum({{ measure }}) over running as {{ measure }}_total,
        {% endfor -%}
        lead(activity_date) over (partition by person_id order by activity_date) as next_activity_date
    from daily_lines
    window running as (partition by person_id order by activity_date rows unbounded preceding)
),

lines_on as (
    select
        lookups.as_of_date,
        line_running.*
    from lookups
    inner join line_running
        on
            lookups.lookup_date >= line_running.activity_date
            and (lookups.lookup_date < line_running.next_activity_date or line_running.next_activity_date is null)
    where lookups.lookup = 'at'
),

orders_on as (
    select
        lookups.as_of_date,
        lookups.lookup,
        order_running.person_id,
        order_running.activity_date,
        order_running.orders_total,
        order_running.spend_total,
        order_running.store_orders_total,
        order_running.gross_amount_total,
        order_running.discount_amount_total,
        order_running.first_order_date,
        order_running.last_order_date
    from lookups
    inner join order_running
        on
            lookups.lookup_date >= order_running.activity_date
            and (lookups.lookup_date < order_running.next_activity_date or order_running.next_activity_date is null)
    where lookups.lookup in ('at', 'before_365d')
),

activity_on as (
    select
        lookups.as_of_date,
        lookups.lookup,
        activity_running.person_id,
        activity_running.activity_date,
        activity_running.interest_events_total,
        {% for measure in activity_totals -%}
            activity_running.{{ measure }}_total,
        {% endfor -%}
        activity_running.first_visit_date
    from lookups
    inner join activity_running
        on
            lookups.lookup_date >= activity_running.activity_date
            and (
                lookups.lookup_date < activity_running.next_activity_date
                or activity_running.next_activity_date is null
            )
    where lookups.lookup in ('at', 'before_90d')
),

order_inputs as (
    select
        as_of_date,
        person_id,
        sum(case when lookup = 'at' then orders_total else 0 end) as orders_lifetime,
        sum(case when lookup = 'at' then spend_total else 0 end) as spend_lifetime,
        sum(case when lookup = 'at' then orders_total else -orders_total end) as orders_365d,
        sum(case when lookup = 'at' then spend_total else -spend_total end) as spend_365d,
        sum(case when lookup = 'at' then store_orders_total else 0 end) as store_orders_lifetime,
        sum(case when lookup = 'at' then gross_amount_total else 0 end) as gross_amount_lifetime,
        sum(case when lookup = 'at' then discount_amount_total else 0 end) as discount_amount_lifetime,
        max(case when lookup = 'at' then first_order_date end) as first_order_date,
        max(case when lookup = 'at' then last_order_date end) as last_order_date,
        max(case when lookup = 'at' then activity_date end) as last_order_activity_date
    from orders_on
    group by as_of_date, person_id
),

activity_inputs as (
    select
        as_of_date,
        person_id,
        sum(case when lookup = 'at' then interest_events_total else -interest_events_total end)
            as interest_events_90d,
        {% for measure in activity_totals -%}
            sum(case when lookup = 'at' then {{ measure }}_total else 0 end) as {{ measure }}_lifetime,
        {% endfor -%}
        max(case when lookup = 'at' then first_visit_date end) as first_visit_date,
        max(case when lookup = 'at' then activity_date end) as last_activity_date
    from activity_on
    group by as_of_date, person_id
),

persons as (
    select
        person_id,
        least(first_visit_date, first_order_date, member_since_date) as first_seen_date
    from metrics
),

final as (
    select
        persons.person_id,
        dates.as_of_date,
        dates.is_current,
        cast(coalesce(order_inputs.orders_lifetime, 0) as bigint) as orders_lifetime,
        cast(coalesce(order_inputs.spend_lifetime, 0) as decimal(18, 2)) as spend_lifetime,
        cast(coalesce(order_inputs.orders_365d, 0) as bigint) as orders_365d,
        cast(coalesce(order_inputs.spend_365d, 0) as decimal(18, 2)) as spend_365d,
        order_inputs.first_order_date,
        order_inputs.last_order_date,
        {{ days_before('order_inputs.first_order_date', 'dates.as_of_date') }} as days_since_first_order,
        {{ days_before('order_inputs.last_order_date', 'dates.as_of_date') }} as days_since_last_order,
        cast(coalesce(activity_inputs.interest_events_90d, 0) as bigint) as interest_events_90d,
        {% for measure in activity_totals -%}
            cast(coalesce(activity_inputs.{{ measure }}_lifetime, 0) as bigint) as {{ measure }}_lifetime,
        {% endfor -%}
        cast(coalesce(order_inputs.store_orders_lifetime, 0) as bigint) as store_orders_lifetime,
        cast(coalesce(order_inputs.gross_amount_lifetime, 0) as decimal(18, 2)) as gross_amount_lifetime,
        cast(coalesce(order_inputs.discount_amount_lifetime, 0) as decimal(18, 2)) as discount_amount_lifetime,
        {% for measure in line_totals -%}
            lines_on.{{ measure }}_total as {{ measure }}_lifetime,
        {% endfor -%}
        activity_inputs.first_visit_date,
        greatest(activity_inputs.last_activity_date, order_inputs.last_order_activity_date) as last_active_date,
        {{ days_before('activity_inputs.first_visit_date', 'dates.as_of_date') }} as days_since_first_visit,
        {{ days_before('greatest(activity_inputs.last_activity_date, order_inputs.last_order_activity_date)',
                       'dates.as_of_date') }} as days_since_last_active
    from persons
    inner join dates
        on
            dates.is_current
            or persons.first_seen_date <= dates.as_of_date
            or persons.first_seen_date is null
    left join order_inputs
        on persons.person_id = order_inputs.person_id and dates.as_of_date = order_inputs.as_of_date
    left join activity_inputs
        on persons.person_id = activity_inputs.person_id and dates.as_of_date = activity_inputs.as_of_date
    left join lines_on
        on persons.person_id = lines_on.person_id and dates.as_of_date = lines_on.as_of_date
)

select * from final
