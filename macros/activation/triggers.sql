{#- Behaviour triggers, declared (not coded) in `config.meta.triggers` of
    `int_trigger__qualifying_days` (models/activation/triggers/_triggers.yml) and compiled
    here into SQL: the days on which each trigger's condition holds for a person, with a
    context (the category, the year) and the count that made it hold. The cool-down is
    applied downstream (`fct_trigger_firings`). Kinds (docs/activation.md, "Triggers"):

    - `count`: at least `at_least` events `event` in the `within_days` days ending on an
      event day (`per: category`: of one category), and, with `and_not`, no purchase (of
      that category, `per: category`) in the same days. Evaluated on the days the event
      happens.
    - `no_follow_up`: an event `event` not followed by a purchase within `within_hours`;
      holds on the local date the hours run out.
    - `days_after_first_purchase`: `days` days after the person's first purchase.
    - `silence`: `days` days after a purchase not followed by another within them, for a
      person whose purchases in the 365 days up to it reached `min_spend_365d`.
    - `birthday_month`: the first day of the person's birth month (CRM birth date), each year.

    Every day is at most the as-of date. -#}

{% macro declared_triggers() -%}
    {%- set meta = config.get('meta') -%}
    {{ return(meta.get('triggers', []) if meta is mapping else []) }}
{%- endmacro %}

{#- Checks a trigger's declaration; raises a compile error naming the trigger. -#}
{% macro check_trigger(trigger) -%}
    {%- set kinds = ['count', 'no_follow_up', 'days_after_first_purchase', 'silence', 'birthday_month'] -%}
    {%- set code = trigger.get('code') -%}
    {%- if not code or not modules.re.fullmatch('[a-z][a-z0-9_]{2,62}', code) -%}
        {{ exceptions.raise_compiler_error("trigger " ~ code ~ ": code must match [a-z][a-z0-9_]{2,62}") }}
    {%- endif -%}
    {%- for key in ['name_zh', 'name_en', 'owner', 'description', 'kind'] if not trigger.get(key) -%}
        {{ exceptions.raise_compiler_error("trigger " ~ code ~ ": missing " ~ key) }}
    {%- endfor -%}
    {%- if trigger.kind not in kinds -%}
        {{ exceptions.raise_compiler_error("trigger " ~ code ~ ": unknown kind '" ~ trigger.kind ~ "' (kinds: " ~ kinds | join(', ') ~ ")") }}
    {%- endif -%}
    {%- if (trigger.get('cooldown_days', 0) | int) < 0 -%}
        {{ exceptions.raise_compiler_error("trigger " ~ code ~ ": cooldown_days must not be negative") }}
    {%- endif -%}
    {%- if trigger.kind in ('count', 'no_follow_up') and not trigger.get('event') -%}
        {{ exceptions.raise_compiler_error("trigger " ~ code ~ ": kind " ~ trigger.kind ~ " needs an event") }}
    {%- endif -%}
{%- endmacro %}

{#- The qualifying days of one trigger: trigger_code, person_id, qualify_date, context,
    trigger_count, cooldown_days. `events`, `purchases`, `purchase_lines`, `birthdays`,
    `as_of` name CTEs of the calling model. -#}
{% macro trigger_qualifying_sql(trigger) -%}
    {%- do check_trigger(trigger) -%}
    {%- set code = "'" ~ trigger.code ~ "'" -%}
    {%- set cooldown = trigger.get('cooldown_days', 0) | int -%}
    {%- if trigger.kind == 'count' -%}
        {%- set per_category = trigger.get('per') == 'category' -%}
        {%- set within = trigger.get('within_days', 1) | int -%}
    select
        {{ code }} as trigger_code,
        counted.person_id,
        counted.event_date as qualify_date,
        counted.context,
        counted.window_count as trigger_count,
        {{ cooldown }} as cooldown_days
    from (
        select
            daily.person_id,
            daily.event_date,
            daily.context,
            sum(daily.events) over (
                partition by daily.person_id, daily.context order by daily.event_date
                range between interval {{ within - 1 }} days preceding and current row
            ) as window_count
        from (
            select
                events.person_id,
                events.event_date,
                {{ "coalesce(events.category_l1, '')" if per_category else "''" }} as context,
                count(*) as events
            from events
            where events.event_name = '{{ trigger.event }}'
            group by 1, 2, 3
        ) as daily
    ) as counted
    where
        counted.window_count >= {{ trigger.get('at_least', 1) | int }}
        {%- if trigger.get('and_not_purchase') %}
        and not exists (
            select 1 from purchase_lines
            where
                purchase_lines.person_id = counted.person_id
                {%- if per_category %}
                and purchase_lines.category_l1 = counted.context
                {%- endif %}
                and purchase_lines.order_date between counted.event_date - {{ within - 1 }} and counted.event_date
        )
        {%- endif %}
    {%- elif trigger.kind == 'no_follow_up' -%}
        {%- set hours = trigger.get('within_hours', 24) | int -%}
    select
        {{ code }} as trigger_code,
        followed.person_id,
        followed.qualify_date,
        followed.context,
        count(*) as trigger_count,
        {{ cooldown }} as cooldown_days
    from (
        select
            events.person_id,
            {{ local_date(dbt.dateadd('hour', hours, 'events.event_at')) }} as qualify_date,
            coalesce(events.category_l1, '') as context
        from events
        where
            events.event_name = '{{ trigger.event }}'
            and not exists (
                select 1 from purchases
                where
                    purchases.person_id = events.person_id
                    and purchases.ordered_at > events.event_at
                    and purchases.ordered_at <= {{ dbt.dateadd('hour', hours, 'events.event_at') }}
            )
    ) as followed
    group by 1, 2, 3, 4
    {%- elif trigger.kind == 'days_after_first_purchase' -%}
    select
        {{ code }} as trigger_code,
        person_id,
        first_date + {{ trigger.get('days', 7) | int }} as qualify_date,
        '' as context,
        1 as trigger_count,
        {{ cooldown }} as cooldown_days
    from (
        select person_id, min(order_date) as first_date from purchases group by person_id
    ) as firsts
    {%- elif trigger.kind == 'silence' -%}
        {%- set days = trigger.get('days', 30) | int -%}
    select
        {{ code }} as trigger_code,
        person_id,
        order_date + {{ days }} as qualify_date,
        '' as context,
        {{ days }} as trigger_count,
        {{ cooldown }} as cooldown_days
    from (
        select
            person_id,
            order_date,
            lead(order_date) over (partition by person_id order by order_date) as next_date,
            sum(net_amount) over (
                partition by person_id order by order_date
                range between interval 364 days preceding and current row
            ) as spend_365d
        from (
            select person_id, order_date, sum(net_amount) as net_amount
            from purchases group by person_id, order_date
        ) as purchase_days
    ) as gaps
    where
        (next_date is null or next_date > order_date + {{ days }})
        and spend_365d >= {{ trigger.get('min_spend_365d', 0) }}
    {%- elif trigger.kind == 'birthday_month' -%}
    select
        {{ code }} as trigger_code,
        birthdays.person_id,
        {{ dbt.date_trunc('month', 'cast(' ~ dbt.concat(["cast(years.data_year as " ~ dbt.type_string() ~ ")", "'-'", "lpad(cast(birthdays.birth_month as " ~ dbt.type_string() ~ "), 2, '0')", "'-01'"]) ~ ' as date)') }} as qualify_date,
        cast(years.data_year as {{ dbt.type_string() }}) as context,
        1 as trigger_count,
        {{ cooldown }} as cooldown_days
    from birthdays
    cross join years
    {%- endif -%}
{%- endmacro %}

{#- The triggers declared on `int_trigger__qualifying_days`, for other models (compile
    time, from the graph; empty while parsing). -#}
{% macro declared_trigger_list() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == 'int_trigger__qualifying_days' -%}
        {{ return(node.config.meta.get('triggers', [])) }}
    {%- endfor -%}
    {{ return([]) }}
{%- endmacro %}
