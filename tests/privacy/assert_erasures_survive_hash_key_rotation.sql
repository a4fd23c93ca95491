{# After a hash-key rotation, every erasure listed under an earlier key must be listed
   under the current key too: the first build with the new key re-resolves each request
   from its raw `privacy_requests` row. A request missing here was removed from the landing
   zone, and its person would come back: restore the request's raw file (or rotate back)
   before publishing. docs/privacy.md. #}
with

entries as (
    select * from {{ ref('privacy_suppression_list') }}
),

current_key_requests as (
    select distinct erasure_request_id from entries
    where hash_key_id = {{ hash_key_id() }}
),

final as (
    select distinct entries.erasure_request_id
    from entries
    left join current_key_requests
        on entries.erasure_request_id = current_key_requests.erasure_request_id
    where
        entries.hash_key_id != {{ hash_key_id() }}
        and current_key_requests.erasure_request_id is null
)

select * from final
