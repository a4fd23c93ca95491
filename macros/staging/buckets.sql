{#- Every raw row falls in exactly one bucket, in this order (issue "Staging"):
      erased      -> rows of persons with an erasure request (privacy layer);
      quarantined -> unusable, with `quarantine_reason`;
      duplicate   -> replaced by another valid row of the same key: a re-delivery or an
                     older version. The latest arrival wins; ties: later file name, then
                     later row position. Only valid rows compete, so when the newest
                     version is unusable the previous valid version stands;
      staged      -> the rest.
    `reason_cases` is a list of (condition, reason code) pairs checked in order. -#}

{% macro quarantine_reason(reason_cases) -%}
    case
    {%- for condition, reason in reason_cases %}
        when {{ condition }} then '{{ reason }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- The last CTEs of a base model: `final`, every row of `rows_cte` (columns of
    `bucket_columns`) with its `row_bucket`. Versions of one key are ordered by `arrived_at`
    (NULL for lines, which arrive with their parent: then file name and row position alone
    decide). Only valid rows compete (a quarantined or erased row is never a key's
    latest version).

    Profiled (bench/README.md, "Profiles and fixes"): one `row_number()` window over every
    row carried the whole row through DuckDB's sort (5.4 s of operator time in a 7.3 s
    `base_app__events` on small). Nearly all keys arrive once, so only the valid rows of
    keys with several valid copies are ranked, on a narrow projection, and the ranks joined
    back by file and row position. The rows are read three times, so they are taken into
    one materialised CTE first (`materialized_cte`).

    `_repeated_keys` ignores the erasure being applied now: a key one of whose copies is
    erased may be ranked needlessly, which costs little, whereas leaving out the erased rows
    there (a correlated `not exists`) made DuckDB build a hash table of every row position:
    out of memory on `large` (bench/README.md, "Erasure night on large").

    `erasure` (`erasure_spec`, macros/privacy/erasure.sql): the identifier columns checked
    against the suppression list. A row carrying a suppressed identifier, or arriving
    with an `erasure_request_id` already (a line of an erased order, a held erased row),
    is `erased` and written with every column NULL but the provenance; without entries in
    the list (or without `erasure`) this costs nothing. -#}
{% macro bucketed_rows(rows_cte, key_columns, erasure=none) -%}
{%- set keys = key_columns -%}
{%- set rows = rows_cte ~ '_to_bucket' -%}
{%- set entries = suppression_entries() if erasure else none -%}
{%- set column_by_column = execute and not is_unit_test() -%}
{#- The erasing request of a row: found here when the list has entries, else only
    carried in (lines, held erased rows). -#}
{%- set erased_id = 'erased.erasure_request_id' if entries is not none else rows ~ '.erasure_request_id' -%}
    {{ rows }} as {{ materialized_cte() }} (
        select * from {{ rows_cte }}
    ),

    {%- if entries is not none %}

    {{ rows_cte }}_erased as (
        select _source_file, _source_row, min(erasure_request_id) as erasure_request_id
        from (
            select _source_file, _source_row, erasure_request_id
            from {{ rows }}
            where erasure_request_id is not null
            union all
            {{ erasure_matches(rows, erasure, entries) }}
        ) as erased_rows
        group by _source_file, _source_row
    ),

    {{ rows_cte }}_scrubbed as (
        {{ erasure_matches(rows, erasure, entries, scrub=true) }}
    ),
    {%- endif %}

    {{ rows_cte }}_repeated_keys as (
        select {{ keys | join(', ') }}
        from {{ rows }}
        where
            quarantine_reason is null
            and erasure_request_id is null
        group by {{ keys | join(', ') }}
        having count(*) > 1
    ),

    {{ rows_cte }}_copy_ranks as (
        select
            copies._source_file as ranked_file,
            copies._source_row as ranked_row,
            row_number() over (
                partition by {% for key in keys %}copies.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
                order by copies.arrived_at desc, copies._source_file desc, copies._source_row desc
            ) as copy_rank
        from {{ rows }} as copies
        inner join {{ rows_cte }}_repeated_keys as repeated_keys
            on
                {% for key in keys -%}
                    copies.{{ key }} is not distinct from repeated_keys.{{ key }}
                    {%- if not loop.last %} and{% endif %}
                {% endfor -%}
        {%- if entries is not none %}
        left join {{ rows_cte }}_erased as erased
            on copies._source_file = erased._source_file and copies._source_row = erased._source_row
        {%- endif %}
        where
            copies.quarantine_reason is null
            and copies.erasure_request_id is null
            {%- if entries is not none %}
            and erased._source_file is null
            {%- endif %}
    ),

    final as (
        select
            {%- if not column_by_column %}
            {{ rows }}.*,
            {%- else %}
            {%- set scrubbed = [] %}
            {%- for identifier in (erasure.identifiers if entries is not none else []) if identifier.get('scrub', false) %}
                {%- do scrubbed.append(identifier.column) %}
            {%- endfor %}
            {%- for column in erased_row_columns() if column not in ('row_bucket', 'erasure_request_id') %}
                {%- if column in erased_row_kept_columns() %}
            {{ rows }}.{{ column }},
                {%- elif column in scrubbed %}
            case when {{ erased_id }} is null and scrubbed._source_file is null then {{ rows }}.{{ column }} end as {{ column }},
                {%- else %}
            case when {{ erased_id }} is null then {{ rows }}.{{ column }} end as {{ column }},
                {%- endif %}
            {%- endfor %}
            {{ erased_id }} as erasure_request_id,
            {%- endif %}
            case
                when {{ erased_id }} is not null then 'erased'
                when {{ rows }}.quarantine_reason is not null then 'quarantined'
                when copy_ranks.copy_rank > 1 then 'duplicate'
                else 'staged'
            end as row_bucket
        from {{ rows }}
        {%- if entries is not none %}
        left join {{ rows_cte }}_erased as erased
            on
                {{ rows }}._source_file = erased._source_file
                and {{ rows }}._source_row = erased._source_row
        left join {{ rows_cte }}_scrubbed as scrubbed
            on
                {{ rows }}._source_file = scrubbed._source_file
                and {{ rows }}._source_row = scrubbed._source_row
        {%- endif %}
        left join {{ rows_cte }}_copy_ranks as copy_ranks
            on
                {{ rows }}._source_file = copy_ranks.ranked_file
                and {{ rows }}._source_row = copy_ranks.ranked_row
    )
{%- endmacro %}

{#- `materialized` on DuckDB, where a CTE read several times (as `bucketed_rows` reads its
    rows) is otherwise computed once per reference (measured: 17.2 s instead of 9.6 s for
    `base_app__events` on small); nothing elsewhere. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'portrait')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}

