{# One row per raw table: raw rows counted in the landing zone against the rows in each
   bucket. `raw_rows = staged_rows + duplicate_rows + quarantined_rows + erased_rows`
   holds on every run (tested). #}
with

raw_counts as (
    select * from {{ ref('base_raw__row_counts') }}
),

{% for table in staging_tables() %}
    {{ table.source_table }}_buckets as (
        select
            '{{ table.source_table }}' as source_table,
            row_bucket,
            count(*) as bucket_rows
        from {{ ref(table.base_model) }}
        group by row_bucket
    ),
{% endfor %}

bucket_counts as (
    {% for table in staging_tables() %}
        select * from {{ table.source_table }}_buckets
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

buckets_pivoted as (
    select
        source_table,
        sum(case when row_bucket = 'staged' then bucket_rows else 0 end) as staged_rows,
        sum(case when row_bucket = 'duplicate' then bucket_rows else 0 end) as duplicate_rows,
        sum(case when row_bucket = 'quarantined' then bucket_rows else 0 end) as quarantined_rows,
        sum(case when row_bucket = 'erased' then bucket_rows else 0 end) as erased_rows
    from bucket_counts
    group by source_table
),

counts_joined as (
    select
        raw_counts.source_table,
        raw_counts.raw_rows,
        raw_counts.ignored_files,
        coalesce(buckets_pivoted.staged_rows, 0) as staged_rows,
        coalesce(buckets_pivoted.duplicate_rows, 0) as duplicate_rows,
        coalesce(buckets_pivoted.quarantined_rows, 0) as quarantined_rows,
        coalesce(buckets_pivoted.erased_rows, 0) as erased_rows
    from raw_counts
    left join buckets_pivoted
        on raw_counts.source_table = buckets_pivoted.source_table
),

final as (
    select
        source_table,
        cast(raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
        cast(staged_rows as {{ dbt.type_bigint() }}) as staged_rows,
        cast(duplicate_rows as {{ dbt.type_bigint() }}) as duplicate_rows,
        cast(quarantined_rows as {{ dbt.type_bigint() }}) as quarantined_rows,
        cast(erased_rows as {{ dbt.type_bigint() }}) as erased_rows,
        raw_rows = staged_rows + duplicate_rows + quarantined_rows + erased_rows as is_balanced,
        cast(ignored_files as {{ dbt.type_bigint() }}) as ignored_files
    from counts_joined
)

select * from final
