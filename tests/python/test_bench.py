"""The benchmark's measuring parts are right (no timing is asserted anywhere).

On the shared tiny build: the floor query counts every raw identifier touch, OneID's
person map has exactly the partition scipy's and networkx's connected components give
on its final edge list, the project's CLV fit agrees with `lifetimes`, and dbt's run
results are split into the right layers. Then the measuring of a child process, the
growth-exponent fit and the README table, and finally `portrait bench --scale tiny
--json` end to end with the keys of docs/contracts.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pytest

from portrait.bench import HEADLINE_KEYS, growth_exponent, latest_results, update_readme
from portrait.bench import stages
from portrait.bench.measure import measure
from portrait.paths import PROJECT_DIR
from warehouse_fixtures import TEST_HASH_KEY, portrait


def _non_null(raw: Path, table: str, columns: list[str]) -> int:
    data = ds.dataset(raw / table, format="parquet").to_table(columns=columns)
    return sum(len(data) - data[column].null_count for column in columns)


def test_the_floor_counts_every_raw_identifier_touch_of_events_and_orders(tiny_dataset, tmp_path):
    raw = tiny_dataset / "raw"
    result = stages.floor(raw, tmp_path / "floor.duckdb", threads=2, memory_limit="2GB")
    expected = (_non_null(raw, "app_events", ["device_id", "anonymous_id", "account_id", "openid"])
                + _non_null(raw, "shop_orders", ["account_id"])
                + _non_null(raw, "pos_transactions", ["member_card_no", "phone"]))
    assert result["touches"] == expected
    assert 0 < result["identifiers"] < expected
    assert not (tmp_path / "floor.duckdb").exists()


def test_same_partition_tells_a_relabelling_from_a_split_or_a_merge():
    labels = np.array([0, 0, 1, 1, 2])
    assert stages.same_partition(labels, np.array([7, 7, 3, 3, 9]))
    assert not stages.same_partition(labels, np.array([7, 8, 3, 3, 9]))  # one person split
    assert not stages.same_partition(labels, np.array([7, 7, 7, 7, 9]))  # two persons merged


def test_the_person_map_is_exactly_the_components_of_its_used_edges(tiny_warehouse):
    assert tiny_warehouse.returncode == 0, tiny_warehouse.output[-3000:]
    result = stages.oneid(tiny_warehouse.db, networkx_too=True)
    assert result["scipy_same_partition"] and result["networkx_same_partition"]
    assert result["scipy_components"] == result["persons"]
    assert result["used_edges"] > 0 and result["persons"] < result["identifiers"]


def test_the_project_clv_fit_agrees_with_lifetimes_on_the_same_buyers(tiny_warehouse):
    result = stages.ltv(tiny_warehouse.db, discount_rate_monthly=0.01, tier_cutoffs={"high": 0.2, "medium": 0.5})
    assert result["status"] == "fitted" and result["buyers"] > 100
    assert result["loglik_agree"], result
    assert result["purchases_365d_correlation"] >= 0.999 and result["clv_12m_correlation"] >= 0.999
    # each side timed three times; its time is its median run
    assert len(result["project_runs_seconds"]) == len(result["lifetimes_runs_seconds"]) == 3
    assert result["project_seconds"] == sorted(result["project_runs_seconds"])[1]
    assert result["lifetimes_seconds"] == sorted(result["lifetimes_runs_seconds"])[1]
    for name, value in result["parameters_lifetimes"].items():
        assert result["parameters_project"][name] == pytest.approx(value, rel=1e-3), name


def test_build_times_split_the_run_into_sql_python_tests_and_the_oneid_path(tiny_warehouse):
    times = stages.build_times(tiny_warehouse.work_dir / "target")
    python_files = sorted(path.stem for path in (PROJECT_DIR / "python_models").rglob("int_*.py"))
    assert sorted(item["name"] for item in times["python_models"]) == python_files
    assert times["python_models_count"] == len(python_files)
    assert times["sql_models_count"] > 50 and times["tests_count"] > 100
    # wall time of a part never exceeds the sum of its nodes' times, nor the build's span
    for part in ("sql_models", "python_models", "tests"):
        assert 0 < times[f"{part}_wall_seconds"] <= times[f"{part}_seconds"] + 0.01, part
    assert times["nodes"] == sum(times[f"{part}_count"] for part in ("sql_models", "python_models", "snapshots",
                                                                       "seeds", "tests", "unit_tests", "hooks"))
    manifest = json.loads((tiny_warehouse.work_dir / "target" / "manifest.json").read_text())
    oneid = {manifest["nodes"][uid]["name"] for uid in stages._identity_path(manifest)}
    assert {"int_identity__person_map", "int_identity__edge_decisions", "int_identity__components"} <= oneid
    assert all(name.startswith("int_identity__") for name in oneid)
    assert len(times["slowest"]) == 10
    assert times["slowest"] == sorted(times["slowest"], key=lambda item: -item["seconds"])


def test_memory_by_node_names_the_nodes_running_at_the_sampled_peak(tiny_warehouse):
    results = json.loads((tiny_warehouse.work_dir / "target" / "run_results.json").read_text())["results"]
    model = next(r for r in results if r["unique_id"].endswith(".int_identity__person_map"))
    start, stop = stages._interval(model)
    middle = (start + stop) / 2
    # a flat 1 GB with one 5 GB sample inside the person map's run
    samples = [(start - 60 + second, 1.0) for second in range(0, int(stop - start) + 120)] + [(middle, 5.0)]
    memory = stages.memory_by_node(tiny_warehouse.work_dir / "target", sorted(samples))
    assert memory["sampled_peak_gb"] == 5.0
    assert "int_identity__person_map" in memory["running_at_peak"]
    assert {"name": "int_identity__person_map", "rss_gb": 5.0} in memory["highest_while_running"]
    assert {item["name"] for item in memory["highest_while_running"] if item["rss_gb"] == 5.0} \
        <= set(memory["running_at_peak"])
    assert stages.memory_by_node(tiny_warehouse.work_dir / "target", []) == {}


def test_a_memory_retry_merges_into_the_builds_results(tiny_warehouse, tmp_path):
    """The bench, like `portrait run`, re-runs nodes that ran out of memory with `dbt retry`,
    whose results hold only those nodes: the merged results are the whole build again, each
    node once, the retried ones with their retry's result; the failed first attempts still
    count for where memory peaked."""
    first = json.loads((tiny_warehouse.work_dir / "target" / "run_results.json").read_text())
    (tmp_path / "manifest.json").write_text((tiny_warehouse.work_dir / "target" / "manifest.json").read_text())
    by_id = {r["unique_id"]: r for r in first["results"]}
    person_map = next(uid for uid in by_id if uid.endswith(".int_identity__person_map"))
    children = [uid for uid in by_id if uid.startswith("test.") and "person_map" in uid][:2]
    assert children
    failed = {**by_id[person_map], "status": "error", "message": "Out of Memory Error: failed to pin block"}
    before = [failed if r["unique_id"] == person_map else
              {**r, "status": "skipped", "timing": []} if r["unique_id"] in children else r for r in first["results"]]

    def later(result):  # the retry ran an hour after the first attempt
        return {**result, "timing": [{**t, **{k: (dt.datetime.fromisoformat(t[k].replace("Z", "+00:00"))
                                                  + dt.timedelta(hours=1)).isoformat() for k in ("started_at",
                                                                                                  "completed_at")}}
                                     for t in result["timing"] if t.get("started_at")]}
    retried = [later(by_id[uid]) for uid in [person_map, *children]]
    (tmp_path / "run_results.json").write_text(json.dumps({**first, "results": retried}))
    failed_attempts = stages.merge_retry(tmp_path, before)
    merged = json.loads((tmp_path / "run_results.json").read_text())["results"]
    assert sorted(r["unique_id"] for r in merged) == sorted(by_id)
    assert sorted(r["unique_id"] for r in failed_attempts) == sorted([person_map, *children])
    ok = ("success", "pass", "warn", "no-op")  # exposures report no-op
    assert all(r["status"] in ok for r in merged), [(r["unique_id"], r["status"]) for r in merged
                                                    if r["status"] not in ok]
    assert stages._interval(next(r for r in merged if r["unique_id"] == person_map)) == stages._interval(retried[0])
    # memory peaked during the first, failed attempt: only the failed attempts name it
    start, stop = stages._interval(by_id[person_map])
    samples = [(start - 1, 1.0), ((start + stop) / 2, 5.0), (stop + 1, 1.0)]
    assert "int_identity__person_map" not in stages.memory_by_node(tmp_path, samples)["running_at_peak"]
    memory = stages.memory_by_node(tmp_path, samples, failed_attempts)
    assert "int_identity__person_map" in memory["running_at_peak"]
    assert [item["name"] for item in memory["highest_while_running"]].count("int_identity__person_map") == 1


def test_measure_reports_a_childs_peak_memory_and_refuses_a_failed_child():
    measured = measure([sys.executable, "-c", "import time; b = bytearray(300 * 1024 * 1024); "
                        "b[::4096] = b'x' * len(b[::4096]); time.sleep(1.5)"])
    assert measured.returncode == 0 and measured.peak_rss_gb >= 0.28
    # sampled twice a second: the held 300 MB is seen, never more than the kernel's peak
    assert 0.28 <= measured.sampled_peak_gb <= measured.peak_rss_gb + 0.01
    assert measured.samples[0][0] <= measured.sampled_peak_at <= measured.samples[-1][0]
    with pytest.raises(RuntimeError, match="the child failed with exit code 3"):
        measure([sys.executable, "-c", "raise SystemExit(3)"], label="the child")
    assert measure([sys.executable, "-c", "raise SystemExit(3)"], check=False).returncode == 3


def test_union_seconds_counts_overlapping_nodes_once():
    assert stages.union_seconds([(0, 10), (5, 12), (20, 21), (20.5, 20.7)]) == pytest.approx(13.0)
    assert stages.union_seconds([]) == 0.0


def test_growth_exponent_recovers_a_power_law():
    points = [(rows, 2.0 * rows ** 1.15) for rows in (1e6, 5e6, 2.5e7)]
    assert growth_exponent(points) == pytest.approx(1.15)
    assert growth_exponent(points[:1]) is None


def test_portrait_bench_tiny_json_has_the_interface_keys_and_updates_the_readme_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nHand-written notes stay.\n")
    results_dir = tmp_path / "results"
    completed = portrait(["bench", "--scale", "tiny", "--work", str(tmp_path / "work"),
                          "--results-dir", str(results_dir), "--no-readme", "--json"],
                         {"PORTRAIT_HASH_KEY": TEST_HASH_KEY})
    assert completed.returncode == 0, completed.stderr[-4000:]
    result = json.loads(completed.stdout)
    for key in HEADLINE_KEYS:
        assert isinstance(result[key], float), key
    written = json.loads(next(results_dir.glob("tiny-*.json")).read_text())
    assert {key: written[key] for key in HEADLINE_KEYS} == {key: result[key] for key in HEADLINE_KEYS}
    assert result["oneid"]["scipy_same_partition"] and result["oneid"]["networkx_same_partition"]
    assert result["ltv"]["loglik_agree"]
    assert result["raw_rows_total"] == sum(result["raw_rows"].values()) > 0
    # the incremental builds ran on two more days of raw rows than the full build
    assert result["raw_rows_total_incremental"] > result["raw_rows_total"]
    assert result["incremental"]["nodes"] == result["incremental_erasure"]["nodes"] == result["full_build"]["nodes"]
    # tiny's generator makes no erasure requests (test_privacy_erasure counts one)
    assert [result[night]["erasure_requests_applied"] for night in ("full_build", "incremental_erasure",
                                                                    "incremental")] == [0, 0, 0]
    assert result["incremental_over_full"] == round(result["incremental"]["seconds"] / result["full_build"]["seconds"], 3)
    assert "[bench" in completed.stderr  # progress
    # the generator's worker processes are fixed by the bench, not by the load before it
    assert {result["stages"][day]["workers"] for day in ("generator", "generator_added_day",
                                                         "generator_second_added_day")} == {min(2, os.cpu_count() or 1)}
    # each build's figures are also kept in the work folder as it finishes
    kept = json.loads((tmp_path / "work" / "full_build.json").read_text())
    assert kept["seconds"] == result["full_build"]["seconds"] and kept["stage"] == result["stages"]["full_build"]

    update_readme(results_dir, readme)
    once = readme.read_text()
    update_readme(results_dir, readme)
    assert readme.read_text() == once  # regenerating is stable
    assert once.startswith("# Benchmarks\n\nHand-written notes stay.\n")
    assert "| **incremental / full** (quiet night; target ≤ 0.10) | " in once and "tiny-" in once
    assert set(latest_results(results_dir)) == {"tiny"}
