"""The benchmark's measured stages that are not dbt runs: the floor query, OneID against
scipy and networkx, LTV against `lifetimes`, and the reading of dbt's run results.

Each stage function returns a JSON-ready dict. `portrait bench` runs the first three in a
child process each (`python -m portrait.bench.stage`), so each has its own peak RSS."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

#: The floor: one pass over the raw events and orders (online and in store), computing per
#: raw identifier what every profile needs: touches, spend, recency, distinct active days.
#: Text is parsed as little as the data allows (epoch millis/seconds or ISO text; no zones,
#: no canonical forms, no deduplication): the least any pipeline must spend reading the data.
FLOOR_SQL = """
create or replace table floor_identifiers as
with parsed as (
    select
        identifier_type,
        identifier,
        amount,
        case
            when length(ts) = 13 and try_cast(ts as bigint) is not null then make_timestamp(ts::bigint * 1000)
            when length(ts) = 10 and try_cast(ts as bigint) is not null then make_timestamp(ts::bigint * 1000000)
            else try_cast(ts as timestamp)
        end as touched_at
    from (
        select
            unnest(['device_id', 'anonymous_id', 'account_id', 'openid']) as identifier_type,
            unnest([device_id, anonymous_id, account_id, openid]) as identifier,
            event_ts as ts,
            null::decimal(18, 2) as amount
        from read_parquet('{raw}/app_events/*.parquet', union_by_name = true)
        union all
        select 'account_id', account_id, order_ts, try_cast(total_amount as decimal(18, 2))
        from read_parquet('{raw}/shop_orders/*.parquet', union_by_name = true)
        union all
        select
            unnest(['card_no', 'phone']),
            unnest([member_card_no, phone]),
            txn_ts,
            try_cast(total_amount as decimal(18, 2))
        from read_parquet('{raw}/pos_transactions/*.parquet', union_by_name = true)
    )
    where identifier is not null
)
select
    identifier_type,
    identifier,
    count(*) as touches,
    count(amount) as orders,
    sum(amount) as spend,
    max(touched_at) as last_touched_at,
    count(distinct cast(touched_at as date)) as active_days
