{#- The hash key guard (issue 27): every identifier hash and person id is keyed by
    `PORTRAIT_HASH_KEY`, so building a warehouse with another key than the one it was built
    with silently re-keys everything. The warehouse records the fingerprint of its key in
    `privacy.privacy_hash_key_id`; this on-run-start check stops any dbt invocation whose key
    has another fingerprint, naming both (never the key). A rotation is allowed by the var
    `portrait__rotate_hash_key: true`, or by `PORTRAIT_ROTATE_HASH_KEY` holding the fingerprint
    of the key in use (what `portrait rotate-key` sets). A warehouse without the record (new,
    or built before it existed) passes: its build records the key. docs/privacy.md, "Rotating the
    hash key". -#}
{% macro check_hash_key() %}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(database=target.database, schema=privacy_schema(), identifier='privacy_hash_key_id') -%}
        {%- if relation is not none -%}
            {%- set result = run_query(
                "select (select hash_key_id from " ~ relation ~ " order by recorded_at desc limit 1), "
                ~ hash_key_id()
            ) -%}
            {%- set recorded = result.columns[0].values()[0] -%}
            {%- set current = result.columns[1].values()[0] -%}
            {%- set allowed = (var('portrait__rotate_hash_key', false) | string | lower) in ['true', '1']
                or (env_var('PORTRAIT_ROTATE_HASH_KEY', '') | trim) == current -%}
            {%- if recorded is not none and recorded != current -%}
                {%- if allowed -%}
                    {{ log("portrait: rotating the hash key: " ~ relation ~ " was built with key fingerprint " ~ recorded ~ ", this build uses " ~ current ~ " (rotation allowed)", info=true) }}
                {%- else -%}
                    {{ exceptions.raise_compiler_error(
                        "The hash key does not match the warehouse: " ~ target.path ~ " was built with the key whose fingerprint (hash_key_id) is "
                        ~ recorded ~ ", but PORTRAIT_HASH_KEY has fingerprint " ~ current ~ ". Building with it would change every identifier hash "
                        ~ "and person id, so nothing was built. Use the key the warehouse was built with (restore .portrait_hash_key or set "
                        ~ "PORTRAIT_HASH_KEY), or change it deliberately with `portrait rotate-key` (or --vars '{portrait__rotate_hash_key: true}' "
                        ~ "with --full-refresh; docs/privacy.md, \"Rotating the hash key\")."
                    ) }}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
