{#- The load's arrival watermark: the latest collector arrival time (`app_events.received_at`,
    a server clock). Rows whose own time lies beyond it (plus the tolerance) are
    future-dated (interfaces.md, "Time"). With no events delivered, the current time. #}
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
        coalesce(max(received_at), {{ dbt.current_timestamp() }}) as loaded_through_at
    from arrivals
)

select * from final
