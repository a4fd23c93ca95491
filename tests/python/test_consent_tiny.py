"""Marketing consent on the tiny dataset: int_privacy__consent and the dim_person flags."""

from __future__ import annotations

import pytest

from warehouse_fixtures import Warehouse

CHANNELS = ("sms", "email", "push", "wechat", "ads")
# The identifier types that can carry each channel (macro `consent_channels`).
USABLE_COUNTS = {"sms": "phone_count", "email": "email_count", "push": "account_id_count + device_id_count",
                 "wechat": "openid_count", "ads": "phone_count + email_count"}


@pytest.fixture(scope="module")
def con(tiny_warehouse: Warehouse):
    assert tiny_warehouse.returncode == 0, tiny_warehouse.output[-5000:]
    connection = tiny_warehouse.connect()
    yield connection
    connection.close()


def test_every_person_has_one_consent_row_per_channel(con) -> None:
    persons = con.execute("select count(distinct person_id) from intermediate.int_identity__person_map").fetchone()[0]
    rows = con.execute("""
        select channel, count(*), count(distinct person_id)
        from intermediate.int_privacy__consent group by channel
    """).fetchall()
    assert persons > 1000
    assert sorted(rows) == sorted((channel, persons, persons) for channel in CHANNELS)


def test_dim_person_flags_agree_with_the_consent_model(con) -> None:
    unpivoted = " union all ".join(
        f"select person_id, '{channel}' as channel, is_contactable_{channel} as is_contactable, "
        f"{channel}_not_contactable_reason as reason, {channel}_not_contactable_since as since "
        f"from marts.dim_person" for channel in CHANNELS)
    from_dim = con.execute(f"select * from ({unpivoted}) order by all").fetchall()
    from_consent = con.execute("""
        select person_id, channel, is_contactable, not_contactable_reason, not_contactable_since
        from intermediate.int_privacy__consent order by all
    """).fetchall()
    assert from_dim == from_consent
    assert all(is_contactable is not None for _, _, is_contactable, _, _ in from_dim)


def test_a_contactable_person_holds_an_identifier_for_the_channel(con) -> None:
    for channel, usable in USABLE_COUNTS.items():
        contactable, without_identifier = con.execute(f"""
            select count(*), count(case when {usable} = 0 then 1 end)
            from marts.dim_person where is_contactable_{channel}
        """).fetchone()
        assert contactable > 0, channel
        assert without_identifier == 0, channel
        unexplained = con.execute(f"""
            select count(*) from marts.dim_person
            where ({channel}_not_contactable_reason = 'no_identifier') != ({usable} = 0)
        """).fetchone()[0]
        assert unexplained == 0, channel


def test_opt_outs_on_the_tiny_data_block_the_persons_who_asked(con) -> None:
    """Some persons opted out; each of them holds an identifier whose latest marketing
    request (up to the as-of date) is an opt-out, and the blocking date is that request's
    local date or an earlier-blocked channel's; a subscribed WeChat user is contactable
    on wechat unless opted out."""
    opted_out = con.execute("""
        select person_id, channel, not_contactable_since from intermediate.int_privacy__consent
        where not_contactable_reason = 'opted_out'
    """).fetchall()
    assert len({person for person, _, _ in opted_out}) >= 3
    assert all(since is not None for _, _, since in opted_out)
    # recomputed from staging without the model's channel mapping: the persons holding an
    # identifier whose latest request is an opt-out, and their opt-out dates
    asked = con.execute("""
        with latest as (
            select
                identifier_type, identifier, request_type,
                cast(timezone('Asia/Shanghai', cast(requested_at as timestamptz)) as date) as requested_date,
                row_number() over (partition by identifier_type, identifier
                                   order by requested_at desc, request_type desc, request_id desc) as recency_rank
            from staging.stg_privacy__requests
            where request_type in ('marketing_opt_out', 'marketing_opt_in')
                and not is_identifier_placeholder and not is_identifier_invalid
                and cast(timezone('Asia/Shanghai', cast(requested_at as timestamptz)) as date)
                    <= (select as_of_date from intermediate.int_profile__as_of_date)
        )
        select person_map.person_id, latest.requested_date
        from latest
        inner join intermediate.int_identity__person_map as person_map
            on latest.identifier_type = person_map.identifier_type
            and latest.identifier = person_map.identifier_value
        where latest.recency_rank = 1 and latest.request_type = 'marketing_opt_out'
    """).fetchall()
    dates_by_person: dict[str, set] = {}
    for person, requested_date in asked:
        dates_by_person.setdefault(person, set()).add(requested_date)
    for person, channel, since in opted_out:
        assert since in dates_by_person.get(person, set()), (person, channel, since)
    subscribed_not_contactable = con.execute("""
        select count(*) from intermediate.int_privacy__consent
        where channel = 'wechat' and subscribed_openids > 0 and not is_contactable
            and not_contactable_reason != 'opted_out'
    """).fetchone()[0]
    assert subscribed_not_contactable == 0
