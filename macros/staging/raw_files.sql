{#- Helpers around the raw landing zone (`PORTRAIT_RAW_DIR`, one folder per raw table). -#}

{% macro raw_dir() -%}
    {{- env_var('PORTRAIT_RAW_DIR', 'data/raw') | replace('\\', '/') | trim -}}
{%- endmacro %}

{% macro raw_glob(table_name) -%}
    {{- raw_dir() ~ '/' ~ table_name ~ '/*.parquet' -}}
{%- endmacro %}

{#- A raw file's path relative to the landing zone (`<table>/<file>.parquet`), from the
    path DuckDB reports for it: files are tracked by it, so the same files under another
    `PORTRAIT_RAW_DIR` (a moved landing zone) are the same files. The path starts with
    the glob's own prefix; anything else (never expected) keeps its last two parts. -#}
{% macro raw_relative_file(path_expression) -%}
    {%- set prefix = raw_dir() ~ '/' -%}
    case
        when starts_with({{ path_expression }}, '{{ prefix | replace("'", "''") }}')
            then substr({{ path_expression }}, {{ prefix | length + 1 }})
        else regexp_extract({{ path_expression }}, '[^/]+/[^/]+$')
    end
{%- endmacro %}

{#- Number of Parquet files currently in a raw table's folder (0 when the folder is missing). -#}
{% macro raw_file_count(table_name) -%}
    {%- if not execute -%}{{ return(1) }}{%- endif -%}
    {%- set result = run_query("select count(*) from glob('" ~ raw_glob(table_name) ~ "')") -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{#- A query of the raw files of a table with their row counts (`_source_file`,
    `raw_rows`), from the Parquet footers alone on DuckDB; empty when the folder is. -#}
{% macro raw_file_rows(source_name, table_name) -%}
    {%- if raw_file_count(table_name) | int == 0 -%}
    select cast(null as {{ dbt.type_string() }}) as _source_file, cast(null as {{ dbt.type_bigint() }}) as raw_rows
    where 1 = 0
    {%- else -%}
    {{ adapter.dispatch('raw_file_rows', 'portrait')(source_name, table_name) }}
    {%- endif -%}
{%- endmacro %}
{% macro duckdb__raw_file_rows(source_name, table_name) -%}
    select {{ raw_relative_file('file_name') }} as _source_file, num_rows as raw_rows
    from parquet_file_metadata('{{ raw_glob(table_name) }}')
{%- endmacro %}
{% macro default__raw_file_rows(source_name, table_name) -%}
    select _source_file, count(*) as raw_rows
    from ({{ raw_source(source_name, table_name) }}) as raw_rows_per_file
    group by _source_file
{%- endmacro %}

{#- The source nodes of the project, sorted by table name. -#}
{% macro raw_source_nodes() -%}
    {%- set nodes = [] -%}
    {%- for node in graph.sources.values() if node.package_name == project_name -%}
        {%- do nodes.append(node) -%}
    {%- endfor -%}
    {{ return(nodes | sort(attribute='name')) }}
{%- endmacro %}

{#- True while dbt compiles a unit test: the graph (sources, nodes) is empty then, and
    `ref`/`source` resolve to the test's fixtures. -#}
{% macro is_unit_test() -%}
    {{ return(model is mapping and model.get('resource_type') == 'unit_test') }}
{%- endmacro %}

{#- The staging models' only door to raw data. Selects every raw column as text,
    named `<prefix><column>`, plus the file name and row position (`_source_file`,
    `_source_row`, the duplicate tie-breaks).
    A missing or empty folder yields an empty relation of the declared columns with a
    warning, so a table that has not been delivered yet does not break the build.
    In a unit test the mocked source stands for this macro's output: dbt shows unit
    tests no graph, so the contract columns cannot be listed there. Mock it with
    `format: sql` rows named `raw_<column>`, `_source_file`, `_source_row`. -#}
{% macro raw_source(source_name, table_name, prefix='raw_') -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute or is_unit_test() -%}{{ return('select * from ' ~ relation) }}{%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {%- if raw_file_count(table_name) | int > 0 %}
    select
        {% for column in node.columns.values() -%}
        cast({{ adapter.quote(column.name) }} as {{ dbt.type_string() }}) as {{ prefix ~ column.name }},
        {% endfor -%}
        {{ raw_relative_file('filename') }} as _source_file,
        file_row_number as _source_row
    from {{ relation }}
    {%- else -%}
        {%- do exceptions.warn("portrait: no raw files for table '" ~ table_name ~ "' in " ~ raw_glob(table_name) ~ ": building an empty staging model") %}
    select
        {% for column in node.columns.values() -%}
        cast(null as {{ dbt.type_string() }}) as {{ prefix ~ column.name }},
        {% endfor -%}
        cast(null as {{ dbt.type_string() }}) as _source_file,
        cast(null as {{ dbt.type_bigint() }}) as _source_row
    where 1 = 0
    {%- endif -%}
{%- endmacro %}

{#- on-run-start: every raw file must carry every column of the contract. Reading a
    folder with `union_by_name` would silently fill a missing column with NULLs, so a
    file that lacks one fails the run with an error naming file, table and column. -#}
{% macro check_raw_schemas() %}
    {%- if execute and not var('portrait__skip_raw_schema_check', false) -%}
        {%- set problems = [] -%}
        {%- for node in raw_source_nodes() -%}
            {%- set glob_path = raw_glob(node.name) -%}
            {%- set required = node.columns.keys() | map('lower') | list -%}
            {%- if required | length > 0 and raw_file_count(node.name) | int > 0 -%}
                {%- set query -%}
                    with files as (
                        select file as file_name from glob('{{ glob_path }}')
                    ),
                    present as (
                        select distinct file_name, lower(name) as column_name
                        from parquet_schema('{{ glob_path }}')
                    ),
                    required as (
                        select unnest([{% for c in required %}'{{ c }}'{{ ", " if not loop.last }}{% endfor %}]) as column_name
                    )
                    select files.file_name, required.column_name
                    from files
                    cross join required
                    where not exists (
                        select 1 from present
                        where present.file_name = files.file_name
                          and present.column_name = required.column_name
                    )
                    order by 1, 2
                {%- endset -%}
                {%- for row in run_query(query).rows -%}
                    {%- do problems.append("file " ~ row[0] ~ " (raw table " ~ node.name ~ ") lacks required column '" ~ row[1] ~ "'") -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if problems | length > 0 -%}
            {{ exceptions.raise_compiler_error("Raw files do not match the raw contract (docs/contracts.md):\n  - " ~ (problems[:50] | join("\n  - ")) ~ ("\n  ... and " ~ (problems | length - 50) ~ " more" if problems | length > 50 else "")) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
