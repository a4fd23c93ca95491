{#- Files in a raw table's folder that are not Parquet (a CSV dropped beside the exports,
    a stray archive): never read, so counted and reported instead of ignored silently
    (`audit_row_reconciliation.ignored_files`; `portrait run` names them in its report).
    Hidden files (a leading dot: editors, sync tools) are not counted. Read at compile
    time; 0 when the folder is missing. -#}
{% macro raw_ignored_file_count(table_name) -%}
    {%- if not execute or is_unit_test() -%}{{ return(0) }}{%- endif -%}
    {{ return(adapter.dispatch('raw_ignored_file_count', 'portrait')(table_name)) }}
{%- endmacro %}

{% macro default__raw_ignored_file_count(table_name) -%}
    {{ return(0) }}
{%- endmacro %}

{% macro duckdb__raw_ignored_file_count(table_name) -%}
    {%- set query -%}
        select count(*) from glob('{{ raw_dir() }}/{{ table_name }}/*') as listed
        where
            not listed.file like '%.parquet'
            and not regexp_matches(listed.file, '(^|/)\.[^/]*$')
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] | int) }}
{%- endmacro %}
