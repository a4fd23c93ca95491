{# The generic test `accepted_range` fails values outside [1, 5] (0 and 6) and passes the
   bounds themselves and NULL; with one bound only, only that side is checked. #}
with

cases as (
    select cases.score
    from (values (0), (1), (5), (6), (null)) as cases (score)
),

failing_both_bounds as (
    {{ test_accepted_range(model='cases', column_name='score', min_value=1, max_value=5) }}
),

failing_lower_bound as (
    {{ test_accepted_range(model='cases', column_name='score', min_value=1) }}
),

failures as (
    select
        'both bounds' as check_name,
        string_agg(cast(score as {{ dbt.type_string() }}), ',' order by score) as failing_scores,
        '0,6' as expected_scores
    from failing_both_bounds
    union all
    select
        'lower bound only' as check_name,
        string_agg(cast(score as {{ dbt.type_string() }}), ',' order by score) as failing_scores,
        '0' as expected_scores
    from failing_lower_bound
),

final as (
    select check_name
    from failures
    where failing_scores is distinct from expected_scores
)

select * from final
