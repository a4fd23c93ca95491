"""CLV on the warehouse (tiny dataset): every buyer scored, every person tiered, and the
forecast ranks next year's buyers better than the past order rate does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from warehouse_fixtures import Warehouse


def test_every_buyer_is_scored_and_every_person_tiered(tiny_warehouse: Warehouse) -> None:
    assert tiny_warehouse.returncode == 0, tiny_warehouse.output[-3000:]
    with tiny_warehouse.connect() as con:
        buyers = con.execute("select count(*) from intermediate.int_ltv__purchase_summary "
                             "where t_weeks > 0").fetchone()[0]  # first purchase today: too new
        scored = con.execute("select count(*) from intermediate.int_predictions__ltv").fetchone()[0]
        tiers = dict(con.execute("select ltv_tier, count(*) from marts.dim_person group by all").fetchall())
        persons = con.execute("select count(*) from marts.dim_person").fetchone()[0]
        tagged = con.execute("select count(*) from marts.fct_person_tags where tag_code = 'ltv_tier'").fetchone()[0]
    assert scored == buyers > 100
    assert tiers["unscored"] == persons - scored
    assert set(tiers) == {"high", "medium", "low", "unscored"}
    assert tagged == sum(tiers.values())


def test_eval_ltv_beats_the_past_order_rate(tiny_warehouse: Warehouse, tiny_dataset: Path) -> None:
    env = {**tiny_warehouse.env, "PORTRAIT_TRUTH_DIR": str(tiny_dataset / "truth")}
    result = subprocess.run([sys.executable, "-m", "portrait", "eval", "ltv", "--json"],
                            capture_output=True, text=True, env={**os.environ, **env}, check=True)
    scores = json.loads(result.stdout)
    assert {"spearman_orders_365d", "baseline_spearman"} <= set(scores)
    assert scores["spearman_orders_365d"] > scores["baseline_spearman"]
    assert scores["spearman_orders_365d"] > 0.5
