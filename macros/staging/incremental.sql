{#- Incremental base models (the high-volume raw tables): each run reads the raw rows that
    are new — from a file the table has not seen, or arrived within
    `portrait__incremental_lookback_days` of the latest arrival it holds — and rewrites
    in full every partition (local event date, `_partition_date`) those rows touch: the
    new rows plus the rows already held for those dates are bucketed again together, so
    a late re-delivery still loses to (or replaces) its earlier copy exactly as in a
    full build. A partial day never overwrites a whole one.
    Rows already held keep the verdicts they got (quarantine reason, placeholder flags):
    after changing a seed, an enum mapping or a staging var, or removing or rewriting
    raw files, run once with `--full-refresh`. Versions of one key are taken to share
    their partition (a re-delivery carries the same event time; order versions the same
    order time): were one to move to another day, both days would keep a staged copy,
    which the key's uniqueness test on the staging view reports. -#}

{#- The config of such a model: delete+insert on the partition column in DuckDB,
    insert_overwrite of whole partitions on Spark. -#}
{% macro partition_incremental_config() -%}
    {%- if target.type == 'spark' -%}
        {{ config(materialized='incremental', incremental_strategy='insert_overwrite',
                  partition_by=['_partition_date'], on_schema_change='fail') }}
    {%- else -%}
        {{ config(materialized='incremental', incremental_strategy='delete+insert',
                  unique_key='_partition_date', on_schema_change='fail') }}
    {%- endif -%}
{%- endmacro %}

{#- The partition of a raw row: the local date of its event time, else of its arrival;
    rows with neither (quarantined) share one partition. -#}
{% macro partition_date(event_timestamp, arrival_timestamp) -%}
    coalesce(
        {{ local_date(event_timestamp) }},
        {{ local_date(arrival_timestamp) }},
        cast('1970-01-01' as date)
    )
{%- endmacro %}

{#- CTEs ending in `candidates`: the rows of `typed_cte` (every raw row, parsed) that
    this run buckets. Full build: all of them. Incremental: the new rows and the rows
    already held for the partitions they touch (minus those re-read). -#}
{% macro incremental_candidates(typed_cte) -%}
    {%- if this is not none and not is_unit_test() and is_incremental() -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name')
        | reject('equalto', 'row_bucket') | list -%}
    {%- if '_partition_date' not in columns -%}
        {{ exceptions.raise_compiler_error(this ~ " was built before it became incremental (no _partition_date column): run once with --full-refresh (portrait run --full-refresh)") }}
    {%- endif -%}
    {%- set column_list = columns | join(', ') -%}
    incremental_held_files as (
        select _source_file from {{ this }} group by _source_file
    ),

    incremental_watermark as (
        select {{ dbt.dateadd('day', -1 * var('portrait__incremental_lookback_days'), 'max(arrived_at)') }} as since
        from {{ this }}
        where quarantine_reason is null
    ),

    incremental_new_rows as (
        select {{ column_list }} from {{ typed_cte }}
        where
            _source_file not in (select incremental_held_files._source_file from incremental_held_files)
            or arrived_at >= (select incremental_watermark.since from incremental_watermark)
    ),

    incremental_touched as (
        select _partition_date from incremental_new_rows group by _partition_date
    ),

    incremental_kept as (
        select {{ column_list }} from {{ this }} as held
        where
            held._partition_date in (select incremental_touched._partition_date from incremental_touched)
            and not exists (
                select 1 from incremental_new_rows
                where incremental_new_rows._source_file = held._source_file and incremental_new_rows._source_row = held._source_row
            )
    ),

    candidates as (
        select * from incremental_new_rows
        union all
        select * from incremental_kept
    )
    {%- else -%}
    candidates as (
        select * from {{ typed_cte }}
    )
    {%- endif -%}
{%- endmacro %}
