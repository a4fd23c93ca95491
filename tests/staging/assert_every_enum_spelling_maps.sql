{# Every raw spelling of every enum (macros/staging/enums.sql) maps to its canonical code
   through `map_enum`, also upper-cased and padded with spaces the way exports deliver
   them; and no spelling is claimed by two codes of one enum. Returns the failures. #}
{%- set cases = [] %}
{%- for name, mapping in enum_mappings().items() %}
    {%- for code, spellings in mapping.items() %}
        {%- for spelling in [code] + spellings %}
            {%- for variant in [spelling, spelling | upper, '  ' ~ spelling ~ ' '] %}
                {%- do cases.append("('" ~ name ~ "', '" ~ variant | replace("'", "''") ~ "', '" ~ code ~ "')") %}
            {%- endfor %}
        {%- endfor %}
    {%- endfor %}
{%- endfor %}

with

cases as (
    select
        enum_cases.enum_name,
        enum_cases.spelling,
        enum_cases.expected_code
    from (
        values
        {{ cases | join(',\n        ') }}
    ) as enum_cases (enum_name, spelling, expected_code)
),

mapped as (
    select
        enum_name,
        spelling,
        expected_code,
        case enum_name
            {% for name in enum_mappings() -%}
                when '{{ name }}' then {{ map_enum('spelling', enum_mapping(name)) }}
            {% endfor -%}
        end as mapped_code
    from cases
),

final as (
    select * from mapped
    where mapped_code is null or mapped_code != expected_code
)

select * from final
