{{ config(
    materialized='incremental',
    incremental_strategy='append',
    schema=privacy_schema(),
    full_refresh=false
) }}
{# The suppression list: keyed hashes of every identifier (and the person id) of every
   person an erasure request resolved to, under the hash key of the build that resolved
   them (`hash_key_id`). Append-only and kept by `--full-refresh`: it is what stops a
   re-delivered old export from bringing an erased person back. Base models read it by
   name at the start of each build (macros/privacy/erasure.sql); entries appended by a
   build take effect in the next one, which `portrait run` starts at once.
   Built after every base model, so no base model of the same build reads it midway. #}
{% for table in staging_tables() -%}
-- depends_on: {{ ref(table.base_model) }}
{% endfor %}

with

targets as (
    select * from {{ ref('int_privacy__erasure_targets') }}
),

keyed as (
    select
        identifier_type,
        identifier_hash,
        erasure_request_id,
        requested_at,
        {{ hash_key_id() }} as hash_key_id,
        {{ run_started_timestamp() }} as suppressed_at
    from targets
),

final as (
    select keyed.*
    from keyed
    {% if is_incremental() -%}
        where not exists (
                select 1 from {{ this }} as listed
                where
                    listed.identifier_type = keyed.identifier_type
                    and listed.identifier_hash = keyed.identifier_hash
                    and listed.erasure_request_id = keyed.erasure_request_id
                    and listed.hash_key_id = keyed.hash_key_id
            )
    {%- endif %}
)

select * from final
