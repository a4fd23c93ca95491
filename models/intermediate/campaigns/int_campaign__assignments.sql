{# One row per campaign and person assigned to it (treatment or control), with the
   person's outcome in the campaign's attribution window: the unit every campaign result
   is computed over (intent to treat: everyone assigned counts, sent, opened or not).

   - The person is the one the touch's recipient resolves to (a recipient is a send
     target: looked up, never a link). Touches whose recipient resolves to nobody are
     counted in `dim_campaign`, not here.
   - A person assigned to both groups of one campaign (two recipients of one person drawn
     apart) is `is_conflicting` and left out of the results: their group is not random.
   - The window is the same for both groups and starts at the campaign's start, not at a
     send (control persons are never sent anything): the `portrait__campaign_attribution_days`
     local dates from the start date, both ends included.
   - Conversion: at least one order placed in the window (`is_placed`, as the KPIs and
     the metric `orders` count: an online order of any status but cancelled, or a store
     receipt that is not a return); revenue is what those orders are worth today
     (`net_amount`: refunded online orders count 0).
   - Overlapping campaigns: each campaign is analysed on its own. Its groups are drawn at
     random, so whatever else reached its persons is balanced between them in
     expectation: the estimate is the campaign's effect on top of everything else. #}

{%- set window_days = var('portrait__campaign_attribution_days') | int %}

with

campaigns as (
    select * from {{ ref('stg_marketing__campaigns') }}
),

orders as (
    select * from {{ ref('int_orders_unified') }}
    where person_id is not null and is_placed
),

as_of as (
    select max(as_of_date) as as_of_date from {{ ref('int_profile__as_of_date') }}
),

resolved_touches as (
    select * from {{ ref('int_campaign__touches') }}
    where person_id is not null
),

assignments as (
    select
        campaign_id,
        person_id,
        count(*) as touches,
        count(distinct assigned_group) > 1 as is_conflicting,
        case when count(distinct assigned_group) = 1 then min(assigned_group) end as assigned_group,
        min(sent_at) as first_sent_at,
        count(opened_at) > 0 as is_opened,
        count(clicked_at) > 0 as is_clicked
    from resolved_touches
    group by campaign_id, person_id
),

windows as (
    select
        campaigns.campaign_id,
        {{ local_date('campaigns.start_at') }} as window_start_date,
        cast({{ dbt.dateadd('day', window_days - 1, local_date('campaigns.start_at')) }} as date)
            as window_end_date
    from campaigns
),

assignment_windows as (
    select
        assignments.*,
        windows.window_start_date,
        windows.window_end_date
    from assignments
    inner join windows on assignments.campaign_id = windows.campaign_id
),

outcomes as (
    select
        assignment_windows.campaign_id,
        assignment_windows.person_id,
        count(orders.order_key) as orders_in_window,
        coalesce(sum(orders.net_amount), 0) as revenue_in_window
    from assignment_windows
    inner join orders
        on
            assignment_windows.person_id = orders.person_id
            and orders.order_date between assignment_windows.window_start_date
            and assignment_windows.window_end_date
    group by assignment_windows.campaign_id, assignment_windows.person_id
),

final as (
    select
        assignment_windows.campaign_id,
        assignment_windows.person_id,
        assignment_windows.assigned_group,
        assignment_windows.is_conflicting,
        assignment_windows.touches,
        assignment_windows.first_sent_at is not null as is_sent,
        assignment_windows.is_opened,
        assignment_windows.is_clicked,
        assignment_windows.window_start_date,
        assignment_windows.window_end_date,
        assignment_windows.window_end_date <= as_of.as_of_date as is_window_complete,
        coalesce(outcomes.orders_in_window, 0) > 0 as converted,
        coalesce(outcomes.orders_in_window, 0) as orders_in_window,
        cast(coalesce(outcomes.revenue_in_window, 0) as decimal(18, 2)) as revenue_in_window
    from assignment_windows
    cross join as_of
    left join outcomes
        on
            assignment_windows.campaign_id = outcomes.campaign_id
            and assignment_windows.person_id = outcomes.person_id
)

select * from final