from parsed
group by identifier_type, identifier
"""


def floor(raw_dir: Path, db: Path, threads: int, memory_limit: str) -> dict:
    """Run the floor query into a fresh DuckDB file with the build's threads and memory
    limit; return its seconds, the identifiers it aggregated and the touches it read."""
    import duckdb

    db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute(f"set threads = {int(threads)}")
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set preserve_insertion_order = false")
        start = time.perf_counter()
        con.execute(FLOOR_SQL.format(raw=str(raw_dir).replace("'", "''")))
        seconds = time.perf_counter() - start
        identifiers, touches = con.execute("select count(*), sum(touches) from floor_identifiers").fetchone()
    db.unlink(missing_ok=True)
    return {"seconds": round(seconds, 2), "identifiers": int(identifiers), "touches": int(touches or 0)}


def _relation(con, name: str) -> str:
    """`schema.name` of a relation (names are unique across the warehouse's schemas)."""
    rows = con.execute("select table_schema from information_schema.tables where table_name = ?", [name]).fetchall()
    if len(rows) != 1:
        raise RuntimeError(f"expected one relation named {name} in the warehouse, found {len(rows)}")
    return f"{rows[0][0]}.{name}"


def same_partition(labels_a: np.ndarray, labels_b: np.ndarray) -> bool:
    """True when two labelings of the same nodes group them identically (the labels
    themselves may differ): the pairs are one-to-one."""
    a = np.unique(labels_a, return_inverse=True)[1]
    b = np.unique(labels_b, return_inverse=True)[1]
    pairs = np.unique(a.astype(np.int64) * (int(b.max(initial=0)) + 1) + b)
    return len(pairs) == a.max(initial=-1) + 1 == b.max(initial=-1) + 1


def oneid(db: Path, networkx_too: bool) -> dict:
    """Connected components of the person map's final edge list (`is_used` edges of
    `int_identity__edges`) with scipy, and with networkx when asked; each must group the
    identifiers exactly as `int_identity__person_map` does.

    scipy's time counts what it needs from the warehouse (the used edges as integer node
    numbers, joined in DuckDB) and the components themselves; both are reported."""
    import duckdb
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    with duckdb.connect(str(db), read_only=True) as con:
        person_map, edges = _relation(con, "int_identity__person_map"), _relation(con, "int_identity__edges")
        start = time.perf_counter()
        con.execute(f"""
            create temp table nodes as
            select (row_number() over () - 1)::bigint as node, identifier_type, identifier_value, person_id
            from {person_map}""")
        arrays = con.execute(f"""
            select a.node as a, b.node as b
            from {edges} as e
            inner join nodes as a on a.identifier_type = e.identifier_type_a and a.identifier_value = e.identifier_value_a
            inner join nodes as b on b.identifier_type = e.identifier_type_b and b.identifier_value = e.identifier_value_b
            where e.is_used""").fetchnumpy()
        loaded = time.perf_counter()
        n = con.execute("select count(*) from nodes").fetchone()[0]
        graph = coo_matrix((np.ones(len(arrays["a"]), dtype=np.int8), (arrays["a"], arrays["b"])), shape=(n, n)).tocsr()
        components, scipy_labels = connected_components(graph, directed=False)
        done = time.perf_counter()
        persons = con.execute("select person_id from nodes order by node").fetchnumpy()["person_id"]
        used_edges = len(arrays["a"])
    result = {
        "identifiers": int(n),
        "used_edges": int(used_edges),
        "persons": int(len(np.unique(persons))),
        "scipy_components": int(components),
        "scipy_load_seconds": round(loaded - start, 2),
        "scipy_components_seconds": round(done - loaded, 2),
        "scipy_seconds": round(done - start, 2),
        "scipy_same_partition": bool(same_partition(scipy_labels, persons)),
    }
    if networkx_too:
        import networkx as nx

        start = time.perf_counter()
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from(zip(arrays["a"].tolist(), arrays["b"].tolist()))
        nx_labels = np.empty(n, dtype=np.int64)
        for label, members in enumerate(nx.connected_components(graph)):
            nx_labels[list(members)] = label
        result["networkx_seconds"] = round(time.perf_counter() - start, 2)
        result["networkx_same_partition"] = bool(same_partition(nx_labels, persons))
    return result


def ltv(db: Path, discount_rate_monthly: float, tier_cutoffs: dict[str, float], repeats: int = 3) -> dict:
    """The project's CLV fit and scoring (pymc-marketing, MAP) against `lifetimes`'
    BetaGeoFitter + GammaGammaFitter on the same buyers (`int_ltv__purchase_summary`).

    A small fit and scoring first warm pytensor's compile cache, as on every night after
    the first. Each side then runs `repeats` times, alternating; its time is the median
    run (on `large` the project's own runs differ by a third from one to the next while
    lifetimes' do not, so the fastest run would favour the project). Every run's time is
    kept in `project_runs_seconds` and `lifetimes_runs_seconds`. Reports the BG/NBD
    log-likelihoods at each optimum, their relative difference, and the Pearson
    correlations of expected purchases (365 days) and of the 12-month CLV (from the last
    run of each)."""
    import duckdb
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    from portrait.ltv.score import _prepared, _spend_input, fit_ltv, score_customers

    with duckdb.connect(str(db), read_only=True) as con:
        summary = con.execute(f"select * from {_relation(con, 'int_ltv__purchase_summary')}").df()
    warm = summary.sort_values("person_id").head(2000)
    warm_fit = fit_ltv(warm)
    if warm_fit["status"] == "fitted":
        score_customers(warm, discount_rate_monthly, tier_cutoffs, fit=warm_fit)

    def project() -> tuple:
        fit = fit_ltv(summary)
        if fit["status"] != "fitted":
            return fit, None
        return fit, score_customers(summary, discount_rate_monthly, tier_cutoffs, fit=fit)

    data = _prepared(summary)
    spend_input = _spend_input(data)
    spenders = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]

    def lifetimes() -> tuple:
        bgf = BetaGeoFitter(penalizer_coef=0.0).fit(data["frequency"], data["recency"], data["T"])
        ggf = GammaGammaFitter(penalizer_coef=0.0).fit(spenders["frequency"], spenders["monetary_value"])
        purchases = bgf.conditional_expected_number_of_purchases_up_to_time(365 / 7, data["frequency"],
                                                                            data["recency"], data["T"])
        clv = ggf.customer_lifetime_value(bgf, data["frequency"], data["recency"], data["T"],
                                          spend_input["monetary_value"], time=12,
                                          discount_rate=discount_rate_monthly, freq="W")
        return bgf, ggf, purchases, clv

    project_runs, lifetimes_runs = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        fit, scored = project()
        project_runs.append(time.perf_counter() - start)
        if scored is None:
            return {"status": fit["status"], "buyers": fit["buyers"]}
        start = time.perf_counter()
        bgf, ggf, purchases, clv = lifetimes()
        lifetimes_runs.append(time.perf_counter() - start)
    project_seconds, lifetimes_seconds = float(np.median(project_runs)), float(np.median(lifetimes_runs))
    # lifetimes fits on rescaled times and keeps the mean over customers: its own likelihood
    # function, at its fitted parameters, on the unscaled data gives the comparable total
    fitted = np.log([bgf.params_[name] for name in ("r", "alpha", "a", "b")])
    lifetimes_loglik = -float(BetaGeoFitter._negative_log_likelihood(
        fitted, data["frequency"].to_numpy(), data["recency"].to_numpy(), data["T"].to_numpy(),
        np.ones(len(data)), 0.0)) * len(data)

    ours = scored.set_index("person_id").loc[data["person_id"]]
    relative = abs(fit["loglik_bgnbd"] - lifetimes_loglik) / abs(lifetimes_loglik)
    return {
        "status": "fitted",
        "buyers": int(len(data)),
        "repeat_buyers": int(len(spenders)),
        "project_seconds": round(project_seconds, 2),
        "lifetimes_seconds": round(lifetimes_seconds, 2),
        "project_runs_seconds": [round(seconds, 2) for seconds in project_runs],
        "lifetimes_runs_seconds": [round(seconds, 2) for seconds in lifetimes_runs],
        "loglik_project": round(fit["loglik_bgnbd"], 4),
        "loglik_lifetimes": round(lifetimes_loglik, 4),
        "loglik_relative_difference": float(f"{relative:.3g}"),
        "loglik_agree": bool(relative <= 1e-4),
        "purchases_365d_correlation": round(float(np.corrcoef(ours["expected_purchases_365d"], purchases)[0, 1]), 6),
        "clv_12m_correlation": round(float(np.corrcoef(ours["expected_clv_12m"], clv)[0, 1]), 6),
        "parameters_project": {k: round(fit[k], 6) for k in ("r", "alpha", "a", "b", "p", "q", "v")},
        "parameters_lifetimes": {**{k: round(float(v), 6) for k, v in bgf.params_.items()},
                                 **{k: round(float(v), 6) for k, v in ggf.params_.items()}},
    }


