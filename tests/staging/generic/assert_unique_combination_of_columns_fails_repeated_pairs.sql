{# The generic test `unique_combination_of_columns` fails exactly the repeated pair
   (O1, 1); (O1, 2) and (O2, 1) share one column each and pass. #}
with

cases as (
    select
        cases.order_id,
        cases.line_no
    from (values ('O1', 1), ('O1', 1), ('O1', 2), ('O2', 1)) as cases (order_id, line_no)
),

failing_rows as (
    {{ test_unique_combination_of_columns(model='cases', combination_of_columns=['order_id', 'line_no']) }}
),

final as (
    select
        order_id,
        line_no,
        duplicate_rows
    from failing_rows
    where not (order_id = 'O1' and line_no = 1 and duplicate_rows = 2)
    union all
    select
        'O1' as order_id,
        1 as line_no,
        0 as duplicate_rows
    where (select count(*) from failing_rows) != 1
)

select * from final
