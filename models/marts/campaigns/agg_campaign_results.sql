{# What each campaign added, treatment against control (intent to treat over everyone
   assigned, the same attribution window for both groups from the campaign's start):
   conversion rates, the uplift with its 95 % interval and p-value, the q-value across
   the cells looked at together, incremental orders and revenue (bootstrap interval),
   and whether the cell is too small to say anything. Computed by `int_campaign__results`
   (statsmodels, scipy); docs/campaigns.md says which statistics and why. One row per
   campaign (`scheme` = `segment_code` = `overall`) and one per campaign, scheme and
   segment, the segment being the person's on the day before the campaign started. #}

with

results as (
    select * from {{ ref('int_campaign__results') }}
),

campaigns as (
    select * from {{ ref('dim_campaign') }}
),

final as (
    select
        cast(results.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(results.scheme as {{ dbt.type_string() }}) as scheme,
        cast(results.segment_code as {{ dbt.type_string() }}) as segment_code,
        cast(results.treatment_persons as bigint) as treatment_persons,
        cast(results.control_persons as bigint) as control_persons,
        cast(results.treatment_conversions as bigint) as treatment_conversions,
        cast(results.control_conversions as bigint) as control_conversions,
        cast(results.treatment_conversion_rate as double) as treatment_conversion_rate,
        cast(results.control_conversion_rate as double) as control_conversion_rate,
        cast(results.uplift as double) as uplift,
        cast(results.uplift_ci_low as double) as uplift_ci_low,
        cast(results.uplift_ci_high as double) as uplift_ci_high,
        cast(results.p_value as double) as p_value,
        cast(results.q_value as double) as q_value,
        cast(results.relative_uplift as double) as relative_uplift,
        cast(results.relative_uplift_ci_low as double) as relative_uplift_ci_low,
        cast(results.relative_uplift_ci_high as double) as relative_uplift_ci_high,
        cast(results.incremental_orders as double) as incremental_orders,
        cast(results.incremental_revenue as double) as incremental_revenue,
        cast(results.incremental_revenue_ci_low as double) as incremental_revenue_ci_low,
        cast(results.incremental_revenue_ci_high as double) as incremental_revenue_ci_high,
        cast(results.is_small_cell as boolean) as is_small_cell,
        campaigns.is_window_complete,
        campaigns.as_of_date
    from results
    inner join campaigns on results.campaign_id = campaigns.campaign_id
)

select * from final
