{# How many persons moved from which segment to which, per scheme and month (the
   consecutive month ends of `int_segments__as_of_dates`, the last period ending on the
   as-of date): "who moved from loyal to at risk since last month" without a self-join.
   `from_segment` is `not_seen` for persons first seen during the period. Staying in a
   segment is a row too (`from_segment = to_segment`), so each period's rows add up to the
   persons at its end. #}

with

by_date as (
    select * from {{ ref('int_segments__by_date') }}
    where date_kind in ('month_end', 'current')
),

period_dates as (
    select
        as_of_date as period_end,
        lag(as_of_date) over (order by as_of_date) as period_start
    from (select distinct as_of_date from by_date) as evaluated
),

moves as (
    select
        period_dates.period_start,
        period_dates.period_end,
        period_ends.scheme,
        coalesce(period_starts.segment_code, 'not_seen') as from_segment,
        period_ends.segment_code as to_segment,
        period_starts.segment_name_zh as from_segment_name_zh,
        period_starts.segment_name_en as from_segment_name_en,
        period_ends.segment_name_zh as to_segment_name_zh,
        period_ends.segment_name_en as to_segment_name_en,
        period_ends.person_id
    from by_date as period_ends
    inner join period_dates on period_ends.as_of_date = period_dates.period_end
    left join by_date as period_starts
        on
            period_ends.person_id = period_starts.person_id
            and period_ends.scheme = period_starts.scheme
            and period_dates.period_start = period_starts.as_of_date
    where period_dates.period_start is not null
),

final as (
    select
        scheme,
        strftime(period_end, '%Y-%m') as period,
        period_start,
        period_end,
        from_segment,
        to_segment,
        any_value(from_segment_name_zh) as from_segment_name_zh,
        any_value(from_segment_name_en) as from_segment_name_en,
        any_value(to_segment_name_zh) as to_segment_name_zh,
        any_value(to_segment_name_en) as to_segment_name_en,
        count(*) as persons
    from moves
    group by scheme, period, period_start, period_end, from_segment, to_segment
)

select * from final
