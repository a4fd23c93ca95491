{# Exactly one consent row per person and channel: every person of
   int_identity__person_map has one row in int_privacy__consent for each channel of
   `consent_channels()`, and no row belongs to an unknown person or channel. Fails with
   the (person, channel) pairs that have 0 or 2+ rows. #}

with

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

consent as (
    select * from {{ ref('int_privacy__consent') }}
),

persons as (
    select distinct person_id from person_map
),

channels as (
    {% for channel in consent_channels() -%}
        select '{{ channel }}' as channel
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

expected as (
    select
        persons.person_id,
        channels.channel
    from persons
    cross join channels
),

actual as (
    select
        person_id,
        channel,
        count(*) as consent_rows
    from consent
    group by person_id, channel
),

final as (
    select
        coalesce(expected.person_id, actual.person_id) as person_id,
        coalesce(expected.channel, actual.channel) as channel,
        coalesce(actual.consent_rows, 0) as consent_rows
    from expected
    full outer join actual
        on expected.person_id = actual.person_id and expected.channel = actual.channel
    where expected.person_id is null or actual.consent_rows is null or actual.consent_rows != 1
)

select * from final