def _identity_path(manifest: dict) -> set[str]:
    """The OneID models: `int_identity__person_map` and every model upstream of it that
    is not staging (the identity layer between the staged tables and the person map)."""
    parents = manifest["parent_map"]
    target = next(uid for uid, node in manifest["nodes"].items()
                  if node.get("name") == "int_identity__person_map" and node["resource_type"] == "model")
    seen, todo = set(), [target]
    while todo:
        uid = todo.pop()
        node = manifest["nodes"].get(uid)
        if uid in seen or node is None or node["resource_type"] != "model" or "staging" in node["fqn"]:
            continue
        seen.add(uid)
        todo.extend(parents.get(uid, []))
    return seen


def _interval(result: dict) -> tuple[float, float] | None:
    """When a node's execution started and ended (epoch seconds), from its timing."""
    import datetime as dt

    for timing in result.get("timing", []):
        if timing.get("name") == "execute" and timing.get("started_at") and timing.get("completed_at"):
            return tuple(dt.datetime.fromisoformat(timing[key].replace("Z", "+00:00")).timestamp()
                         for key in ("started_at", "completed_at"))
    return None


def union_seconds(intervals: list[tuple[float, float]]) -> float:
    """Seconds during which at least one of `intervals` was running (overlaps once)."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def memory_by_node(target_dir: Path, samples: list[tuple[float, float]], failed_attempts: list[dict] = ()) -> dict:
    """Where a build's memory peaked: `samples` are (epoch seconds, resident GB) of the dbt
    process; returns the sampled peak, the nodes running at that moment, and each model's
    highest sample while it ran (nodes overlap, so that is the process's memory while the
    node ran, not the node's own; the ten highest). `failed_attempts`: results of nodes
    that failed and ran again (`merge_retry`), whose first runs count too."""
    if not samples:
        return {}
    results = json.loads((target_dir / "run_results.json").read_text())["results"] + list(failed_attempts)
    peak_at, peak_gb = max(samples, key=lambda sample: sample[1])
    running, highest = [], []
    for result in results:
        interval = _interval(result)
        if interval is None:
            continue
        name = result["unique_id"].split(".")[-1]
        if interval[0] <= peak_at <= interval[1]:
            running.append(name)
        if result["unique_id"].startswith("model."):
            during = [gb for at, gb in samples if interval[0] <= at <= interval[1]]
            if during:
                highest.append({"name": name, "rss_gb": round(max(during), 2)})
    highest = [max((item for item in highest if item["name"] == name), key=lambda item: item["rss_gb"])
               for name in dict.fromkeys(item["name"] for item in highest)]
    highest.sort(key=lambda item: item["rss_gb"], reverse=True)
    return {"sampled_peak_gb": round(peak_gb, 2), "sampled_peak_after_seconds": round(peak_at - samples[0][0], 1),
            "running_at_peak": sorted(running), "highest_while_running": highest[:10]}


def merge_retry(target_dir: Path, first: list[dict]) -> list[dict]:
    """After `dbt retry` (whose `run_results.json` holds only the nodes it re-ran), write the
    whole build's results back: `first` (the failed invocation's results) with every node
    the retry ran replaced by its retry result. Returns the replaced first attempts (for
    `memory_by_node`): the per-node times are the retry's; the build's wall time counts
    both invocations."""
    path = target_dir / "run_results.json"
    retried = json.loads(path.read_text())
    again = {result["unique_id"] for result in retried["results"]}
    retried["results"] = [result for result in first if result["unique_id"] not in again] + retried["results"]
    path.write_text(json.dumps(retried))
    return [result for result in first if result["unique_id"] in again]


def build_times(target_dir: Path) -> dict:
    """What a `dbt build` spent where, from its `run_results.json` and `manifest.json`.

    dbt runs several nodes at once (threads), so each node's own execution time is
    inflated by its neighbours and sums overlap. Per part (SQL models, Python models,
    snapshots, seeds, data tests, unit tests, hooks): the sum of the nodes' own times
    (`<part>_seconds`) and the wall seconds during which at least one of them ran
    (`<part>_wall_seconds`). `sql_layer_seconds` and `python_models_wall_seconds` are
    wall times (SQL models and snapshots; Python models); `oneid_seconds` is the wall
    time of the identity layer from the staged tables to the person map. Also the ten
    slowest nodes and every Python model."""
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    manifest = json.loads((target_dir / "manifest.json").read_text())
    nodes = manifest["nodes"]
    oneid_models = _identity_path(manifest)
    parts = {"sql_models": 0.0, "python_models": 0.0, "snapshots": 0.0, "seeds": 0.0, "tests": 0.0,
             "unit_tests": 0.0, "hooks": 0.0}
    counts = dict.fromkeys(parts, 0)
    intervals: dict[str, list] = {part: [] for part in [*parts, "oneid"]}
    timed = []
    for result in results:
        node = nodes.get(result["unique_id"], {})
        kind = node.get("resource_type", result["unique_id"].split(".")[0])
        seconds = float(result.get("execution_time") or 0.0)
        interval = _interval(result)
        if kind == "model":
            part = "python_models" if node.get("language") == "python" else "sql_models"
            timed.append({"name": node.get("name"), "seconds": round(seconds, 2), "language": node.get("language"),
                          "status": result.get("status")})
            if result["unique_id"] in oneid_models and interval:
                intervals["oneid"].append(interval)
        elif kind in ("snapshot", "seed", "test", "unit_test"):
            part = kind + "s"
        else:  # on-run-start/-end hooks ("operation")
            part = "hooks"
        parts[part] += seconds
        counts[part] += 1
        if interval:
            intervals[part].append(interval)
    timed.sort(key=lambda item: item["seconds"], reverse=True)
    return {
        "nodes": len(results),
        **{f"{part}_seconds": round(seconds, 2) for part, seconds in parts.items()},
        **{f"{part}_wall_seconds": round(union_seconds(intervals[part]), 2) for part in parts},
        **{f"{part}_count": count for part, count in counts.items()},
        "sql_layer_seconds": round(union_seconds(intervals["sql_models"] + intervals["snapshots"]), 2),
        "oneid_seconds": round(union_seconds(intervals["oneid"]), 2),
        "slowest": timed[:10],
        "python_models": [item for item in timed if item["language"] == "python"],
    }
