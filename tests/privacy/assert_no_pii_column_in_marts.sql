{# No published column is PII: every model built into schema `marts` (or kept under
   models/marts/) is copied whole into the published file, so none of its columns may
   carry `meta: {pii: true}` (CONTRIBUTING.md, "PII columns"). Reads the tags from the
   project graph at execution time; fails with one row per tagged mart column. #}
{%- set offenders = [] %}
{%- if execute %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' %}
        {%- if node.schema == 'marts' or node.original_file_path.startswith('models/marts/') %}
            {%- for column in node.columns.values() %}
                {%- set column_meta = column.get('config', {}).get('meta', {}) %}
                {%- set pii = column.get('meta', {}).get('pii', column_meta.get('pii', false)) %}
                {%- if (pii | string | lower) in ['true', 'yes', '1'] %}
                    {%- do offenders.append((node.name, column.name, node.original_file_path)) %}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
    {%- endfor %}
{%- endif %}

with

tagged_mart_columns as (
    {% if offenders -%}
        {% for model_name, column_name, model_path in offenders -%}
            select
                '{{ model_name }}' as model_name,
                '{{ column_name }}' as column_name,
                '{{ model_path }}' as model_path
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as model_name,
            cast(null as {{ dbt.type_string() }}) as column_name,
            cast(null as {{ dbt.type_string() }}) as model_path
        where 1 = 0
    {%- endif %}
),

final as (
    select
        model_name,
        column_name,
        model_path,
        'a mart column is tagged meta pii: marts are published' as problem
    from tagged_mart_columns
)

select * from final
