{# The generic test `expression_is_true` returns exactly the rows where the expression is
   false or NULL (cases 2 and 3). #}
with

cases as (
    select
        cases.case_id,
        cases.amount
    from (values (1, 1), (2, 3), (3, null)) as cases (case_id, amount)
),

failing_rows as (
    {{ test_expression_is_true(model='cases', expression='amount = case_id') }}
),

expected_failures as (
    select expected_failures.case_id
    from (values (2), (3)) as expected_failures (case_id)
),

final as (
    select coalesce(failing_rows.case_id, expected_failures.case_id) as case_id
    from failing_rows
    full outer join expected_failures
        on failing_rows.case_id = expected_failures.case_id
    where failing_rows.case_id is null or expected_failures.case_id is null
)

select * from final
