{# The dates segments are evaluated on (one row per date): the as-of date (`current`),
   the last day of each of the `portrait__segment_history_months` months before it
   (`month_end`), and the day before each campaign's start within those months
   (`campaign_start`: a campaign's segments are those of the day before it began, so it
   cannot move its own). Every segment scheme is computed on every date from the raw
   history (`int_segments__inputs`), so a fresh clone has the whole history; between two
   dates a person's segment is that of the earlier one. #}

with

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

campaigns as (
    select * from {{ ref('stg_marketing__campaigns') }}
),

bounds as (
    select
        as_of_date,
        cast({{ dbt.dateadd('month', -var('portrait__segment_history_months'),
                            dbt.date_trunc('month', 'as_of_date')) }} as date) as history_start
    from as_of
),

months as (
    select
        cast(unnest(generate_series(
            cast({{ dbt.dateadd('month', 1, 'history_start') }} as date),
            cast({{ dbt.date_trunc('month', 'as_of_date') }} as date),
            interval 1 month
        )) as date) as month_start
    from bounds
),

month_ends as (
    select cast({{ dbt.dateadd('day', -1, 'month_start') }} as date) as as_of_date
    from months
),

campaign_eves as (
    select distinct cast({{ dbt.dateadd('day', -1, local_date('campaigns.start_at')) }} as date) as as_of_date
    from campaigns
    where campaigns.start_at is not null
),

candidates as (
    select
        as_of_date,
        'current' as date_kind,
        1 as kind_order
    from as_of
    union all
    select
        as_of_date,
        'month_end' as date_kind,
        2 as kind_order
    from month_ends
    union all
    select
        as_of_date,
        'campaign_start' as date_kind,
        3 as kind_order
    from campaign_eves
),

final as (
    select
        candidates.as_of_date,
        candidates.date_kind,
        candidates.date_kind = 'current' as is_current
    from candidates
    cross join bounds
    where
        candidates.as_of_date <= bounds.as_of_date
        and (candidates.as_of_date >= bounds.history_start or candidates.date_kind = 'campaign_start')
    -- a date that is both a month end and a campaign's eve is listed once, as the first kind
    qualify row_number() over (partition by candidates.as_of_date order by candidates.kind_order) = 1
)

select * from final
