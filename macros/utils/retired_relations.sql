{#- Relations an earlier version built that the project no longer builds, with why. Left
    in place they would go stale and, holding person ids, would keep erased persons (no
    erasure hook runs on them any more), so every invocation drops them (on-run-start).
    Their content is rebuilt elsewhere from the raw history. -#}
{% macro retired_relations() -%}
    {{ return([
        {'schema': 'snapshots', 'name': 'snap_profile__person_segments',
         'why': 'replaced by fct_person_segment_history, rebuilt from the raw history on every build'},
    ]) }}
{%- endmacro %}

{% macro drop_retired_relations() -%}
    {%- if execute -%}
        {%- for retired in retired_relations() -%}
            {%- set relation = adapter.get_relation(database=target.database,
                                                    schema=generate_schema_name(retired.schema, none) | trim,
                                                    identifier=retired.name) -%}
            {%- if relation is not none -%}
                {{ log('portrait: dropping ' ~ relation ~ ' (' ~ retired.why ~ ')', info=true) }}
                {% do adapter.drop_relation(relation) %}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
