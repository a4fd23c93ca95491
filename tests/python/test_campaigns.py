"""Campaign results (issue 29, measured results): the published rows against a library
computation run here from the published touches, and the statistics' edge cases on
planted frames. The attribution window's edges are a dbt unit test
(models/intermediate/campaigns/_campaigns__unit_tests.yml)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.proportion import test_proportions_2indep as score_test  # not collected as a test

from portrait.campaigns.results import campaign_results
from warehouse_fixtures import Nightly


@pytest.fixture(scope="module")
def published(tiny_nightly: Nightly) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tiny_nightly.publish), read_only=True)
    yield con
    con.close()


def test_published_results_equal_a_library_computation_from_the_published_touches(published) -> None:
    # one row per campaign and analysed person, from the touch-grain mart alone
    persons = published.execute("""
        select campaign_id, person_id, any_value(assigned_group) as assigned_group, bool_or(converted) as converted,
               any_value(orders_in_window) as orders, any_value(revenue_in_window)::double as revenue
        from marts.fct_campaign_touches where is_analysed group by campaign_id, person_id""").df()
    results = published.execute("select * from marts.agg_campaign_results where scheme = 'overall'").df()
    results = results.set_index("campaign_id")
    assert set(results.index) == set(persons["campaign_id"]) and len(results) >= 20
    p_values = {}
    for campaign_id, group in persons.groupby("campaign_id"):
        t, c = group[group.assigned_group == "treatment"], group[group.assigned_group == "control"]
        row = results.loc[campaign_id]
        assert (row.treatment_persons, row.control_persons) == (len(t), len(c))
        assert (row.treatment_conversions, row.control_conversions) == (t.converted.sum(), c.converted.sum())
        low, high = confint_proportions_2indep(t.converted.sum(), len(t), c.converted.sum(), len(c),
                                               method="newcomb", compare="diff")
        assert row.uplift == pytest.approx(t.converted.mean() - c.converted.mean())
        assert (row.uplift_ci_low, row.uplift_ci_high) == (pytest.approx(low), pytest.approx(high))
        assert row.uplift_ci_low <= row.uplift <= row.uplift_ci_high
        p = score_test(t.converted.sum(), len(t), c.converted.sum(), len(c), method="score").pvalue
        assert row.p_value == pytest.approx(1.0 if np.isnan(p) else p)
        p_values[campaign_id] = row.p_value
        assert row.incremental_revenue == pytest.approx((t.revenue.mean() - c.revenue.mean()) * len(t))
        assert row.incremental_orders == pytest.approx((t.orders.mean() - c.orders.mean()) * len(t))
        assert row.incremental_revenue_ci_low < row.incremental_revenue_ci_high
        assert row.is_small_cell == (min(len(t), len(c)) < 30)
    ids = sorted(p_values)
    q = multipletests([p_values[i] for i in ids], method="fdr_bh")[1]
    assert list(results.loc[ids, "q_value"]) == pytest.approx(list(q))


def test_segment_rows_split_each_campaign_by_the_segments_of_the_day_before_it(published) -> None:
    """Per campaign and scheme, the segment rows hold the campaign's analysed persons, each
    in the segment the published history gives them on the day before the campaign's
    start (never today's), with the same statistics as the overall rows and q-values
    across the segments of one campaign in one scheme."""
    persons = published.execute("""
        select touches.campaign_id, touches.person_id, any_value(touches.assigned_group) as assigned_group,
               bool_or(touches.converted) as converted, any_value(campaign.start_date) as start_date
        from marts.fct_campaign_touches as touches
        inner join marts.dim_campaign as campaign on campaign.campaign_id = touches.campaign_id
        where touches.is_analysed group by touches.campaign_id, touches.person_id""").df()
    history = published.execute("select person_id, scheme, segment_code, valid_from, valid_to "
                                "from marts.fct_person_segment_history").df()
    results = published.execute("select * from marts.agg_campaign_results where scheme <> 'overall'").df()
    assert set(results["scheme"]) == {"rfm", "lifecycle", "aipl", "value_tier", "persona"}
    # the segment of each analysed person on the campaign's eve, read from the history
    eve = persons.assign(eve=pd.to_datetime(persons["start_date"]) - pd.Timedelta(days=1))
    joined = eve.merge(history, on="person_id", how="left")
    valid_from, valid_to = pd.to_datetime(joined["valid_from"]), pd.to_datetime(joined["valid_to"])
    on_eve = joined[(valid_from <= joined["eve"]) & (valid_to.isna() | (valid_to > joined["eve"]))]
    checked = 0
    for (campaign_id, scheme), rows in results.groupby(["campaign_id", "scheme"]):
        cell_persons = on_eve[(on_eve.campaign_id == campaign_id) & (on_eve.scheme == scheme)]
        everyone = persons[persons.campaign_id == campaign_id]
        expected = {}
        for segment_code, group in cell_persons.groupby("segment_code"):
            t, c = group[group.assigned_group == "treatment"], group[group.assigned_group == "control"]
            expected[segment_code] = (len(t), len(c), int(t.converted.sum()), int(c.converted.sum()))
        not_seen = everyone[~everyone.person_id.isin(cell_persons.person_id)]
        if len(not_seen):
            t, c = not_seen[not_seen.assigned_group == "treatment"], not_seen[not_seen.assigned_group == "control"]
            expected["not_seen"] = (len(t), len(c), int(t.converted.sum()), int(c.converted.sum()))
        got = {r.segment_code: (r.treatment_persons, r.control_persons, r.treatment_conversions,
                                r.control_conversions) for r in rows.itertuples()}
        assert got == expected, (campaign_id, scheme)
        for r in rows.itertuples():
            assert r.is_small_cell == (min(r.treatment_persons, r.control_persons) < 30)
            if r.treatment_persons and r.control_persons:
                low, high = confint_proportions_2indep(r.treatment_conversions, r.treatment_persons,
                                                       r.control_conversions, r.control_persons,
                                                       method="newcomb", compare="diff")
                assert (r.uplift_ci_low, r.uplift_ci_high) == (pytest.approx(low), pytest.approx(high))
        known = rows[rows.p_value.notna()]
        if len(known):
            q = multipletests(known.p_value.to_numpy(), method="fdr_bh")[1]
            assert list(known.q_value) == pytest.approx(list(q))
        checked += 1
    assert checked >= 5 * 20


def test_dim_campaign_accounts_for_every_touch_and_person(published) -> None:
    campaigns = published.execute("""
        select campaign.campaign_id, campaign.touches, campaign.unresolved_touches,
               campaign.treatment_persons + campaign.control_persons + campaign.conflicting_persons,
               (select count(*) from marts.fct_campaign_touches as t where t.campaign_id = campaign.campaign_id),
               (select count(distinct person_id) from marts.fct_campaign_touches as t
                where t.campaign_id = campaign.campaign_id)
        from marts.dim_campaign as campaign""").fetchall()
    assert campaigns and any(row[2] > 0 for row in campaigns)  # some recipients are nobody the warehouse knows
    for campaign_id, touches, unresolved, persons, resolved, distinct_persons in campaigns:
        assert touches == resolved + unresolved, campaign_id
        assert persons == distinct_persons, campaign_id


def _planted(rows: list[tuple[str, str, int, bool]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["campaign_id", "assigned_group", "persons", "converted"])
    frame = frame.loc[frame.index.repeat(frame.persons)].drop(columns="persons").reset_index(drop=True)
    frame["person_id"] = [f"p{i}" for i in range(len(frame))]
    frame["is_conflicting"] = False
    frame["orders_in_window"] = frame["converted"].astype(int)
    frame["revenue_in_window"] = np.where(frame["converted"], 100.0, 0.0)
    return frame


def test_cells_without_variation_or_a_group_are_published_with_what_can_be_said() -> None:
    planted = _planted([
        ("NONE", "treatment", 40, False), ("NONE", "control", 40, False),      # nobody converted
        ("ALL", "treatment", 40, True), ("ALL", "control", 40, True),          # everybody converted
        ("ZERO_CONTROL", "treatment", 10, True), ("ZERO_CONTROL", "treatment", 30, False),
        ("ZERO_CONTROL", "control", 20, False),                                # control never converted
        ("NO_CONTROL", "treatment", 50, True),                                 # no control group at all
        ("SMALL", "treatment", 29, True), ("SMALL", "control", 29, False),
    ])
    results = campaign_results(planted, min_group_persons=30).set_index("campaign_id")
    assert results.loc["NONE", "uplift"] == 0 and results.loc["NONE", "p_value"] == 1.0
    assert results.loc["ALL", "uplift"] == 0 and results.loc["ALL", "p_value"] == 1.0
    assert results.loc["NONE", "uplift_ci_low"] < 0 < results.loc["NONE", "uplift_ci_high"]
    zero = results.loc["ZERO_CONTROL"]
    assert zero.uplift == 0.25 and zero.uplift_ci_low < 0.25 < zero.uplift_ci_high
    assert pd.isna(zero.relative_uplift)  # undefined against a control rate of 0
    assert zero.incremental_revenue == pytest.approx(25.0 * 40)
    missing = results.loc["NO_CONTROL"]
    assert missing.control_persons == 0 and pd.isna(missing.uplift) and pd.isna(missing.p_value)
    assert missing.is_small_cell and not results.loc["NONE", "is_small_cell"] and results.loc["SMALL", "is_small_cell"]
    # conflicting assignments are left out
    planted.loc[0, "is_conflicting"] = True
    assert campaign_results(planted, 30).set_index("campaign_id").loc["NONE", "treatment_persons"] == 39
