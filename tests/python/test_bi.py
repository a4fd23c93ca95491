"""What BI reads from the publication (docs/bi.md): the daily KPIs reconcile with the
orders and persons they count. Every SQL example of the docs runs in test_docs_sql.py."""

from __future__ import annotations

import duckdb
import pytest

from warehouse_fixtures import Nightly


@pytest.fixture(scope="module")
def published(tiny_nightly: Nightly) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tiny_nightly.publish), read_only=True)
    yield con
    con.close()


def test_daily_kpis_reconcile_with_orders_and_persons(published) -> None:
    kpis = {r[0]: r[1:] for r in published.execute("""
        select channel, sum(orders), sum(gmv), sum(net_revenue), sum(new_persons), count(*)
        from marts.agg_daily_kpis group by channel""").fetchall()}
    orders = {r[0]: r[1:] for r in published.execute("""
        select channel,
               count(*) filter (where (channel = 'online' and not is_cancelled) or (channel = 'store' and not is_refund)),
               sum(paid_amount) filter (where (channel = 'online' and not is_cancelled)
                                        or (channel = 'store' and not is_refund)),
               sum(net_amount)
        from marts.fct_orders group by channel""").fetchall()}
    for channel in ("online", "store"):
        assert kpis[channel][:3] == orders[channel], channel
        assert kpis[channel][3] is None  # new persons are not split by channel
    assert kpis["all"][:3] == tuple(a + b for a, b in zip(orders["online"], orders["store"]))
    persons = published.execute("select count(*) from marts.dim_person").fetchall()[0][0]
    assert kpis["all"][3] == persons  # every person is new on exactly one day
    # a day's active persons: those with an event or an order; both channels count a person once
    day, all_active, online, store = published.execute("""
        select a.kpi_date, a.active_persons, o.active_persons, s.active_persons
        from marts.agg_daily_kpis as a
        inner join marts.agg_daily_kpis as o on o.kpi_date = a.kpi_date and o.channel = 'online'
        inner join marts.agg_daily_kpis as s on s.kpi_date = a.kpi_date and s.channel = 'store'
        where a.channel = 'all' order by a.kpi_date desc limit 1""").fetchall()[0]
    assert max(online, store) <= all_active <= online + store
    buyers = published.execute("""
        select count(distinct person_id) from marts.fct_orders
        where order_date = ? and person_id is not null
          and ((channel = 'online' and not is_cancelled) or (channel = 'store' and not is_refund))""",
                               [day]).fetchall()[0][0]
    assert published.execute("select buyers from marts.agg_daily_kpis where kpi_date = ? and channel = 'all'",
                             [day]).fetchall()[0][0] == buyers


def test_category_activity_adds_up_to_the_person_metrics(published) -> None:
    by_window = {r[0]: r[1:] for r in published.execute("""
        select window_name, sum(product_views), sum(cart_adds) from marts.fct_person_category_activity
        group by window_name""").fetchall()}
    metrics = published.execute("""
        select sum(product_views_7d), sum(cart_adds_7d), sum(product_views_90d), sum(cart_adds_90d),
               sum(product_views_lifetime), sum(cart_adds_lifetime)
        from marts.fct_person_metrics""").fetchall()[0]
    assert by_window["7d"] + by_window["90d"] + by_window["lifetime"] == metrics
    assert metrics[0] > 0 and metrics[1] > 0
    # orders: a person's orders with a line of the category, never more than all their orders
    over = published.execute("""
        select count(*) from marts.fct_person_category_activity as activity
        inner join marts.fct_person_metrics as metrics using (person_id)
        where activity.window_name = 'lifetime' and activity.orders > metrics.orders_lifetime""").fetchall()[0][0]
    assert over == 0


def test_order_lines_carry_their_orders_and_add_up_to_the_category_spend(published) -> None:
    # one vocabulary: lines and orders say the same platform for every order
    mismatched = published.execute("""
        select count(*) from marts.fct_order_lines as lines
        inner join marts.fct_orders as orders using (order_key)
        where lines.platform != orders.platform or lines.channel != orders.channel
           or lines.person_id is distinct from orders.person_id""").fetchall()[0][0]
    assert mismatched == 0
    platforms = {r[0] for r in published.execute("select distinct platform from marts.fct_order_lines").fetchall()}
    assert platforms == {"web", "app", "miniprogram", "store"}
    coupons, stores = published.execute("""
        select count(*) filter (where coupon_code is not null and channel = 'online'),
               count(*) filter (where store_id is not null and channel = 'store')
        from marts.fct_order_lines""").fetchall()[0]
    assert coupons > 0 and stores > 0
    # the lifetime category spend of identified buyers is their counted lines'
    lines = dict(published.execute("""
        select category_l1, sum(line_amount) from marts.fct_order_lines
        where is_counted and person_id is not null and category_l1 is not null group by 1""").fetchall())
    activity = dict(published.execute("""
        select category, sum(spend) from marts.fct_person_category_activity
        where window_name = 'lifetime' group by 1""").fetchall())
    assert lines == activity and lines


