{# RFM scheme: buyers get quintile scores (1-5, ties share a score) for recency (days
   since the last order; more recent scores higher), frequency (lifetime orders) and
   monetary value (lifetime net spend); the recency score and the half-up mean of
   frequency and monetary (`fm_score`) pick one of eleven named segments from the seed
   `rfm_segment_grid`. Persons who never bought are `no_purchase`. `score` is the
   three-digit RFM code (e.g. 545). Scored on every evaluation date
   (`int_segments__as_of_dates`), each date's buyers ranked among themselves. #}

with

inputs as (
    select * from {{ ref('int_segments__inputs') }}
),

grid as (
    select * from {{ ref('rfm_segment_grid') }}
),

buyers as (
    select
        person_id,
        as_of_date,
        days_since_last_order,
        orders_lifetime,
        spend_lifetime
    from inputs
    where orders_lifetime > 0
),

scored as (
    select
        person_id,
        as_of_date,
        {{ quintile_score('days_since_last_order desc', 'as_of_date') }} as r_score,
        {{ quintile_score('orders_lifetime', 'as_of_date') }} as f_score,
        {{ quintile_score('spend_lifetime', 'as_of_date') }} as m_score
    from buyers
),

with_fm as (
    select
        *,
        cast(floor((f_score + m_score + 1) / 2.0) as integer) as fm_score
    from scored
),

final as (
    select
        inputs.person_id,
        inputs.as_of_date,
        'rfm' as scheme,
        coalesce(grid.segment_code, 'no_purchase') as segment_code,
        with_fm.r_score,
        with_fm.f_score,
        with_fm.m_score,
        with_fm.fm_score,
        cast(with_fm.r_score * 100 + with_fm.f_score * 10 + with_fm.m_score as double) as score
    from inputs
    left join with_fm on inputs.person_id = with_fm.person_id and inputs.as_of_date = with_fm.as_of_date
    left join grid
        on
            with_fm.r_score = grid.r_score
            and with_fm.fm_score = grid.fm_score
)

select * from final
