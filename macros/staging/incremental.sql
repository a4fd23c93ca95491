{#- Incremental base models (the high-volume raw tables): each run reads the raw rows that
    are new — from a file the table has not seen, or arrived within
    `portrait__incremental_lookback_days` of the latest arrival it holds — and buckets
    them again together with the valid rows already held for the same business keys, so
    a late re-delivery still loses to (or replaces) its earlier copy exactly as in a full
    build. On DuckDB the rows written replace held rows by raw position (`_source_file`,
    `_source_row`): a night costs its new rows, not the days they fall on. On Spark
    (`insert_overwrite` of whole partitions, `_partition_date` = local event date) the
    held rows of every partition the new rows touch are bucketed again with them.
    Rows already held keep the verdicts they got (quarantine reason, placeholder flags):
    after changing a seed, an enum mapping or a staging var, or removing or rewriting
    raw files, run once with `--full-refresh` (a file whose row count changed is read
    whole, as one that was appended to; rows that moved or vanished are not). On Spark,
    versions of one key are taken to share their partition (a re-delivery carries the
    same event time; order versions the same order time): were one to move to another
    day, both days would keep a staged copy, which the key's uniqueness test on the
    staging view reports. -#}

{#- The config of such a model. Base models (`key_columns` given): delete+insert by raw
    position on DuckDB; derived incremental models (sessions, session-day rollups) with
    `replace_keys`: on DuckDB the `replace_from` strategy (below), which replaces each
    changed key's rows from its own earliest changed `partition_column` value, the batch
    naming each key's start in a marker row (`replace_marker` NULL); without
    `replace_keys`, delete+insert on `partition_column`. On Spark both
    insert_overwrite whole partitions. A base model with an `erasure` spec erases the
    rows it holds in place first (`erase_held_rows`, macros/privacy/erasure.sql). A
    derived model that rewrites whole partitions (Spark, or no `replace_keys`) names its
    input in `vanished` (`model`; `partition`, SQL over it giving the partition; optional
    `filter`) and gets the pre-hook `delete_vanished_partitions`. Tagged
    `partitioned`: `dbt run -s +tag:partitioned` brings every such layer up to date. -#}
{% macro partition_incremental_config(partition_column='_partition_date', erasure=none, key_columns=none,
                                       replace_keys=none, replace_marker=none, vanished=none) -%}
    {%- if erasure is not none -%}
        {{ config(pre_hook=erase_held_rows_hook(erasure, key_columns)) }}
    {%- endif -%}
    {%- if vanished is not none and not replaces_by_key(replace_keys) -%}
        {{ config(pre_hook="{{ delete_vanished_partitions(" ~ tojson(partition_column) ~ ", "
            ~ tojson(vanished['model']) ~ ", " ~ tojson(vanished['partition']) ~ ", "
            ~ tojson(vanished.get('filter', 'true')) ~ ") }}") }}
    {%- endif -%}
    {%- if target.type == 'spark' -%}
        {{ config(materialized='incremental', incremental_strategy='insert_overwrite',
                  partition_by=[partition_column], on_schema_change='fail', tags=['partitioned']) }}
    {%- elif replace_keys and target.type == 'duckdb' -%}
        {{ config(materialized='incremental', incremental_strategy='replace_from', unique_key=replace_keys,
                  replace_from=partition_column, replace_marker=replace_marker,
                  on_schema_change='fail', tags=['partitioned']) }}
    {%- else -%}
        {{ config(materialized='incremental', incremental_strategy='delete+insert',
                  unique_key=['_source_file', '_source_row'] if key_columns and target.type == 'duckdb' else partition_column,
                  on_schema_change='fail', tags=['partitioned']) }}
    {%- endif -%}
{%- endmacro %}

{#- The `replace_from` incremental strategy (DuckDB; `partition_incremental_config` with
    `replace_keys`). The batch holds, for every key (`unique_key`) it replaces, one marker
    row: the key, its first replaced value of the `replace_from` column, and NULL in the
    `replace_marker` column (never NULL in a real row); and the key's new rows from that
    value on (none when they all vanished, e.g. erased). Every held row of a marked key
    from that value on is deleted, then the batch's real rows are inserted: a key's rows
    before its start, and every unmarked key, stay as they are. Markers are never
    written. Made by `replacement_markers` (below) from `incremental_changed_rows`'s
    `incremental_replaced`. The batch is checked first, failing the model: a row with a
    NULL key (its key's held rows could never be matched) or one with NULL in
    `replace_marker` but another column set (a real row that would be taken for a marker)
    is an error. A batch previewed with `dbt show` has its markers too. Under `--empty`
    (every input read as empty, so every held key would look vanished) nothing is
    deleted. -#}
{% macro get_incremental_replace_from_sql(arg_dict) -%}
    {%- set target_relation, source = arg_dict['target_relation'], arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set replace_from, marker = config.get('replace_from'), config.get('replace_marker') -%}
    {%- if not (keys and replace_from and marker) -%}
        {{ exceptions.raise_compiler_error("the replace_from strategy needs unique_key, replace_from and replace_marker (partition_incremental_config with replace_keys and replace_marker)") }}
    {%- endif -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set others = arg_dict['dest_columns'] | map(attribute='name') | map('lower')
        | reject('in', keys + [replace_from, marker]) | list -%}
    select error('{{ target_relation }}: a batch row has a NULL key ({{ keys | join(', ') }}), or NULL in {{ marker }} with other columns set (a real row taken for a marker); nothing was written')
    from {{ source }}
    where
        {% for key in keys -%}
        {{ key }} is null or
        {% endfor -%}
        ({{ marker }} is null and ({% for column in others %}{{ adapter.quote(column) }} is not null{{ ' or ' if not loop.last }}{% endfor %}))
    limit 1;

    {%- if not flags.EMPTY %}
    delete from {{ target_relation }} as held
    using (
        select {{ keys | join(', ') }}, {{ replace_from }} as replaced_from
        from {{ source }}
        where {{ marker }} is null
    ) as replaced
    where
        {% for key in keys -%}
        held.{{ key }} = replaced.{{ key }} and
        {% endfor -%}
        held.{{ replace_from }} >= replaced.replaced_from;
    {%- endif %}

    insert into {{ target_relation }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }}
    from {{ source }}
    where {{ marker }} is not null
{%- endmacro %}

{#- True when this model builds incrementally on top of what it holds (not on a first
    or full-refresh build, nor in a unit test). -#}
{% macro is_incremental_run() -%}
    {{ return(this is not none and not is_unit_test() and is_incremental()) }}
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

{#- The columns this base model holds, failing clearly when it was built before it
    became incremental. -#}
{% macro incremental_held_columns() -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name')
        | reject('equalto', 'row_bucket') | list -%}
    {%- if '_partition_date' not in columns -%}
        {{ exceptions.raise_compiler_error(this ~ " was built before it became incremental (no _partition_date column): run once with --full-refresh (portrait run --full-refresh)") }}
    {%- endif -%}
    {%- if 'erasure_request_id' not in columns -%}
        {{ exceptions.raise_compiler_error(this ~ " was built before erasure (no erasure_request_id column): run once with --full-refresh (portrait run --full-refresh)") }}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}

{#- CTEs ending in `incremental_source`: the raw rows of `source_cte` (raw table
    `source_name`.`table_name`) this run reads. Full build: all of them. Incremental:
    every row of a file the table has not seen or whose row count changed, and the rows
    of files it holds whose arrival is within the lookback of the latest valid arrival
    held (found by position among the held rows, whose `arrived_at` is the parsed raw
    arrival: parsing every raw row's arrival each night cost 200 thread-seconds on
    `large`; an erased row, arrival NULL, stays as held). Files whose held rows all
    arrived before that are not read at all (raw files are immutable once delivered:
    rewriting one in place needs `--full-refresh`). The filter runs before the model
    parses any column. -#}
{% macro incremental_source(source_cte, source_name, table_name) -%}
    {%- if is_incremental_run() -%}
    {%- do incremental_held_columns() -%}
    incremental_held_files as (
        select
            _source_file,
            count(*) as held_rows,
            max(arrived_at) as latest_arrival
        from {{ this }}
        group by _source_file
    ),

    incremental_watermark as (
        select {{ dbt.dateadd('day', -1 * var('portrait__incremental_lookback_days'), 'max(arrived_at)') }} as since
        from {{ this }}
        where quarantine_reason is null
    ),

    incremental_raw_files as (
        {{ raw_file_rows(source_name, table_name) }}
    ),

    incremental_files as (
        select
            raw_files._source_file,
            held_files._source_file is null or held_files.held_rows != raw_files.raw_rows as is_read_whole
        from incremental_raw_files as raw_files
        left join incremental_held_files as held_files
            on raw_files._source_file = held_files._source_file
        cross join incremental_watermark
        where
            held_files._source_file is null
            or held_files.held_rows != raw_files.raw_rows
            or held_files.latest_arrival >= incremental_watermark.since
    ),

    incremental_reread as (
        select held._source_file, held._source_row
        from {{ this }} as held
        cross join incremental_watermark
        where held.arrived_at >= incremental_watermark.since
    ),

    incremental_source as (
        select {{ source_cte }}.*
        from {{ source_cte }}
        inner join incremental_files
            on {{ source_cte }}._source_file = incremental_files._source_file
        left join incremental_reread
            on
                {{ source_cte }}._source_file = incremental_reread._source_file
                and {{ source_cte }}._source_row = incremental_reread._source_row
        where incremental_files.is_read_whole or incremental_reread._source_file is not null
    )
    {%- else -%}
    incremental_source as (
        select * from {{ source_cte }}
    )
    {%- endif -%}
{%- endmacro %}

{#- CTEs ending in `candidates`: the rows of `typed_cte` (the rows of
    `incremental_source`, parsed) that this run buckets. Full build: all of them.
    Incremental: the new rows and the rows already held that compete with them: of the
    same business key (`key_columns`) on DuckDB, of the same partitions on Spark (minus
    those re-read). With `erasure` (the model's `erasure_spec`), also the held
    rows of an erasure the ledger does not yet record as applied (on DuckDB only those
    `erase_held_rows` left: a staged row whose duplicate takes its place), so a request
    reaches rows delivered long ago. -#}
{% macro incremental_candidates(typed_cte, key_columns, erasure=none) -%}
    {%- if is_incremental_run() -%}
    {%- set held_columns = incremental_held_columns() -%}
    {%- set column_list = held_columns | join(', ') -%}
    {%- set by_key = target.type == 'duckdb' -%}
    incremental_new_rows as (
        select {{ column_list }} from {{ typed_cte }}
    ),

    {%- set unapplied = suppression_entries(unapplied_only=true) if erasure else none %}
    {%- if unapplied is not none %}

    incremental_erased_held as (
        {{ erasure_matches(this, erasure, unapplied) }}
        union all
        {{ erasure_matches(this, erasure, unapplied, scrub=true) }}
    ),
    {%- endif %}
    {%- if by_key %}

    {#- The keys of the valid new rows, and the keys the re-read rows held before: a held
        staged row re-read as quarantined (a later load watermark) leaves its key to
        another copy. (Row-value `in` and no filter on the held rows: see below.) #}
    incremental_keys as (
        select {{ key_columns | join(', ') }} from incremental_new_rows
        where quarantine_reason is null
        union all
        select {% for key in key_columns %}held.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
        from {{ this }} as held
        where (held._source_file, held._source_row) in (select _source_file, _source_row from incremental_new_rows)
        {%- if unapplied is not none %}
        union
        select {% for key in key_columns %}held.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
        from {{ this }} as held
        inner join incremental_erased_held as erased_held
            on held._source_file = erased_held._source_file and held._source_row = erased_held._source_row
        {%- endif %}
    ),

    {#- Every held row of those keys, quarantined and erased ones too (they keep their
        bucket), except the re-read ones. DuckDB cannot tell how few rows are new (it
        estimates every raw row), and it builds a semi join's hash table on the side it
        thinks smaller: held rows filtered first looked smaller than the keys, and it hashed
        all 63 M held rows on `large` (146 s, 20 GB spilled; later, with all 29 columns,
        230 s and 18 GB). So the kept rows are chosen by position on three narrow columns
        (no filter on the held side), and only then are their wide rows joined, by
        position, to a list the planner sees as the smaller side. #}
    incremental_kept_positions as (
        select held._source_file, held._source_row
        from {{ this }} as held
        where ({% for key in key_columns %}held.{{ key }}{{ ', ' if not loop.last }}{% endfor %}) in (
            select {{ key_columns | join(', ') }} from incremental_keys
        )
    ),

    incremental_kept_not_reread as (
        select kept._source_file, kept._source_row
        from incremental_kept_positions as kept
        where not exists (
            select 1 from incremental_new_rows as reread
            where reread._source_file = kept._source_file and reread._source_row = kept._source_row
        )
    ),

    incremental_kept as (
        select {% for column in held_columns %}held.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
        from {{ this }} as held
        inner join incremental_kept_not_reread as kept
            on held._source_file = kept._source_file and held._source_row = kept._source_row
    ),
    {%- else %}

    incremental_touched as (
        {%- if unapplied is none %}
        select _partition_date from incremental_new_rows group by _partition_date
        {%- else %}
        select _partition_date from incremental_new_rows
        union
        select held._partition_date
        from {{ this }} as held
        inner join incremental_erased_held as erased_held
            on held._source_file = erased_held._source_file and held._source_row = erased_held._source_row
        {%- endif %}
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
    {%- endif %}

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

{#- Derived incremental models (sessions, session-day rollups) find their own work by
    comparing what they hold with their input. CTEs ending in `changed_rows`: the rows of
    `input_cte` to process. Full build: all of them. No state is kept between runs: a
    failed or repeated run is caught up by the next.
    First by partition: the order-independent fingerprint (sum of `row_fingerprint` over
    `fingerprinted`) of every `partition` of the input is compared with this table's
    (partitioned by `held_partition`, summing `held_fingerprint`; by default the same
    columns and partition); the earliest that differs is in `incremental_since` (NULL when
    nothing changed: no rows). A partition present on one side only differs too.
    With `keys` on DuckDB (the `replace_from` strategy), then the same per (key, partition)
    from that partition on: each key with a difference, and its earliest differing
    partition, is in `incremental_replaced` (`keys`, `replaced_from`); the changed rows
    are its input rows from there on. A key whose rows vanished (an erasure, or an event
    re-delivered under another visitor) is replaced by nothing.
    Without `keys`, or on Spark (insert_overwrite of whole partitions): the rows of every
    partition from `incremental_since` on. A partition that loses every row of the input
    then keeps its old rows; the models' `delete_vanished_partitions` pre-hook removes
    such partitions (macros/privacy/erasure.sql). -#}
{% macro incremental_changed_rows(input_cte, partition, fingerprinted, held_partition=none, held_fingerprint=none,
                                  keys=none) -%}
    {%- if is_incremental_run() -%}
    {%- set held_partition = held_partition or partition -%}
    {%- set held_fingerprint = held_fingerprint or row_fingerprint(fingerprinted) -%}
    incremental_input_partitions as (
        select
            {{ partition }} as partition_value,
            sum({{ row_fingerprint(fingerprinted) }}) as fingerprint
        from {{ input_cte }}
        group by {{ partition }}
    ),

    incremental_held_partitions as (
        select
            {{ held_partition }} as partition_value,
            sum({{ held_fingerprint }}) as fingerprint
        from {{ this }}
        group by {{ held_partition }}
    ),

    incremental_since as (
        select min(coalesce(input_partitions.partition_value, held_partitions.partition_value)) as since
        from incremental_input_partitions as input_partitions
        full outer join incremental_held_partitions as held_partitions
            on input_partitions.partition_value = held_partitions.partition_value
        where
            input_partitions.partition_value is null
            or held_partitions.partition_value is null
            or input_partitions.fingerprint != held_partitions.fingerprint
    ),
    {%- if replaces_by_key(keys) %}
    {%- set key_list = keys | join(', ') %}

    {#- Keys are compared only from the earliest changed partition on: before it nothing
        differs. A grouped pass over those rows, where the partition path re-processes
        them all. #}
    incremental_input_keys as (
        select
            {{ key_list }},
            {{ partition }} as partition_value,
            sum({{ row_fingerprint(fingerprinted) }}) as fingerprint
        from {{ input_cte }}
        where {{ partition }} >= (select incremental_since.since from incremental_since)
        group by {{ key_list }}, {{ partition }}
    ),

    incremental_held_keys as (
        select
            {{ key_list }},
            {{ held_partition }} as partition_value,
            sum({{ held_fingerprint }}) as fingerprint
        from {{ this }}
        where {{ held_partition }} >= (select incremental_since.since from incremental_since)
        group by {{ key_list }}, {{ held_partition }}
    ),

    incremental_replaced as (
        select
            {% for key in keys -%}
            coalesce(input_keys.{{ key }}, held_keys.{{ key }}) as {{ key }},
            {% endfor -%}
            min(coalesce(input_keys.partition_value, held_keys.partition_value)) as replaced_from
        from incremental_input_keys as input_keys
        full outer join incremental_held_keys as held_keys
            on
                {% for key in keys -%}
                input_keys.{{ key }} = held_keys.{{ key }} and
                {% endfor -%}
                input_keys.partition_value = held_keys.partition_value
        where
            input_keys.partition_value is null
            or held_keys.partition_value is null
            or input_keys.fingerprint != held_keys.fingerprint
        group by {% for key in keys %}{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
    ),

    changed_rows as (
        select {{ input_cte }}.*
        from {{ input_cte }}
        inner join incremental_replaced
            on
                {% for key in keys -%}
                {{ input_cte }}.{{ key }} = incremental_replaced.{{ key }} and
                {% endfor -%}
                {{ input_cte }}.{{ partition }} >= incremental_replaced.replaced_from
    )
    {%- else %}

    changed_rows as (
        select * from {{ input_cte }}
        where {{ partition }} >= (select incremental_since.since from incremental_since)
    )
    {%- endif -%}
    {%- else -%}
    changed_rows as (
        select * from {{ input_cte }}
    )
    {%- endif -%}
{%- endmacro %}

{#- True when a derived incremental model with these `keys` replaces rows by key (the
    `replace_from` strategy: DuckDB), false when it replaces whole partitions (Spark). -#}
{% macro replaces_by_key(keys) -%}
    {{ return(keys is not none and keys | length > 0 and target.type == 'duckdb') }}
{%- endmacro %}

{#- The marker rows of the `replace_from` strategy, as a `union all by name` branch
    after a model's final select (DuckDB only): one per key in `incremental_replaced`,
    with its key, `partition` set to its `replaced_from`, and NULL in every other column
    (the model's `replace_marker` among them). Nothing on a full build or on Spark. -#}
{% macro replacement_markers(keys, partition) -%}
    {%- if is_incremental_run() and replaces_by_key(keys) %}
union all by name
select
    {{ keys | join(', ') }},
    replaced_from as {{ partition }}
from incremental_replaced
    {%- endif -%}
{%- endmacro %}

{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'portrait')(columns)) }}
{%- endmacro %}
{% macro duckdb__row_fingerprint(columns) -%}
    cast(hash({{ columns | join(', ') }}) as hugeint)
{%- endmacro %}
{% macro spark__row_fingerprint(columns) -%}
    cast(xxhash64({{ columns | join(', ') }}) as decimal(38, 0))
{%- endmacro %}
{% macro default__row_fingerprint(columns) -%}
    {{ exceptions.raise_compiler_error("portrait: row_fingerprint has no implementation for adapter '" ~ target.type ~ "' (macros/staging/incremental.sql)") }}
{%- endmacro %}
