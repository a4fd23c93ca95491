"""The semantic layer (docs/metrics.md): `mf query` answers on the tiny warehouse, and each
metric equals the hand-written SQL over the marts it is defined on. MetricFlow reads the
semantic manifest of the tiny build from a project copy's target/ and queries a copy of
the tiny warehouse (never the shared file)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse_fixtures import Warehouse, copy_project

MF = Path(sys.executable).with_name("mf")


@pytest.fixture(scope="module")
def semantic(tiny_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory):
    """(run an `mf query`, run SQL on the same warehouse). The SQL opens and closes its own
    read-only connection: `mf` opens the file for writing, which an open reader blocks."""
    assert tiny_warehouse.returncode == 0, tiny_warehouse.output[-3000:]
    root = tmp_path_factory.mktemp("semantic")
    project = copy_project(root / "project")
    (project / "target").mkdir(exist_ok=True)
    shutil.copyfile(tiny_warehouse.work_dir / "target" / "semantic_manifest.json",
                    project / "target" / "semantic_manifest.json")
    db = root / "portrait.duckdb"
    shutil.copyfile(tiny_warehouse.db, db)
    env = {**os.environ, **tiny_warehouse.env, "PORTRAIT_DB": str(db), "DBT_LOG_PATH": str(root / "logs")}

    def query(*args: str) -> list[dict]:
        out = root / "out.csv"
        out.unlink(missing_ok=True)
        result = subprocess.run([str(MF), "query", *args, "--csv", str(out)], cwd=project, env=env,
                                capture_output=True, text=True)
        assert result.returncode == 0 and out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
        with open(out, newline="") as handle:
            return list(csv.DictReader(handle))

    def sql(text: str) -> list[tuple]:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute(text).fetchall()

    return query, sql


def test_gmv_orders_and_buyers_by_month_equal_sql_on_the_orders(semantic) -> None:
    query, sql = semantic
    rows = query("--metrics", "gmv,orders,buyers,net_revenue,aov", "--group-by", "metric_time__month")
    expected = {str(month)[:7]: (gmv, orders, buyers, net) for month, gmv, orders, buyers, net in sql("""
        select date_trunc('month', order_date), sum(paid_amount) filter (where is_placed),
               count(*) filter (where is_placed), count(distinct person_id) filter (where is_placed),
               sum(net_amount)
        from marts.fct_orders group by 1""")}
    got = {r["metric_time__month"][:7]: r for r in rows}
    assert set(got) == set(expected) and len(got) >= 12
    for month, (gmv, orders, buyers, net) in expected.items():
        row = got[month]
        assert float(row["gmv"] or 0) == pytest.approx(float(gmv or 0))
        assert int(float(row["orders"] or 0)) == orders and int(float(row["buyers"] or 0)) == buyers
        assert float(row["net_revenue"]) == pytest.approx(float(net))
        if orders:
            assert float(row["aov"]) == pytest.approx(float(gmv) / orders)
    # the daily KPIs mart counts the same orders and GMV
    kpi_gmv = sql("select sum(gmv) from marts.agg_daily_kpis where channel = 'all'")[0][0]
    as_of = sql("select max(as_of_date) from marts.dim_person")[0][0]
    up_to_as_of = sum(float(r["gmv"] or 0) for r in rows if r["metric_time__month"][:10] <= str(as_of))
    assert up_to_as_of == pytest.approx(float(kpi_gmv))


def test_person_metrics_equal_sql_on_dim_person(semantic) -> None:
    query, sql = semantic
    (row,) = query("--metrics", "persons,active_persons_7d,active_persons_30d,active_persons_90d,"
                   "repeat_purchase_rate,avg_expected_clv_12m,high_churn_risk_persons")
    (persons, a7, a30, a90, repeat_rate, clv, high), = sql("""
        select count(*),
               count(*) filter (where least(days_since_last_visit, days_since_last_order) < 7),
               count(*) filter (where least(days_since_last_visit, days_since_last_order) < 30),
               count(*) filter (where least(days_since_last_visit, days_since_last_order) < 90),
               count(*) filter (where orders_lifetime >= 2) / count(*) filter (where orders_lifetime >= 1),
               avg(expected_clv_12m), count(*) filter (where churn_risk_band = 'high')
        from marts.dim_person""")
    assert int(row["persons"]) == persons
    assert (int(float(row["active_persons_7d"])), int(float(row["active_persons_30d"])),
            int(float(row["active_persons_90d"]))) == (a7, a30, a90)
    assert a7 <= a30 <= a90 < persons
    assert float(row["repeat_purchase_rate"]) == pytest.approx(repeat_rate)
    assert float(row["avg_expected_clv_12m"]) == pytest.approx(clv)
    assert int(float(row["high_churn_risk_persons"])) == high > 0
    # new persons per month add up to every person first seen
    new = query("--metrics", "new_persons", "--group-by", "metric_time__month")
    seen = sql("select count(*) from marts.dim_person where first_seen_at is not null")[0][0]
    assert sum(int(float(r["new_persons"] or 0)) for r in new) == seen


def test_campaign_uplift_by_channel_and_audience_size_equal_sql(semantic) -> None:
    query, sql = semantic
    rows = query("--metrics", "campaign_uplift,campaign_treatment_conversion_rate,campaign_control_conversion_rate",
                 "--group-by", "campaign__channel")
    expected = {channel: (t_rate, c_rate) for channel, t_rate, c_rate in sql("""
        select campaign.channel,
               sum(results.treatment_conversions) / sum(results.treatment_persons),
               sum(results.control_conversions) / sum(results.control_persons)
        from marts.agg_campaign_results as results
        inner join marts.dim_campaign as campaign on campaign.campaign_id = results.campaign_id
        where results.scheme = 'overall' group by 1""")}
    got = {r["campaign__channel"]: r for r in rows}
    assert set(got) == set(expected) and len(got) >= 2
    for channel, (t_rate, c_rate) in expected.items():
        assert float(got[channel]["campaign_treatment_conversion_rate"]) == pytest.approx(t_rate)
        assert float(got[channel]["campaign_control_conversion_rate"]) == pytest.approx(c_rate)
        assert float(got[channel]["campaign_uplift"]) == pytest.approx(t_rate - c_rate)
    sizes = {r["audience"]: int(float(r["audience_size"])) for r in query("--metrics", "audience_size",
                                                                          "--group-by", "audience")}
    assert sizes == dict(sql("select audience_code, members from marts.dim_audience"))


@pytest.mark.parametrize("saved_query", ["monthly_kpis", "persons_by_lifecycle", "campaign_uplift_by_channel"])
def test_every_saved_query_answers(semantic, saved_query: str) -> None:
    query, _ = semantic
    rows = query("--saved-query", saved_query)
    assert rows and all(any(value not in ("", None) for value in row.values()) for row in rows)


# ----------------------------------------------------------------------------- the catalogue in the docs
DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
METRICS_YAML = Path(__file__).resolve().parents[2] / "models" / "marts" / "semantic" / "_metrics.yml"
BEGIN, END = "<!-- metrics:begin (generated from models/marts/semantic/_metrics.yml) -->", "<!-- metrics:end -->"


def metric_table() -> str:
    """The metric catalogue as a Markdown table, from the metrics' YAML."""
    import yaml

    lines = ["| metric | 中文 | English | type | definition |", "|---|---|---|---|---|"]
    for metric in yaml.safe_load(METRICS_YAML.read_text())["metrics"]:
        description = " ".join(metric["description"].split())
        lines.append(f"| `{metric['name']}` | {metric['config']['meta']['label_zh']} | {metric['label']} | "
                     f"{metric['type']} | {description} |")
    return "\n".join(lines)


def render_into(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{metric_table()}\n{END}{tail}"


def test_the_metric_catalogue_in_the_docs_is_generated_from_the_yaml() -> None:
    text = DOC.read_text()
    assert BEGIN in text and render_into(text) == text, "run `python tests/python/test_metrics.py` to regenerate"


if __name__ == "__main__":
    DOC.write_text(render_into(DOC.read_text()))
    print(f"wrote the metric catalogue of {DOC}")
