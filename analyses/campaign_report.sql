{# Campaign report: what each campaign whose attribution window has closed added, best
   first by incremental revenue, with the uplift's 95 % interval, its p-value and q-value,
   and what reached whom (sends, opens, clicks among treatment persons). Small cells are
   kept and marked. Reads the campaign marts. Compile with
   `dbt compile --select campaign_report` and run the SQL in target/compiled. #}

with

campaigns as (
    select * from {{ ref('dim_campaign') }}
),

results as (
    select * from {{ ref('agg_campaign_results') }}
    where scheme = 'overall'
),

touches as (
    select * from {{ ref('fct_campaign_touches') }}
),

engagement as (
    select
        campaign_id,
        count(distinct person_id) filter (where is_sent) as persons_sent,
        count(distinct person_id) filter (where is_opened) as persons_opened,
        count(distinct person_id) filter (where is_clicked) as persons_clicked
    from touches
    where assigned_group = 'treatment'
    group by campaign_id
),

final as (
    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.channel,
        campaigns.objective,
        campaigns.start_date,
        results.treatment_persons,
        results.control_persons,
        engagement.persons_opened,
        engagement.persons_clicked,
        round(results.treatment_conversion_rate, 4) as treatment_rate,
        round(results.control_conversion_rate, 4) as control_rate,
        round(results.uplift, 4) as uplift,
        round(results.uplift_ci_low, 4) as uplift_ci_low,
        round(results.uplift_ci_high, 4) as uplift_ci_high,
        round(results.p_value, 4) as p_value,
        round(results.q_value, 4) as q_value,
        round(results.incremental_revenue, 0) as incremental_revenue,
        round(results.incremental_revenue_ci_low, 0) as incremental_revenue_ci_low,
        round(results.incremental_revenue_ci_high, 0) as incremental_revenue_ci_high,
        case
            when results.is_small_cell then 'too small to say'
            when results.q_value < 0.05 and results.uplift > 0 then 'added conversions'
            when results.q_value < 0.05 and results.uplift < 0 then 'cost conversions'
            else 'no clear effect'
        end as verdict
    from campaigns
    inner join results on campaigns.campaign_id = results.campaign_id
    left join engagement on campaigns.campaign_id = engagement.campaign_id
    where campaigns.is_window_complete
)

select * from final
order by incremental_revenue desc