# ----------------------------------------------------------------------------- segment history
def _segments_on(con: duckdb.DuckDBPyConnection, on_date) -> dict[tuple[str, str], str]:
    """(person, scheme) -> segment on a date, looked up in the published history."""
    return {(p, s): code for p, s, code in con.execute(
        "select person_id, scheme, segment_code from marts.fct_person_segment_history "
        "where valid_from <= ? and (valid_to > ? or valid_to is null)", [on_date, on_date]).fetchall()}


def test_the_current_history_rows_are_todays_segments(published) -> None:
    current = set(published.execute("select person_id, scheme, segment_code from marts.fct_person_segment_history "
                                    "where is_current").fetchall())
    today = set(published.execute("select person_id, scheme, segment_code from marts.fct_person_segments").fetchall())
    assert current == today and len(today) == 5 * published.execute(
        "select count(*) from marts.dim_person").fetchall()[0][0]
    as_of = published.execute("select max(as_of_date) from marts.fct_person_segments").fetchall()[0][0]
    assert _segments_on(published, as_of) == {(p, s): c for p, s, c in today}


def test_lifecycle_on_past_dates_is_recomputed_from_the_orders_of_then(published) -> None:
    """On every month end and every campaign's eve, the published history's lifecycle
    segment equals one computed here from `marts.fct_orders` up to that date alone (with
    the project's thresholds): orders after a date never move its segment, so a campaign
    is split by segments it could not have moved."""
    import datetime as dt

    import yaml

    from portrait.paths import PROJECT_DIR

    variables = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    new, active, silent, warning = (variables[f"portrait__lifecycle_{name}_days"]
                                    for name in ("new", "active", "silent", "churn_warning"))
    month_ends = [r[0] for r in published.execute(
        "select distinct period_start from marts.agg_segment_migration order by 1").fetchall()]
    campaign_eves = [r[0] - dt.timedelta(days=1) for r in published.execute(
        "select distinct start_date from marts.dim_campaign where start_date > ? order by 1",
        [month_ends[0]]).fetchall()]
    assert len(month_ends) >= 12 and campaign_eves
    purchases = published.execute("select person_id, order_date from marts.fct_orders "
                                  "where is_purchase and person_id is not null").fetchall()
    checked = 0
    for on_date in month_ends[-6:] + campaign_eves[-6:]:
        first, last = {}, {}
        for person, day in purchases:
            if day <= on_date:
                first[person] = min(first.get(person, day), day)
                last[person] = max(last.get(person, day), day)
        published_lifecycle = {p: code for (p, s), code in _segments_on(published, on_date).items()
                               if s == "lifecycle"}
        for person, code in published_lifecycle.items():
            if person not in last:
                expected = "prospect"
            elif (on_date - first[person]).days < new:
                expected = "new"
            else:
                since = (on_date - last[person]).days
                expected = ("active" if since < active else "silent" if since < silent
                            else "churn_warning" if since < warning else "churned")
            assert code == expected, (on_date, person, code, expected)
            checked += 1
        # every buyer of then is in the history on that date
        assert set(last) <= set(published_lifecycle), on_date
    assert checked > 1000


def test_the_migration_counts_the_moves_between_month_ends(published) -> None:
    """Each period of `agg_segment_migration` equals the moves read from the history on its
    two dates, for every scheme; a period's rows add up to the persons at its end."""
    periods = published.execute("select distinct period_start, period_end from marts.agg_segment_migration "
                                "order by period_end desc limit 2").fetchall()
    for start, end in periods:
        before, after = _segments_on(published, start), _segments_on(published, end)
        expected: dict[tuple, int] = {}
        for (person, scheme), to_segment in after.items():
            key = (scheme, before.get((person, scheme), "not_seen"), to_segment)
            expected[key] = expected.get(key, 0) + 1
        published_moves = {(s, f, t): n for s, f, t, n in published.execute(
            "select scheme, from_segment, to_segment, persons from marts.agg_segment_migration "
            "where period_end = ?", [end]).fetchall()}
        assert published_moves == expected, end
        assert {s for s, _, _ in expected} == {"rfm", "lifecycle", "aipl", "value_tier", "persona"}
    # something moves, in every scheme but perhaps persona, over the last period
    moved = {s for (s, f, t) in published_moves if f != t and f != "not_seen"}
    assert {"rfm", "lifecycle", "aipl", "value_tier"} <= moved
