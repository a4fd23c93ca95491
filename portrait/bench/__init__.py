"""`portrait bench`: build speed, scaling and memory, side by side with a floor and peers.

One run at one scale, in its own work folder (never data/ or warehouse/):

1. generate the dataset up to the day before its as-of date (wall, peak RSS);
2. full `dbt build` (wall, peak RSS, per-node times: SQL layer, Python models, tests);
3. the floor: one hand-written DuckDB query over the same raw events and orders;
4. OneID against scipy's connected components (and networkx up to `medium`) on the
   person map's final edge list, asserting the same partition;
5. LTV: the project's fit and scoring against `lifetimes` on the same buyers;
6. one more day generated, then an incremental `dbt build` (wall, peak RSS): the
   erasure night, which applies the requests the full build listed;
7. one more day again, then another incremental `dbt build`: the quiet night, a night
   like any other, which `incremental / full` reports.

Every build is a plain `dbt build` (no refit is due: the fits of the full build are
reused). Each incremental night records how many erasure requests it applied.

The result is written to `bench/results/<scale>-<date>.json` and the table in
`bench/README.md` is regenerated from the latest result of every scale. Nothing here
asserts a time: the partition and likelihood checks are correctness checks.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from portrait.bench.measure import Measured, machine, measure
from portrait.bench.stages import build_times, memory_by_node, merge_retry
from portrait.paths import PROJECT_DIR
from portrait.run import build_started_env, failed_on_memory

SCALES = ("tiny", "small", "medium", "large")
#: networkx holds every node and edge as Python objects: it will not fit `large` in memory.
NETWORKX_SCALES = ("tiny", "small", "medium")
RESULTS_DIR = PROJECT_DIR / "bench" / "results"
README = PROJECT_DIR / "bench" / "README.md"
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
#: The keys docs/contracts.md promises for `portrait bench --json`.
HEADLINE_KEYS = ("sql_build_over_floor", "incremental_over_full", "oneid_over_scipy", "ltv_over_lifetimes",
                 "python_models_seconds", "peak_rss_gb")


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _commit() -> str | None:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True)
    if result.returncode != 0:
        return None
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_DIR,
                           capture_output=True, text=True).stdout.strip()
    return result.stdout.strip() + ("-dirty" if dirty else "")


def raw_rows(raw_dir: Path) -> dict[str, int]:
    """Rows per raw table, from the Parquet footers (nothing is read)."""
    import pyarrow.parquet as pq

    return {table.name: sum(pq.ParquetFile(path).metadata.num_rows for path in sorted(table.glob("*.parquet")))
            for table in sorted(raw_dir.iterdir()) if table.is_dir()}


def growth_exponent(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(seconds) on log(rows): time grows as rows ** exponent.
    None with fewer than two distinct sizes."""
    points = [(rows, seconds) for rows, seconds in points if rows > 0 and seconds > 0]
    if len({rows for rows, _ in points}) < 2:
        return None
    xs = [math.log(rows) for rows, _ in points]
    ys = [math.log(seconds) for _, seconds in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)


def latest_results(results_dir: Path) -> dict[str, dict]:
    """The latest result file of each scale (by its date, then its file name)."""
    latest: dict[str, dict] = {}
    for path in sorted(results_dir.glob("*.json")):
        result = json.loads(path.read_text())
        scale = result.get("scale")
        if scale in SCALES and (scale not in latest or (result.get("date", ""), path.name)
                                >= (latest[scale].get("date", ""), latest[scale]["_file"])):
            latest[scale] = {**result, "_file": path.name}
    return latest


