{#- Post-hook of `fct_audience_membership_changes` (append-only, kept by `--full-refresh`):
    deletes the membership history of erased persons, under every person id the
    suppression list gives them. Nothing to do before any erasure. -#}
{% macro erase_audience_history() -%}
    {%- set entries = suppression_entries() if execute else none -%}
    {%- if entries is none -%}{{ return('') }}{%- endif -%}
    delete from {{ this }}
    where person_id in (
        select entries.identifier_hash from ({{ entries }}) as entries
        where entries.identifier_type = 'person'
    )
{%- endmacro %}
