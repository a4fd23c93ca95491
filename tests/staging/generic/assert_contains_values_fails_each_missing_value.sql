{# The generic test `contains_values` returns one row per expected value that does not
   occur (`c`), and nothing for values that occur (`a`, `b`). #}
with

cases as (
    select cases.letter
    from (values ('a'), ('b'), ('b'), ('x')) as cases (letter)
),

failing_rows as (
    {{ test_contains_values(model='cases', column_name='letter', values=['a', 'b', 'c']) }}
),

final as (
    select missing_value
    from failing_rows
    where missing_value != 'c'
    union all
    select 'c' as missing_value
    where 'c' not in (select missing_value from failing_rows)
)

select * from final
