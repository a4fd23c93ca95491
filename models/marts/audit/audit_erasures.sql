{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    full_refresh=false
) }}
{# The erasure ledger: proof that each erasure request was carried out, one row per
   request, raw table and hash key — when it was requested, when it was applied (the first
   build whose base models read its suppression entries) and how many raw rows of the
   table it erased then. No PII: request ids, dates and counts. Append-only and kept by
   `--full-refresh`; a hash key rotation re-applies every request under the new key,
   which adds its rows again with the new `hash_key_id`. A request that cannot be applied
   (its identifier is a placeholder or not valid for its type, or its row was quarantined)
   is answered all the same: listed once with `status` `not_applicable` and a `reason`,
   and it holds back nothing else (`portrait run` counts it in its report; the quality
   gate never fails on this ledger, and its dbt tests only warn). Delivered again in a
   form that can be applied (same request id), it is applied and gains `applied` rows
   beside its `not_applicable` one. #}

with

entries as (
    select * from {{ ref('privacy_suppression_list') }}
    where hash_key_id = {{ hash_key_id() }}
),

unusable_requests as (
    select
        request_id,
        requested_at,
        case
            when is_identifier_placeholder then 'placeholder_identifier'
            else 'invalid_identifier'
        end as reason
    from {{ ref('stg_privacy__requests') }}
    where
        request_type = 'erasure'
        and (identifier is null or is_identifier_placeholder)
),

quarantined_requests as (
    {#- Erasure requests whose raw row was quarantined (no time, a time in the future, an
        unknown identifier type): answered with the quarantine reason. #}
    select
        request_id,
        min(requested_at) as requested_at,
        min({{ dbt.concat(["'quarantined_'", 'quarantine_reason']) }}) as reason
    from {{ ref('base_privacy__requests') }}
    where
        row_bucket = 'quarantined'
        and request_type = 'erasure'
        and request_id is not null
        and request_id not in (select staged.request_id from {{ ref('stg_privacy__requests') }} as staged)
    group by request_id
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
        applied_requests.hash_key_id,
        cast(null as {{ dbt.type_string() }}) as reason
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
        {{ hash_key_id() }} as hash_key_id,
        reason
    from (
        select * from unusable_requests
        union all
        select * from quarantined_requests
    ) as not_applicable
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
        hash_key_id,
        reason
    from ledger_rows
    {% if is_incremental() -%}
        where not exists (
                select 1 from {{ this }} as recorded
                where
                    recorded.erasure_request_id = ledger_rows.erasure_request_id
                    and recorded.hash_key_id = ledger_rows.hash_key_id
                    and recorded.status = ledger_rows.status
            )
    {%- endif %}
)

select * from final
