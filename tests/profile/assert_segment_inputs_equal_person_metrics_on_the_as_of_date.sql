{# The segment history's inputs (`int_segments__inputs`, running totals read on each
   evaluation date) equal the person metrics (`int_person_metrics`, windows summed on the
   as-of date) on the as-of date, for every person: one definition of each input, so
   today's segments and their history agree. Fails with each person and the first input
   that differs. #}
{%- set compared = {
    'orders_lifetime': 'metrics.orders_lifetime',
    'spend_lifetime': 'metrics.spend_lifetime',
    'orders_365d': 'metrics.orders_365d',
    'spend_365d': 'metrics.spend_365d',
    'days_since_first_order': 'metrics.days_since_first_order',
    'days_since_last_order': 'metrics.days_since_last_order',
    'interest_events_90d': 'metrics.product_views_90d + metrics.searches_90d + metrics.favourites_90d'
        ~ ' + metrics.shares_90d + metrics.cart_adds_90d + metrics.content_engagements_90d',
    'events_lifetime': 'metrics.events_lifetime',
    'sessions_lifetime': 'metrics.sessions_lifetime',
    'content_engagements_lifetime': 'metrics.content_engagements_lifetime',
    'cart_adds_lifetime': 'metrics.cart_adds_lifetime',
    'shares_lifetime': 'metrics.shares_lifetime',
    'store_orders_lifetime': 'metrics.store_orders_lifetime',
    'gross_amount_lifetime': 'metrics.gross_amount_lifetime',
    'discount_amount_lifetime': 'metrics.discount_amount_lifetime',
    'first_visit_date': 'metrics.first_visit_date',
    'days_since_last_active': 'metrics.days_since_last_active',
} %}

with

inputs as (
    select * from {{ ref('int_segments__inputs') }}
    where is_current
),

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

final as (
    select
        coalesce(metrics.person_id, inputs.person_id) as person_id,
        case
            when inputs.person_id is null then 'missing from the inputs'
            when metrics.person_id is null then 'not a person of the metrics'
            {% for column, expression in compared.items() -%}
                when
                    inputs.{{ column }} <> {{ expression }}
                    or (inputs.{{ column }} is null) <> ({{ expression }} is null)
                    then '{{ column }}'
            {% endfor -%}
        end as first_difference
    from metrics
    full outer join inputs on metrics.person_id = inputs.person_id
)

select * from final
where first_difference is not null
