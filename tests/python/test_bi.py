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
