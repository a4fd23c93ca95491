{# The RFM grid seed names a defined `rfm` segment for every one of the 25 (R, FM) cells,
   so every buyer gets one of the eleven named segments. Fails with each uncovered cell. #}

with

grid as (
    select * from {{ ref('rfm_segment_grid') }}
),

definitions as (
    select * from {{ ref('segment_definitions') }}
    where scheme = 'rfm'
),

scores as (
    {% for score in range(1, 6) -%}
        select {{ score }} as score
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

cells as (
    select
        recency.score as r_score,
        frequency_monetary.score as fm_score
    from scores as recency
    cross join scores as frequency_monetary
),

final as (
    select
        cells.r_score,
        cells.fm_score,
        grid.segment_code
    from cells
    left join grid
        on cells.r_score = grid.r_score and cells.fm_score = grid.fm_score
    left join definitions on grid.segment_code = definitions.segment_code
    where definitions.segment_code is null
)

select * from final
