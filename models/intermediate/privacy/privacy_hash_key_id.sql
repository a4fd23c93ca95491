{{ config(materialized='table', schema=privacy_schema()) }}
{# The fingerprint of the hash key this warehouse is built with (one row): the on-run-start
   check `check_hash_key` and `portrait run` compare the key in use with it, so a lost or
   wrong key stops the build instead of re-keying every hash. The fingerprint is a keyed
   hash of a constant (`hash_key_id`), never the key. docs/privacy.md, "Rotating the hash key". #}
select
    {{ hash_key_id() }} as hash_key_id,
    {{ run_started_timestamp() }} as recorded_at
