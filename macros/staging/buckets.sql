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

{% macro row_bucket(key_columns, arrival_column, erased_condition='false') -%}
    case
        when {{ erased_condition }} then 'erased'
        when quarantine_reason is not null then 'quarantined'
        when row_number() over (
            partition by {{ key_columns | join(', ') }}, (quarantine_reason is null)
            order by {{ arrival_column }} desc, _source_file desc, _source_row desc
        ) > 1 then 'duplicate'
        else 'staged'
    end
{%- endmacro %}

{#- The raw row as JSON text, for quarantined rows only (kept for operators to inspect). -#}
{% macro raw_row_json(source_name, table_name, prefix='raw_') -%}
    {%- if not execute -%}{{ return('null') }}{%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {{ return(adapter.dispatch('raw_row_json', 'portrait')(node.columns.keys() | list, prefix)) }}
{%- endmacro %}
{% macro duckdb__raw_row_json(columns, prefix) -%}
    cast(json_object({% for c in columns %}'{{ c }}', {{ prefix ~ c }}{{ ", " if not loop.last }}{% endfor %}) as {{ dbt.type_string() }})
{%- endmacro %}
{% macro default__raw_row_json(columns, prefix) -%}
    to_json(named_struct({% for c in columns %}'{{ c }}', {{ prefix ~ c }}{{ ", " if not loop.last }}{% endfor %}))
{%- endmacro %}

{#- A raw timestamp that was given but did not parse. -#}
{% macro is_unparseable_timestamp(raw_expression, parsed_expression) -%}
    ({{ clean_text(raw_expression) }} is not null and {{ parsed_expression }} is null)
{%- endmacro %}

{#- An event time more than the tolerance after its arrival (interfaces.md, "Time"). -#}
{% macro is_future_dated(event_timestamp, arrival_timestamp) -%}
    ({{ event_timestamp }} > {{ dbt.dateadd('hour', var('portrait__future_tolerance_hours'), arrival_timestamp) }})
{%- endmacro %}
