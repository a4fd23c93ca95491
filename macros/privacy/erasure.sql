{#- Erasure (right to be forgotten), applied where raw rows enter the warehouse.

    `privacy_suppression_list` (schema `privacy`) holds keyed hashes of every identifier of
    every person an erasure request resolved to (and the person id), appended by the build
    that resolved them. Base models read it at the start of the next build (it is read
    here by name, not with `ref`: the list is computed downstream of staging, from the
    identity graph, so a `ref` would be a cycle). A raw row carrying a suppressed
    identifier is bucketed `erased`: it keeps only its provenance (file, row position,
    partition) and the request id, every other column is NULL, and nothing downstream
    sees it. `portrait run` builds a second time when a build added entries, so an
    erasure is complete by the end of the run that received the request.

    Record keys (member_id, card_no, account_id, openid, unionid, device_id,
    anonymous_id) are suppressed in every row, whatever its time: a re-delivered old
    export or a later update of the same record cannot bring the person back. Contact
    points (phone, email) are suppressed in rows up to the request's time only: a
    number or address used in a new, separate sign-up after the request (or reassigned
    to someone else) belongs to a new person. -#}

{#- The schema of the suppression list (private warehouse only; never published). -#}
{% macro privacy_schema() -%}
    {{- return('privacy') -}}
{%- endmacro %}

{#- Identifier types suppressed only in rows up to the request's time. -#}
{% macro time_bound_identifier_types() -%}
    {{ return(['phone', 'email']) }}
{%- endmacro %}

{#- A fingerprint of the hash key (a keyed hash of a constant): entries made under
    another key are told apart, so a key rotation re-derives them (docs/privacy.md). -#}
{% macro hash_key_id() -%}
    substr({{ identifier_hash_of_type("'portrait/key-id'", "'portrait'") }}, 1, 16)
{%- endmacro %}

{#- The suppression list relation, or none (first build, unit tests, parsing). -#}
{% macro suppression_relation() -%}
    {%- if not execute or is_unit_test() -%}{{ return(none) }}{%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema=privacy_schema(), identifier='privacy_suppression_list')) }}
{%- endmacro %}

{#- The erasure ledger relation (marts), or none. -#}
{% macro erasure_ledger_relation() -%}
    {%- if not execute or is_unit_test() -%}{{ return(none) }}{%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema=generate_schema_name('marts', none), identifier='audit_erasures')) }}
{%- endmacro %}

