{# Every pair of identifiers that co-occur in one staged row (per source and rule), plus
   the data stewards' forced merges, with the guards' verdicts: placeholder identifiers
   never link, an identifier over its degree cap stops bridging, a forced split never
   links. The conflict rule needs the whole graph and is applied next, in Python
   (`int_identity__components`). #}
-- depends_on: {{ ref('identity_overrides') }}

with

identifier_rows as (
    select * from {{ ref('int_identity__identifier_rows') }}
),

degree_caps as (
    select * from {{ ref('identity_degree_caps') }}
),

overrides as (
    select * from {{ ref('identity_overrides') }}
),

row_pairs as (
    {%- set selects = [] %}
    {%- for source in identity_sources() %}
        {%- for pair in source.pairs %}
            {%- set type_a, type_b = (pair | sort) %}
            {%- do selects.append(
                "select '" ~ type_a ~ "' as identifier_type_a, " ~ type_a ~ " as identifier_value_a, "
                ~ "'" ~ type_b ~ "' as identifier_type_b, " ~ type_b ~ " as identifier_value_b, "
                ~ "source_table, rule, (is_" ~ type_a ~ "_placeholder or is_" ~ type_b ~ "_placeholder) as has_placeholder, "
                ~ "first_seen_at, last_seen_at, supporting_rows from identifier_rows "
                ~ "where rule = '" ~ source.rule ~ "' and " ~ type_a ~ " is not null and " ~ type_b ~ " is not null"
            ) %}
        {%- endfor %}
    {%- endfor %}
    {{ selects | join('\n    union all\n    ') }}
),

observed_edges as (
    select
        identifier_type_a,
        identifier_value_a,
        identifier_type_b,
        identifier_value_b,
        source_table,
        rule,
        {{ dbt.bool_or('has_placeholder') }} as has_placeholder,
        cast(sum(supporting_rows) as {{ dbt.type_bigint() }}) as supporting_rows,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from row_pairs
    group by identifier_type_a, identifier_value_a, identifier_type_b, identifier_value_b, source_table, rule
),

-- Both directions of every usable observed edge, to count each identifier's neighbours.
edge_ends as (
    select
        identifier_type_a as identifier_type,
        identifier_value_a as identifier_value,
        identifier_type_b as neighbour_type,
        identifier_value_b as neighbour_value
    from observed_edges
    where not has_placeholder
    union all
    select
        identifier_type_b as identifier_type,
        identifier_value_b as identifier_value,
        identifier_type_a as neighbour_type,
        identifier_value_a as neighbour_value
    from observed_edges
    where not has_placeholder
),

neighbour_counts as (
    select
        identifier_type,
        identifier_value,
        neighbour_type,
        count(distinct neighbour_value) as neighbours
    from edge_ends
    group by identifier_type, identifier_value, neighbour_type
),

over_cap as (
    select
        neighbour_counts.identifier_type,
        neighbour_counts.identifier_value,
        min(
            {{ dbt.concat([
                "neighbour_counts.identifier_type", "' linked to '",
                dbt.safe_cast("neighbour_counts.neighbours", dbt.type_string()), "' '",
                "neighbour_counts.neighbour_type", "' (cap '",
                dbt.safe_cast("degree_caps.max_neighbours", dbt.type_string()), "')'",
            ]) }}
        ) as cap_reason
    from neighbour_counts
    inner join degree_caps
        on
            neighbour_counts.identifier_type = degree_caps.identifier_type
            and neighbour_counts.neighbour_type = degree_caps.neighbour_type
    where neighbour_counts.neighbours > degree_caps.max_neighbours
    group by neighbour_counts.identifier_type, neighbour_counts.identifier_value
),

forced_merges as (
    select
        case when identifier_type_a <= identifier_type_b then identifier_type_a else identifier_type_b end
            as identifier_type_a,
        case when identifier_type_a <= identifier_type_b then identifier_value_a else identifier_value_b end
            as identifier_value_a,
        case when identifier_type_a <= identifier_type_b then identifier_type_b else identifier_type_a end
            as identifier_type_b,
        case when identifier_type_a <= identifier_type_b then identifier_value_b else identifier_value_a end
            as identifier_value_b,
        'identity_overrides' as source_table,
        'steward_merge' as rule,
        false as has_placeholder,
        cast(0 as {{ dbt.type_bigint() }}) as supporting_rows,
        cast(null as {{ dbt.type_timestamp() }}) as first_seen_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_seen_at
    from overrides
    where action = 'merge'
),

forced_splits as (
    select
        identifier_type_a,
        identifier_value_a,
        identifier_type_b,
        identifier_value_b
    from overrides
    where action = 'split'
    union
    select
        identifier_type_b as identifier_type_a,
        identifier_value_b as identifier_value_a,
        identifier_type_a as identifier_type_b,
        identifier_value_a as identifier_value_b
    from overrides
    where action = 'split'
),

all_edges as (
    select * from observed_edges
    union all
    select * from forced_merges
),

judged as (
    select
        all_edges.*,
        case
            when all_edges.rule = 'steward_merge' then null
            when forced_splits.identifier_type_a is not null then 'steward_split'
            when all_edges.has_placeholder then 'placeholder'
            when cap_a.cap_reason is not null then {{ dbt.concat(["'degree_cap: '", "cap_a.cap_reason"]) }}
            when cap_b.cap_reason is not null then {{ dbt.concat(["'degree_cap: '", "cap_b.cap_reason"]) }}
        end as guard_drop_reason
    from all_edges
    left join forced_splits
        on
            all_edges.identifier_type_a = forced_splits.identifier_type_a
            and all_edges.identifier_value_a = forced_splits.identifier_value_a
            and all_edges.identifier_type_b = forced_splits.identifier_type_b
            and all_edges.identifier_value_b = forced_splits.identifier_value_b
    left join over_cap as cap_a
        on
            all_edges.identifier_type_a = cap_a.identifier_type
            and all_edges.identifier_value_a = cap_a.identifier_value
    left join over_cap as cap_b
        on
            all_edges.identifier_type_b = cap_b.identifier_type
            and all_edges.identifier_value_b = cap_b.identifier_value
),

final as (
    select
        identifier_type_a,
        identifier_value_a,
        identifier_type_b,
        identifier_value_b,
        source_table,
        rule,
        guard_drop_reason,
        supporting_rows,
        has_placeholder,
        guard_drop_reason is null as passes_guards,
        first_seen_at,
        last_seen_at
    from judged
)

select * from final
