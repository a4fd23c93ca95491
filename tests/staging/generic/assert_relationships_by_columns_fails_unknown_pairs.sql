{# The generic test `relationships_by_columns` fails exactly the child pair (rfm, gone)
   that has no parent; (rfm, new) exists and (NULL, x) is not checked. #}
with

parents as (
    select
        parents.scheme,
        parents.segment_code
    from (values ('rfm', 'new'), ('aipl', 'gone')) as parents (scheme, segment_code)
),

children as (
    select
        children.scheme,
        children.segment_code
    from (values ('rfm', 'new'), ('rfm', 'gone'), (null, 'x')) as children (scheme, segment_code)
),

failing_rows as (
    {{ test_relationships_by_columns(model='children', to='parents', columns=['scheme', 'segment_code']) }}
),

final as (
    select
        scheme,
        segment_code
    from failing_rows
    where not (scheme = 'rfm' and segment_code = 'gone')
    union all
    select
        'rfm' as scheme,
        'gone' as segment_code
    where (select count(*) from failing_rows) != 1
)

select * from final