{#- SQL selecting the suppression entries made under the current hash key
    (`identifier_type`, `identifier_hash`, `erasure_request_id`, `requested_at`,
    `suppressed_at`), or none
    when there are none: a warehouse that never received an erasure pays nothing.
    `unapplied_only`: only entries of requests the ledger does not yet record as applied
    under this key (held rows of incremental models are checked against those). -#}
{% macro suppression_entries(unapplied_only=false) -%}
    {%- set relation = suppression_relation() -%}
    {%- if relation is none -%}{{ return(none) }}{%- endif -%}
    {%- set ledger = erasure_ledger_relation() -%}
    {%- set entries -%}
        select identifier_type, identifier_hash, erasure_request_id, requested_at, suppressed_at
        from {{ relation }}
        where hash_key_id = {{ hash_key_id() }}
        {%- if unapplied_only and ledger is not none %}
            and erasure_request_id not in (
                select applied.erasure_request_id from {{ ledger }} as applied
                where applied.hash_key_id = {{ hash_key_id() }}
            )
        {%- endif %}
    {%- endset -%}
    {%- set found = run_query('select count(*) from (' ~ entries ~ ') as entries') -%}
    {%- if found.columns[0].values()[0] | int == 0 -%}{{ return(none) }}{%- endif -%}
    {{ return(entries) }}
{%- endmacro %}

{#- A base model's identifier columns for erasure: a list of dicts, each with `column`
    and either `type` (an identifier type) or `type_column` (a column holding it);
    `scrub: true` nulls just that column instead of erasing the row (a gift's recipient
    phone on someone else's order). `row_time`: the row's own time, bounding contact
    points: a contact point is erased in a row whose own time or arrival (a future-dated
    junk row arrives before its claimed time) is not after the request. -#}
{% macro erasure_spec(identifiers, row_time) -%}
    {{ return({'identifiers': identifiers, 'row_time': row_time}) }}
{%- endmacro %}

{#- Rows of `rows` carrying a suppressed identifier: (`_source_file`, `_source_row`,
    `erasure_request_id`), one row per raw row, for identifiers with `scrub` equal to
    `scrub`. `entries`: SQL of `suppression_entries()`. Empty when no identifier applies. -#}
{% macro erasure_matches(rows, erasure, entries, scrub=false) -%}
    {%- set selects = [] -%}
    {%- for identifier in erasure.identifiers if identifier.get('scrub', false) == scrub -%}
        {%- set type_expression = ("'" ~ identifier.type ~ "'") if identifier.type else 'matched.' ~ identifier.type_column -%}
        {%- set select -%}
            select matched._source_file, matched._source_row, entries.erasure_request_id
            from {{ rows }} as matched
            inner join ({{ entries }}) as entries
                on
                    entries.identifier_type = {{ type_expression }}
                    and entries.identifier_hash = {{ identifier_hash_of_type(type_expression, 'matched.' ~ identifier.column) }}
            where
                matched.{{ identifier.column }} is not null
                and (
                    entries.identifier_type not in ('{{ time_bound_identifier_types() | join("', '") }}')
                    or matched.{{ erasure.row_time }} is null
                    or matched.{{ erasure.row_time }} <= entries.requested_at
                    or matched.arrived_at <= entries.requested_at
                )
        {%- endset -%}
        {%- do selects.append(select) -%}
    {%- endfor -%}
    {%- if selects | length == 0 -%}
    select
        cast(null as {{ dbt.type_string() }}) as _source_file,
        cast(null as {{ dbt.type_bigint() }}) as _source_row,
        cast(null as {{ dbt.type_string() }}) as erasure_request_id
    where 1 = 0
    {%- else -%}
    select _source_file, _source_row, min(erasure_request_id) as erasure_request_id
    from (
        {{ selects | join('\n        union all\n') }}
    ) as matches
    group by _source_file, _source_row
    {%- endif -%}
{%- endmacro %}

{#- Columns an erased row keeps: provenance and the partition (incremental models
    replace rows by position, or whole partitions on Spark), plus the parent key of a
    transaction (so its lines follow it into `erased`; an order or receipt number
    identifies no one). -#}
{% macro erased_row_kept_columns() -%}
    {{ return(['_source_file', '_source_row', '_partition_date', 'order_id', 'txn_id']) }}
{%- endmacro %}

{#- The columns of the base model being built, from its YAML (`documented_columns`): an
    erased row is written column by column (NULL but for the kept ones), so a base model
    must document every column it has (tested: every relation and column is described). -#}
{% macro erased_row_columns() -%}
    {%- set names = documented_columns(model.name) -%}
    {%- if names | length == 0 -%}
        {{ exceptions.raise_compiler_error("portrait: " ~ this ~ " documents no columns: an erased row is written column by column from the model's YAML (macros/privacy/erasure.sql)") }}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}

{#- Snapshot post-hook: deletes the history of erased persons (rows of a person id in the
    list) and, `with_identifier_hash`, of erased identifier hashes: the rows written before
    the entry was listed, and any row of an id or hash no longer current in
    `source_model` (what the snapshot reads). A later, separate person who happens to get
    the same id or hash keeps the history made after the erasure. The relations a
    snapshot reads depend on `privacy_suppression_list`, so it is complete here. -#}
{% macro erase_from_history(source_model, with_identifier_hash=false) -%}
    {%- set entries = suppression_entries() if execute else none -%}
    {%- if entries is none -%}{{ return('') }}{%- endif -%}
    {%- set keys = [('person_id', "= 'person'")] + ([('identifier_hash', "!= 'person'")] if with_identifier_hash else []) -%}
    delete from {{ this }} as history
    where
        {%- for key_column, entry_type in keys %}
        {{ 'or ' if not loop.first }}exists (
            select 1 from ({{ entries }}) as entries
            where
                entries.identifier_type {{ entry_type }}
                and entries.identifier_hash = history.{{ key_column }}
                and (
                    history.dbt_valid_from < entries.suppressed_at
                    or history.{{ key_column }} not in (select current_rows.{{ key_column }} from {{ ref(source_model) }} as current_rows)
                )
        )
        {%- endfor %}
{%- endmacro %}

{#- Pre-hook of a derived incremental model (sessions, session-day rollups): deletes the
    held partitions that no longer have any input row. Such a day only appears when an
    erasure removed every row of it (raw files are immutable otherwise), and
    `incremental_changed_rows` rewrites only the partitions that still have rows, so
    without this an erased person's only day of activity would stay. Costs nothing until
    `erased_in` (the base model upstream) holds an erased row. `input_model` rows with
    `input_filter` give the input's partitions as `input_partition`. (It does not read
    the suppression list: that is built in the same invocation, possibly at the same
    time.) Set by `partition_incremental_config` (its `vanished`) only where the model
    rewrites whole partitions: where it replaces rows by key (`replace_keys`, DuckDB), a
    key whose rows vanished is replaced by nothing. -#}
{% macro delete_vanished_partitions(partition_column, input_model, input_partition, input_filter='true',
                                    erased_in='base_app__events') -%}
    {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
    {#- Looked up in the graph, not with `ref`: a hook's ref would be a dependency the
        model's unit tests must mock. It is upstream of the model (complete by now). -#}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ erased_in] -%}
    {%- set base = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- if base is none -%}{{ return('') }}{%- endif -%}
    {%- set erased = run_query("select count(*) from (select 1 from " ~ base ~ " where row_bucket = 'erased' limit 1) as erased_rows") -%}
    {%- if erased.columns[0].values()[0] | int == 0 -%}{{ return('') }}{%- endif -%}
    delete from {{ this }}
    where {{ partition_column }} not in (
        select distinct {{ input_partition }} from {{ ref(input_model) }}
        where {{ input_filter }}
    )
{%- endmacro %}

{#- The start of this build as a UTC timestamp literal: entries listed before it were read
    by this build's base models (in effect); entries listed by it are not yet.
    The build's start is `PORTRAIT_BUILD_STARTED_AT` ('YYYY-MM-DD HH:MM:SS', UTC) when set,
    else the start of this dbt invocation. `portrait run` and the bench set it for each
    build and keep it for that build's `dbt retry`: a retry is the same build, so a ledger
    node it re-runs must not count entries that build listed as applied (the retry's own
    start is later than them, and the base models that did not fail never read them). -#}
{% macro run_started_timestamp() -%}
    {%- set started = env_var('PORTRAIT_BUILD_STARTED_AT', '') or run_started_at.strftime("%Y-%m-%d %H:%M:%S") -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}', started) -%}
        {{ exceptions.raise_compiler_error("PORTRAIT_BUILD_STARTED_AT must be a UTC time as 'YYYY-MM-DD HH:MM:SS', not '" ~ started ~ "'") }}
    {%- endif -%}
    cast('{{ started }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- Pre-hook of an incremental base model (`partition_incremental_config` with `erasure`):
    erases in place the rows it already holds that an unapplied request reaches. Without
    it, every partition holding such a row is bucketed again in full (the model's
    `incremental_candidates`), and an erased person's rows are spread over most days:
    on `large` that was the whole 63M-row events table, out of memory at 8 GB
    (bench/README.md, "Erasure night on large"). In place, the night costs one scan of
    the identifier columns: each matched row is written again as `bucketed_rows` writes an
    erased one (every column NULL but `erased_row_kept_columns`, the request id set, bucket
    `erased`); a row matched on a scrubbed column (`scrub: true`) only loses that column.
    The rows are deleted and inserted again, not updated: DuckDB rewrites every column
    segment an update touches when it commits (measured: 30k rows spread over a 10M-row
    table, 72 s against 0.03 s). The old values stay in freed blocks until `portrait run`
    compacts the file, as after any erasure.
    Left to the model: a matched `staged` row whose key has a `duplicate` copy that is
    not matched itself; that copy now becomes the key's row, which takes ranking again.
    `key_columns`: the model's business key (as given to `bucketed_rows`).
    On Spark this is empty: the model re-buckets every partition holding a matched row. -#}
{% macro erase_held_rows_hook(erasure, key_columns) -%}
    {{ return("{{ erase_held_rows(" ~ tojson(erasure) ~ ", " ~ tojson(key_columns) ~ ") }}") }}
{%- endmacro %}

{% macro erase_held_rows(erasure, key_columns) -%}
    {%- if not execute or not is_incremental_run() -%}{{ return('') }}{%- endif -%}
    {{ return(adapter.dispatch('erase_held_rows', 'portrait')(erasure, key_columns)) }}
{%- endmacro %}

{% macro default__erase_held_rows(erasure, key_columns) -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__erase_held_rows(erasure, key_columns) -%}
    {%- set entries = suppression_entries(unapplied_only=true) -%}
    {%- if entries is none -%}{{ return('') }}{%- endif -%}
    {%- do incremental_held_columns() -%}
    {%- set scrubbed = [] -%}
    {%- for identifier in erasure.identifiers if identifier.get('scrub', false) -%}
        {%- do scrubbed.append(identifier.column) -%}
    {%- endfor -%}
    {%- set rewritten = this.identifier ~ '__erased_in_place' -%}
    create or replace temporary table {{ rewritten }} as
    with matched as materialized (
        {{ erasure_matches(this, erasure, entries) }}
    ),

    reranked as (
        select matched._source_file, matched._source_row
        from matched
        inner join {{ this }} as erased_copy
            on matched._source_file = erased_copy._source_file and matched._source_row = erased_copy._source_row
        inner join {{ this }} as other_copy
            on
                {% for key in key_columns -%}
                erased_copy.{{ key }} = other_copy.{{ key }} and
                {% endfor -%}
                other_copy.row_bucket = 'duplicate'
        left join matched as other_matched
            on other_copy._source_file = other_matched._source_file and other_copy._source_row = other_matched._source_row
        where erased_copy.row_bucket = 'staged' and other_matched._source_file is null
    ),

    erased as (
        select matched._source_file, matched._source_row, matched.erasure_request_id
        from matched
        left join reranked
            on matched._source_file = reranked._source_file and matched._source_row = reranked._source_row
        where reranked._source_file is null
    ),

    changed as (
        select _source_file, _source_row from erased
        {%- if scrubbed %}
        union
        select _source_file, _source_row from ({{ erasure_matches(this, erasure, entries, scrub=true) }}) as scrubbed
        {%- endif %}
    )

    select
        {%- for column in adapter.get_columns_in_relation(this) %}
            {%- if column.name in erased_row_kept_columns() %}
        held.{{ column.name }},
            {%- elif column.name == 'erasure_request_id' %}
        coalesce(erased.erasure_request_id, held.erasure_request_id) as erasure_request_id,
            {%- elif column.name == 'row_bucket' %}
        case when erased._source_file is not null then 'erased' else held.row_bucket end as row_bucket,
            {%- elif column.name in scrubbed %}
        cast(null as {{ column.data_type }}) as {{ column.name }},
            {%- else %}
        case when erased._source_file is null then held.{{ column.name }} end as {{ column.name }},
            {%- endif %}
        {%- endfor %}
    from {{ this }} as held
    inner join changed
        on held._source_file = changed._source_file and held._source_row = changed._source_row
    left join erased
        on held._source_file = erased._source_file and held._source_row = erased._source_row;

    delete from {{ this }} as held
    using {{ rewritten }} as rewritten
    where held._source_file = rewritten._source_file and held._source_row = rewritten._source_row;

    insert into {{ this }} by name select * from {{ rewritten }};

    drop table {{ rewritten }}
{%- endmacro %}
