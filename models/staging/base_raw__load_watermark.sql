{#- The load's arrival watermark: the latest collector arrival time (`app_events.received_at`,
    a server clock). Rows whose own time lies beyond it (plus the tolerance) are
    future-dated (docs/contracts.md, "Time"). With no events delivered, the current time.
    Read from raw (one column), not from `base_app__events`, so the other base models
    need not wait for the largest one. #}
with

events as (
    {{ raw_source('app', 'app_events') }}
),

arrivals as (
    select {{ parse_timestamp('raw_received_at') }} as received_at
    from events
),

final as (
    select
        coalesce(max(received_at), {{ dbt.cast(dbt.current_timestamp(), dbt.type_timestamp()) }}) as loaded_through_at
    from arrivals
)

select * from final