def scaling(results: dict[str, dict]) -> dict:
    """Full-build wall time against raw rows over small, medium and large."""
    points = [(r["raw_rows_total"], r["full_build"]["seconds"]) for scale, r in results.items()
              if scale in ("small", "medium", "large")]
    exponent = growth_exponent(points)
    return {"points": [{"scale": scale, "raw_rows": r["raw_rows_total"], "full_build_seconds": r["full_build"]["seconds"]}
                       for scale, r in sorted(results.items(), key=lambda item: SCALES.index(item[0]))
                       if scale in ("small", "medium", "large")],
            "exponent": None if exponent is None else round(exponent, 3)}


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def _headline(result: dict) -> dict:
    full, floor, incremental = result["full_build"], result["floor"], result["incremental"]
    oneid, ltv = result["oneid"], result["ltv"]
    return {
        "sql_build_over_floor": _ratio(full["sql_layer_seconds"], floor["seconds"]),
        "incremental_over_full": _ratio(incremental["seconds"], full["seconds"]),
        "incremental_erasure_over_full": _ratio(result.get("incremental_erasure", {}).get("seconds"), full["seconds"]),
        "oneid_over_scipy": _ratio(full["oneid_seconds"], oneid.get("scipy_seconds")),
        "oneid_over_networkx": _ratio(full["oneid_seconds"], oneid.get("networkx_seconds")),
        "ltv_over_lifetimes": _ratio(ltv.get("project_seconds"), ltv.get("lifetimes_seconds")),
        "python_models_seconds": full["python_models_wall_seconds"],
        "peak_rss_gb": round(max(stage["peak_rss_gb"] for stage in result["stages"].values()), 3),
    }


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds:.1f} s" if seconds < 120 else f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def results_table(results: dict[str, dict]) -> str:
    """The markdown section of bench/README.md: one column per scale, latest result each."""
    scales = [scale for scale in SCALES if scale in results]
    if not scales:
        return "No results yet: run `portrait bench --scale small`.\n"
    rows = [
        ("result file", lambda r: f"[{r['_file']}](results/{r['_file']})"),
        ("commit", lambda r: r.get("commit") or "–"),
        ("machine", lambda r: f"{r['machine']['cores']} cores, {r['machine']['memory_gb']:.0f} GB"),
        ("raw rows", lambda r: f"{r['raw_rows_total']:,}"),
        ("generator (wall / peak RSS)", lambda r: f"{_minutes(r['stages']['generator']['seconds'])} / "
                                                  f"{r['stages']['generator']['peak_rss_gb']:.2f} GB"),
        ("full `dbt build` (wall / peak RSS)", lambda r: f"{_minutes(r['full_build']['seconds'])} / "
                                                         f"{r['stages']['full_build']['peak_rss_gb']:.2f} GB"),
        ("SQL layer: wall (sum of model times)", lambda r: f"{_minutes(r['full_build']['sql_layer_seconds'])} "
                                                           f"({_minutes(r['full_build']['sql_models_seconds'])})"),
        ("**Python models**: wall (sum) (target ≤ 3 min)",
         lambda r: f"{_minutes(r['full_build']['python_models_wall_seconds'])} "
                   f"({_minutes(r['full_build']['python_models_seconds'])})"),
        ("Python models on the quiet night (no refit due: scoring only)",
         lambda r: _minutes(r["incremental"]["python_models_wall_seconds"]) if "incremental_erasure" in r
         else "– (not measured: one night only)"),
        ("dbt data + unit tests: wall", lambda r: _minutes(r["full_build"]["tests_wall_seconds"]
                                                           + r["full_build"]["unit_tests_wall_seconds"])),
        ("floor query", lambda r: _minutes(r["floor"]["seconds"])),
        ("**SQL layer / floor** (target ≤ 5)", lambda r: _fmt(r["sql_build_over_floor"])),
        ("erasure night: incremental day applying the full build's requests (wall; requests)",
         lambda r: f"{_minutes(r['incremental_erasure']['seconds'])}; "
                   f"{r['incremental_erasure']['erasure_requests_applied']}" if "incremental_erasure" in r else "–"),
        ("quiet night: the next incremental day (wall; requests applied)",
         lambda r: _minutes(r["incremental"]["seconds"])
         + (f"; {r['incremental']['erasure_requests_applied']}" if "erasure_requests_applied" in r["incremental"]
            else " (the only night measured before 2026-12-05)")),
        ("**incremental / full** (quiet night; target ≤ 0.10)", lambda r: _fmt(r["incremental_over_full"])),
        ("OneID layer, staged tables → person map (wall)", lambda r: _minutes(r["full_build"]["oneid_seconds"])),
        ("scipy: load edges + components", lambda r: f"{_minutes(r['oneid']['scipy_load_seconds'])} + "
                                                     f"{_minutes(r['oneid']['scipy_components_seconds'])}"),
        ("**OneID / scipy** (target ≤ 3)", lambda r: _fmt(r["oneid_over_scipy"])),
        ("OneID / networkx", lambda r: _fmt(r.get("oneid_over_networkx"))),
        ("same partition (scipy, networkx)", lambda r: f"{r['oneid']['scipy_same_partition']}, "
                                                       f"{r['oneid'].get('networkx_same_partition', '–')}"),
        ("LTV fit + score: project / lifetimes", lambda r: f"{_minutes(r['ltv'].get('project_seconds'))} / "
                                                           f"{_minutes(r['ltv'].get('lifetimes_seconds'))}"),
        ("**LTV / lifetimes** (target ≤ 0.5)", lambda r: _fmt(r["ltv_over_lifetimes"])),
        ("log-likelihood rel. difference; CLV correlation",
         lambda r: f"{r['ltv'].get('loglik_relative_difference', '–')}; {r['ltv'].get('clv_12m_correlation', '–')}"),
        ("**peak RSS** (target ≤ 6 GB)", lambda r: f"{r['peak_rss_gb']:.2f} GB"),
    ]
    lines = ["| | " + " | ".join(scales) + " |", "|---|" + "---|" * len(scales)]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(results[scale]) for scale in scales) + " |")
    growth = scaling(results)
    lines.append("")
    if growth["exponent"] is None:
        lines.append("Scaling: fewer than two of small / medium / large measured yet.")
    else:
        sizes = ", ".join(f"{p['scale']} {_minutes(p['full_build_seconds'])}" for p in growth["points"])
        lines.append(f"Scaling of the full build ({sizes}): time grows as raw rows^**{growth['exponent']:.2f}**.")
    peaks = [f"{scale}: {_minutes(memory['sampled_peak_after_seconds'])} in, "
             f"{', '.join(memory['running_at_peak']) or 'between nodes'}"
             for scale in scales if (memory := results[scale]["full_build"].get("memory"))]
    if peaks:
        lines += ["", "Running when the full build's sampled memory peaked: " + "; ".join(peaks) + "."]
    slowest = {scale: results[scale]["full_build"]["slowest"] for scale in scales}
    lines += ["", "Ten slowest nodes of the full build (seconds):", ""]
    lines += ["| rank | " + " | ".join(scales) + " |", "|---|" + "---|" * len(scales)]
    for rank in range(10):
        cells = [f"{slowest[s][rank]['name']} {slowest[s][rank]['seconds']:.1f}"
                 + (" (py)" if slowest[s][rank]["language"] == "python" else "")
                 if rank < len(slowest[s]) else "" for s in scales]
        lines.append(f"| {rank + 1} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def update_readme(results_dir: Path, readme: Path) -> None:
    """Regenerate the marked results section of `readme` from `results_dir`."""
    text = readme.read_text() if readme.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    section = ("\n<!-- generated by `portrait bench` from bench/results/; do not edit by hand -->\n\n"
               + results_table(latest_results(results_dir)))
    readme.write_text(head + BEGIN + section + END + tail)


def erasures_applied(db: Path) -> int:
    """Erasure requests the warehouse's ledger (`audit_erasures`) records as applied; 0
    before the ledger exists."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select table_schema from information_schema.tables where table_name = 'audit_erasures'"
                           ).fetchall()
        if not rows:
            return 0
        return int(con.execute(f"select count(distinct erasure_request_id) from {rows[0][0]}.audit_erasures "
                               "where status = 'applied'").fetchall()[0][0])


def _stage(name: str, arguments: list[str], work: Path, env: dict[str, str]) -> tuple[dict, Measured]:
    out = work / f"{name}.json"
    measured = measure([sys.executable, "-m", "portrait.bench.stage", name, *arguments, "--out", str(out)],
                       env=env, label=f"bench stage {name}")
    return json.loads(out.read_text()), measured


def run_bench(scale: str, seed: int = 42, work: Path | None = None, results_dir: Path = RESULTS_DIR,
              readme: Path | None = README) -> dict:
    """Run every stage at `scale`; write and return the result (see the module doc)."""
    from portrait.dbt import dbt_executable
    from portrait.generate import config as C
    from portrait.paths import dbt_env

    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: one of {', '.join(SCALES)}")
    work = Path(work or PROJECT_DIR / "bench" / "work" / f"{scale}-seed{seed}").resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    data, db = work / "data", work / "portrait.duckdb"
    env = dbt_env({"PORTRAIT_RAW_DIR": str(data / "raw"), "PORTRAIT_TRUTH_DIR": str(data / "truth"),
                   "PORTRAIT_DB": str(db), "PORTRAIT_PUBLISH_DB": str(work / "portrait_marts.duckdb"),
                   "PORTRAIT_EXPORT_DIR": str(work / "channel_exports"), "PYTHONUNBUFFERED": "1"})
    threads = int(env.get("PORTRAIT_THREADS", "4"))
    memory_limit = env.get("PORTRAIT_MEMORY_LIMIT", "4GB")
    first_day = C.AS_OF_DATE - dt.timedelta(days=2)
    stages: dict[str, dict] = {}

    # The generator uses a second process only when the load average says a core is idle:
    # right after other work it ran with one (237 s on large against 136 s with two). Fixed
    # here so its time does not depend on what ran before the bench.
    generator_workers = env.get("PORTRAIT_GENERATE_WORKERS") or str(min(2, os.cpu_count() or 1))

    def generate(until: dt.date, name: str) -> None:
        _say(f"{name}: portrait generate --scale {scale} --until {until} ({generator_workers} worker processes)")
        measured = measure([sys.executable, "-m", "portrait", "generate", "--scale", scale, "--seed", str(seed),
                            "--out", str(data), "--until", str(until)],
                           env={**env, "PORTRAIT_GENERATE_WORKERS": generator_workers}, label="portrait generate")
        stages[name] = {**measured.as_dict(), "workers": int(generator_workers)}
        _say(f"{name}: {measured.seconds:.1f} s, peak {measured.peak_rss_gb:.2f} GB")

    def build(name: str) -> dict:
        _say(f"{name}: dbt build (threads {threads}, memory limit {memory_limit})")
        target = work / name
        build_env = {**env, "DBT_TARGET_PATH": str(target / "target"), "DBT_LOG_PATH": str(target / "logs"),
                     **build_started_env()}
        started = time.time()
        measured = measure([dbt_executable(), "build"], env=build_env, cwd=PROJECT_DIR, label=f"dbt build ({name})",
                           check=False)
        retry, failed_attempts = None, []
        if measured.returncode != 0:
            # as `portrait run` does: nodes that failed only on DuckDB's memory limit (which the
            # nodes dbt runs at once share) are built again alone; anything else stops the bench
            out_of_memory = failed_on_memory(target / "target", started)
            if not out_of_memory:
                raise RuntimeError(f"dbt build ({name}) failed with exit code {measured.returncode} "
                                   f"after {measured.seconds:.1f} s (its output is above)")
            _say(f"{name}: {len(out_of_memory)} node(s) ran out of memory after {measured.seconds:.1f} s "
                 f"({', '.join(out_of_memory)}); dbt retry --threads 1, as portrait run does")
            first = json.loads((target / "target" / "run_results.json").read_text())["results"]
            retry = measure([dbt_executable(), "retry", "--threads", "1"], env=build_env, cwd=PROJECT_DIR,
                            label=f"dbt retry ({name})")
            failed_attempts = merge_retry(target / "target", first)
            measured = Measured(seconds=measured.seconds + retry.seconds,
                                peak_rss_gb=max(measured.peak_rss_gb, retry.peak_rss_gb), returncode=0,
                                samples=measured.samples + retry.samples)
        stages[name] = measured.as_dict()
        if retry is not None:
            stages[name]["memory_retry"] = {"nodes": out_of_memory, **retry.as_dict()}
        _say(f"{name}: {measured.seconds:.1f} s, peak {measured.peak_rss_gb:.2f} GB")
        figures = {"seconds": round(measured.seconds, 2), **build_times(target / "target"),
                   "memory": memory_by_node(target / "target", measured.samples, failed_attempts),
                   "erasure_requests_applied": erasures_applied(db)}
        # kept in the work folder too, so a later stage's failure does not lose them
        (work / f"{name}.json").write_text(json.dumps({"stage": stages[name], **figures}, indent=2))
        return figures

    generate(first_day, "generator")
    rows_full_build = raw_rows(data / "raw")
    full = build("full_build")

    _say("floor: one DuckDB query over the raw events and orders")
    floor, measured = _stage("floor", ["--raw", str(data / "raw"), "--db", str(work / "floor.duckdb"),
                                       "--threads", str(os.cpu_count() or 1), "--memory-limit", memory_limit], work, env)
    stages["floor"] = measured.as_dict()
    _say(f"floor: {floor['seconds']:.1f} s over {floor['touches']:,} identifier touches")

    networkx_too = scale in NETWORKX_SCALES
    _say("oneid: scipy connected components" + (" and networkx" if networkx_too else "") + " on the final edges")
    oneid, measured = _stage("oneid", ["--db", str(db), *(["--networkx"] if networkx_too else [])], work, env)
    stages["oneid"] = measured.as_dict()
    if not oneid["scipy_same_partition"] or oneid.get("networkx_same_partition") is False:
        raise RuntimeError(f"OneID's person map and the connected components disagree: {oneid}")
    _say(f"oneid: person map {full['oneid_seconds']:.1f} s of models; scipy {oneid['scipy_seconds']:.1f} s; "
         "same partition")

    _say("ltv: project fit + score vs lifetimes on the same buyers")
    ltv, measured = _stage("ltv", ["--db", str(db), "--manifest", str(work / "full_build" / "target" /
                                                                        "manifest.json")], work, env)
    stages["ltv"] = measured.as_dict()
    if ltv.get("status") == "fitted" and not (ltv["loglik_agree"] and ltv["purchases_365d_correlation"] >= 0.999
                                              and ltv["clv_12m_correlation"] >= 0.999):
        raise RuntimeError(f"the project's CLV fit and lifetimes' disagree: {ltv}")
    _say(f"ltv: project {ltv.get('project_seconds')} s, lifetimes {ltv.get('lifetimes_seconds')} s")

    generate(first_day + dt.timedelta(days=1), "generator_added_day")
    erasure_night = build("incremental_erasure")
    generate(C.AS_OF_DATE, "generator_second_added_day")
    incremental = build("incremental")
    for night in (erasure_night, incremental):
        night["erasure_requests_applied"] -= full["erasure_requests_applied"]
    incremental["erasure_requests_applied"] -= erasure_night["erasure_requests_applied"]

    result = {
        "scale": scale, "seed": seed, "date": dt.date.today().isoformat(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": _commit(), "machine": machine(), "dbt_threads": threads, "memory_limit": memory_limit,
        "raw_rows": rows_full_build, "raw_rows_total": sum(rows_full_build.values()),
        "stages": stages, "full_build": full, "floor": floor, "oneid": oneid, "ltv": ltv,
        "incremental_erasure": erasure_night, "incremental": incremental,
        "raw_rows_total_incremental": sum(raw_rows(data / "raw").values()),
    }
    result.update(_headline(result))
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{scale}-{result['date']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    result["scaling"] = scaling(latest_results(results_dir))
    path.write_text(json.dumps(result, indent=2) + "\n")
    if readme is not None:
        update_readme(results_dir, readme)
    _say(f"wrote {path}" + (f" and the table in {readme}" if readme is not None else ""))
    return result


def print_summary(result: dict) -> None:
    print(f"portrait bench --scale {result['scale']} ({result['machine']['cores']} cores, "
          f"{result['machine']['memory_gb']:.0f} GB, commit {result['commit']}):")
    print(f"  full dbt build        {_minutes(result['full_build']['seconds'])}"
          f"  (SQL layer {_minutes(result['full_build']['sql_layer_seconds'])}, "
          f"Python models {_minutes(result['python_models_seconds'])})")
    print(f"  SQL layer / floor     {_fmt(result['sql_build_over_floor'])}   (target <= 5)")
    print(f"  incremental / full    {_fmt(result['incremental_over_full'])}   (target <= 0.10; quiet night; "
          f"erasure night {_fmt(result.get('incremental_erasure_over_full'))})")
    print(f"  OneID / scipy         {_fmt(result['oneid_over_scipy'])}   (target <= 3)")
    print(f"  LTV / lifetimes       {_fmt(result['ltv_over_lifetimes'])}   (target <= 0.5)")
    print(f"  peak RSS              {result['peak_rss_gb']:.2f} GB   (target <= 6)")
