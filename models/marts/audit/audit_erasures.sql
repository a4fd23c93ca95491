{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false
) }}
{# The erasure ledger: proof that each erasure request was carried out, one row per
   request, raw table and hash key — when it was requested, when it was applied (the first
   build whose base models read its suppression entries) and how many raw rows of the
   table it erased then. No PII: request ids, dates and counts. Append-only and kept by
   `--full-refresh`; a hash key rotation re-applies every request under the new key,
   which adds its rows again with the new `hash_key_id`. Requests that name no usable
   identifier (a placeholder, an unparseable value) are listed once with `status`
   `not_applicable`. #}

with

entries as (
    select * from {{ ref('privacy_suppression_list') }}
    where hash_key_id = {{ hash_key_id() }}
),

unusable_requests as (
    select * from {{ ref('stg_privacy__requests') }}
    where
        request_type = 'erasure'
        and (identifier is null or is_identifier_placeholder)
),

applied_requests as (
    select
        erasure_request_id,
        hash_key_id,
        min(requested_at) as requested_at,
        min(suppressed_at) as suppressed_at,
        count(distinct case when identifier_type != 'person' then identifier_hash end) as identifiers_suppressed
    from entries
    where suppressed_at < {{ run_started_timestamp() }}
    group by erasure_request_id, hash_key_id
),

raw_tables as (
    {% for table in staging_tables() -%}
        select '{{ table.source_table }}' as source_table
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

{% for table in staging_tables() %}
    {{ table.source_table }}_erased as (
        select
            '{{ table.source_table }}' as source_table,
            erasure_request_id,
            count(*) as rows_removed
        from {{ ref(table.base_model) }}
        where row_bucket = 'erased'
        group by erasure_request_id
    ),
{% endfor %}

erased_counts as (
    {% for table in staging_tables() %}
        select * from {{ table.source_table }}_erased
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

applied_rows as (
    select
        applied_requests.erasure_request_id,
        raw_tables.source_table,
        'applied' as status,
        applied_requests.requested_at,
        applied_requests.suppressed_at,
        {{ run_started_timestamp() }} as applied_at,
        applied_requests.identifiers_suppressed,
        coalesce(erased_counts.rows_removed, 0) as rows_removed,
        applied_requests.hash_key_id
    from applied_requests
    cross join raw_tables
    left join erased_counts
        on
            applied_requests.erasure_request_id = erased_counts.erasure_request_id
            and raw_tables.source_table = erased_counts.source_table
),

not_applicable_rows as (
    select
        request_id as erasure_request_id,
        cast(null as {{ dbt.type_string() }}) as source_table,
        'not_applicable' as status,
        requested_at,
        cast(null as {{ dbt.type_timestamp() }}) as suppressed_at,
        {{ run_started_timestamp() }} as applied_at,
        0 as identifiers_suppressed,
        0 as rows_removed,
        {{ hash_key_id() }} as hash_key_id
    from unusable_requests
),

ledger_rows as (
    select * from applied_rows
    union all
    select * from not_applicable_rows
),

final as (
    select
        erasure_request_id,
        source_table,
        status,
        requested_at,
        {{ local_date('requested_at') }} as requested_date,
        suppressed_at,
        applied_at,
        {{ local_date('applied_at') }} as applied_date,
        cast(identifiers_suppressed as {{ dbt.type_bigint() }}) as identifiers_suppressed,
        cast(rows_removed as {{ dbt.type_bigint() }}) as rows_removed,
        hash_key_id
    from ledger_rows
    {% if is_incremental() -%}
        where not exists (
                select 1 from {{ this }} as recorded
                where
                    recorded.erasure_request_id = ledger_rows.erasure_request_id
                    and recorded.hash_key_id = ledger_rows.hash_key_id
            )
    {%- endif %}
)

select * from final