{#- The columns every base model's typed rows end with: arrival, provenance, the
    quarantine reason, the raw row as JSON (quarantined rows only), the raw key and the
    erasure request that erased the row (`erasure_request_id`: NULL here but for lines,
    which inherit their parent's; set by `bucketed_rows`).
    Selected from a CTE holding the `raw_` columns and `quarantine_reason`.
    `arrival_column`: the parsed arrival column (`none` for lines); `raw_key`: an
    expression over the raw columns (the business key as delivered). -#}
{% macro bucket_columns(source_name, table_name, arrival_column, raw_key, erasure_request_id=none) -%}
        {{ arrival_column if arrival_column else 'cast(null as ' ~ dbt.type_timestamp() ~ ')' }} as arrived_at,
        _source_file,
        _source_row,
        quarantine_reason,
        case
            when quarantine_reason is not null
                then {{ raw_row_json(source_name, table_name) }}
        end as raw_row_json,
        {{ raw_key }} as raw_key,
        {{ erasure_request_id or 'cast(null as ' ~ dbt.type_string() ~ ')' }} as erasure_request_id
{%- endmacro %}

{#- A composite business key as delivered, e.g. `O123|2` for order `O123`, line 2. -#}
{% macro raw_composite_key(raw_columns) -%}
    {%- set parts = [] -%}
    {%- for column in raw_columns -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{#- The raw row as JSON text, for quarantined rows only (kept for operators to inspect).
    Unit tests see no graph (and no raw row to keep): NULL there. -#}
{% macro raw_row_json(source_name, table_name, prefix='raw_') -%}
    {%- if not execute or is_unit_test() -%}{{ return('cast(null as ' ~ dbt.type_string() ~ ')') }}{%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {{ return(adapter.dispatch('raw_row_json', 'portrait')(node.columns.keys() | list, prefix)) }}
{%- endmacro %}
{% macro duckdb__raw_row_json(columns, prefix) -%}
    cast(json_object({% for c in columns %}'{{ c }}', {{ prefix ~ c }}{{ ", " if not loop.last }}{% endfor %}) as {{ dbt.type_string() }})
{%- endmacro %}
{% macro default__raw_row_json(columns, prefix) -%}
    to_json(named_struct({% for c in columns %}'{{ c }}', {{ prefix ~ c }}{{ ", " if not loop.last }}{% endfor %}))
{%- endmacro %}

{#- Quarantine conditions over parsed columns. A parsed column `x` comes from the raw
    column `raw_x`; each macro takes a list of parsed column names and is true when any
    of them fails. -#}

{#- A required value is absent (empty or NULL after parsing). -#}
{% macro any_missing(columns) -%}
    ({% for column in columns %}{{ column }} is null{{ " or " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- A value was given but did not parse (timestamp in no known shape, amount that is not
    a number, enum spelling that maps to nothing); empty raw values are not failures.
    `required`: columns that must also be present (empty counts as a failure there).
    The raw value is looked at only where the parsed one is NULL (a CASE: DuckDB
    evaluates both sides of an AND in a projection). -#}
{% macro any_unparsed(columns, required=[]) -%}
    ({% for column in columns %}(case when {{ column }} is null then {{ clean_text('raw_' ~ column) }} is not null else false end){{ " or " if not loop.last }}{% endfor %}
    {%- if columns and required %} or {% endif %}{% for column in required %}{{ column }} is null{{ " or " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- An event time more than the tolerance after its arrival (docs/contracts.md, "Time").
    `pairs`: (event timestamp, arrival timestamp). -#}
{% macro any_future_dated(pairs) -%}
    ({% for event_timestamp, arrival_timestamp in pairs %}{{ is_future_dated(event_timestamp, arrival_timestamp) }}{{ " or " if not loop.last }}{% endfor %})
{%- endmacro %}
{% macro is_future_dated(event_timestamp, arrival_timestamp) -%}
    ({{ event_timestamp }} > {{ dbt.dateadd('hour', var('portrait__future_tolerance_hours'), arrival_timestamp) }})
{%- endmacro %}

{#- An amount beyond `portrait__max_abs_amount` either way (store returns are negative
    and valid up to the same bound). -#}
{% macro any_absurd_amount(columns) -%}
    ({% for column in columns %}abs({{ column }}) > {{ var('portrait__max_abs_amount') }}{{ " or " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- For a base model's schema test: every row in one of the four buckets, exactly the
    quarantined rows with a reason. -#}
{% macro row_bucket_is_consistent() -%}
    row_bucket in ('{{ row_buckets() | join("', '") }}') and (row_bucket = 'quarantined') = (quarantine_reason is not null)
{%- endmacro %}
