{#- Generic tests dbt_utils would give (the package hub is out of reach here). Each
    returns the failing rows; each is tested by a singular test on VALUES rows
    (tests/staging/generic/). -#}

{#- No two rows share the combination of `combination_of_columns` (composite keys). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as duplicate_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Every row satisfies a SQL boolean `expression` (NULL counts as a failure). -#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}

{#- Non-NULL values of the column lie in [min_value, max_value] (either bound optional). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
    select *
    from {{ model }}
    where {{ column_name }} is not null
        and (
            false
            {%- if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
            {%- if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}
        )
{% endtest %}

{#- Every one of `values` occurs in the column (the complement of `accepted_values`):
    one failing row per missing value. -#}
{% test contains_values(model, column_name, values) %}
    with expected as (
        {% for value in values -%}
        select '{{ value }}' as expected_value
        {% if not loop.last %}union all
        {% endif -%}
        {%- endfor %}
    )

    select expected.expected_value as missing_value
    from expected
    where not exists (
        select 1 from {{ model }} as actual
        where cast(actual.{{ column_name }} as {{ dbt.type_string() }}) = expected.expected_value
    )
{% endtest %}

{#- Every row's (`columns`) combination, where none of them is NULL, exists in `to`
    (a composite foreign key; `to_columns` default to the same names). -#}
{% test relationships_by_columns(model, to, columns, to_columns=none) %}
    {%- set parent_columns = to_columns or columns %}
    select child.*
    from (select * from {{ model }}) as child
    where
        {% for column in columns -%}
            child.{{ column }} is not null and
        {% endfor -%}
        not exists (
            select 1
            from {{ to }} as parent
            where
                {% for column in columns -%}
                    child.{{ column }} = parent.{{ parent_columns[loop.index0] }}{{ ' and' if not loop.last }}
                {% endfor %}
        )
{% endtest %}
