{{ depends_on_placeholder_identifiers() }}
{# Every raw store receipt, parsed and normalised, in exactly one bucket. Returns carry
   a negative amount and are valid. #}
{% set erasure = erasure_spec(identifiers=[
    {'type': 'card_no', 'column': 'member_card_no'},
    {'type': 'phone', 'column': 'phone'},
], row_time='transacted_at') %}
with

source as (
    {{ raw_source('pos', 'pos_transactions') }}
),

watermark as (
    select loaded_through_at from {{ ref('base_raw__load_watermark') }}
),

parsed as (
    select
        source.*,
        {{ normalise_id('raw_txn_id') }} as txn_id,
        {{ clean_text('raw_store_id') }} as store_id,
        {{ clean_text('raw_store_city') }} as store_city,
        {{ normalise_id('raw_member_card_no', 'card_no') }} as member_card_no,
        {{ normalise_phone('raw_phone') }} as phone,
        {{ map_enum('raw_payment_method', enum_mapping('payment_method')) }} as payment_method,
        {{ parse_amount('raw_total_amount') }} as total_amount,
        {{ parse_timestamp('raw_txn_ts') }} as txn_ts,
        watermark.loaded_through_at
    from source
    cross join watermark
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_missing(['txn_id']), 'missing_key'),
            (any_unparsed(['txn_ts']), 'unparseable_timestamp'),
            (any_missing(['txn_ts']), 'missing_key'),
            (any_future_dated([('txn_ts', 'loaded_through_at')]), 'future_timestamp'),
            (any_unparsed([], required=['total_amount']), 'unparseable_amount'),
            (any_absurd_amount(['total_amount']), 'absurd_amount'),
            (any_missing(['payment_method']), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from parsed
),

typed_rows as (
    select
        txn_id,
        store_id,
        store_city,
        member_card_no,
        phone,
        payment_method,
        total_amount,
        {{ identifier_flags('card_no', 'member_card_no') }},
        {{ identifier_flags('phone', 'phone') }},
        (total_amount < 0) as is_return,
        txn_ts as transacted_at,
        {{ bucket_columns('pos', 'pos_transactions', 'txn_ts', 'raw_txn_id') }}
    from checked
),

{{ bucketed_rows('typed_rows', ['txn_id'], erasure=erasure) }}

select * from final
