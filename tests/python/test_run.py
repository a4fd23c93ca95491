"""`portrait run` end to end on the tiny dataset: publish, quality gate, old clients,
BI readers during a run, and runs killed with SIGKILL (at the start of each step, between
the two swaps, between the publication and the exports, and midway through the build).

The tests share one warehouse folder and run in file order (each leaves it as the next
expects: published, and unchanged by a failed run).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from portrait.publish import MINIMUM_CLIENT, PUBLICATION_TABLE
from portrait.run import FAULT_ENV
from portrait.paths import PROJECT_DIR
from warehouse_fixtures import Nightly, copy_project, portrait

OLD_CLIENT_DIR = PROJECT_DIR / ".venv" / "old-clients" / f"duckdb-{MINIMUM_CLIENT}"


@pytest.fixture(scope="module")
def nightly(tiny_nightly: Nightly) -> Nightly:
    """The tiny warehouse after one successful `portrait run` (session fixture `tiny_nightly`)."""
    return tiny_nightly


def test_a_run_publishes_the_marts_only_with_parquet_exports(nightly: Nightly) -> None:
    with duckdb.connect(str(nightly.private), read_only=True) as con:
        marts = {r[0]: con.execute(f'select count(*) from marts."{r[0]}"').fetchall()[0][0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    assert {"dim_person", "fct_person_tags", "fct_person_segments", "agg_segment_summary"} <= set(marts)
    with duckdb.connect(str(nightly.publish), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        published = {r[0]: r[1] for r in con.execute(
            f"select table_name, row_count from marts.{PUBLICATION_TABLE}").fetchall()}
        actual = {t: con.execute(f'select count(*) from marts."{t}"').fetchall()[0][0] for t in published}
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        # the deprecated aliases in `main` (CHANGELOG.md) read the same rows
        aliases = {r[0] for r in con.execute(
            "select view_name from duckdb_views() where schema_name = 'main' and not internal").fetchall()}
        via_alias = {t: con.execute(f'select count(*) from main."{t}"').fetchall()[0][0] for t in published}
        described = con.execute(
            "select count(*) from duckdb_columns() where table_name = 'dim_person' and comment is not null"
        ).fetchall()[0][0]
    # marts only (no staging, no intermediate), every row of each, and the descriptions
    assert schemas == {"marts"}  # as in the private file: one query runs against either
    assert tables == set(marts) | {PUBLICATION_TABLE}
    assert aliases == tables
    assert published == actual == via_alias == marts
    assert described > 10
    current = nightly.exports / "current"
    assert sorted(p.stem for p in current.iterdir()) == sorted(marts)
    with duckdb.connect() as con:
        for table, rows in marts.items():
            assert con.execute(f"select count(*) from '{current / (table + '.parquet')}'").fetchall()[0][0] == rows
    # the private warehouse is owner-only, no working file is left, the report is there
    assert nightly.private.stat().st_mode & 0o077 == 0
    assert not list(nightly.private.parent.glob(".portrait.duckdb.work-*"))
    report = json.loads((nightly.private.parent / "runs" / f"{nightly.published_run_id()}.json").read_text())
    assert report["status"] == "published" and report["validation"]["success"]
    assert [s["step"] for s in report["steps"]] == ["preflight", "copy", "build", "validate", "publish", "swap",
                                                    "exports"]
    # after publishing, each audience's configured channels get an export (owner-only)
    from portrait.activation.audiences import load

    planned = {(code, channel) for code, audience in load().items() for channel in audience.channels}
    written = {(e["audience"], e["channel"]) for e in report["channel_exports"] if "error" not in e}
    assert written == planned, [e for e in report["channel_exports"] if "error" in e]
    exports = Path(nightly.env["PORTRAIT_EXPORT_DIR"])
    assert len(list(exports.glob("*/*/*.manifest.json"))) >= len(planned)
    assert exports.stat().st_mode & 0o077 == 0


OLD_CLIENT_READ = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
published = dict(con.execute("select table_name, row_count from marts.portrait_publication").fetchall())
counts = {t: con.execute(f'select count(*) from marts."{t}"').fetchall()[0][0] for t in published}
for t in published:  # every column of every table decodes
    con.execute(f'select * from marts."{t}" limit 50').fetchall()
comment = con.execute("select comment from duckdb_tables() where table_name = 'dim_person'").fetchall()[0][0]
print(json.dumps({"version": duckdb.__version__, "published": published, "counts": counts, "comment": comment}))
"""


def old_client_python() -> Path:
    """A separate venv with the oldest DuckDB client the README promises (cached in .venv)."""
    python = OLD_CLIENT_DIR / "bin" / "python"
    if not (OLD_CLIENT_DIR / ".installed").exists():
        shutil.rmtree(OLD_CLIENT_DIR, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(OLD_CLIENT_DIR)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        f"duckdb=={MINIMUM_CLIENT}"], check=True)
        (OLD_CLIENT_DIR / ".installed").touch()
    return python


def test_the_published_file_opens_in_the_oldest_supported_duckdb_client(nightly: Nightly) -> None:
    result = subprocess.run([str(old_client_python()), "-c", OLD_CLIENT_READ, str(nightly.publish)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["version"] == MINIMUM_CLIENT
    assert seen["counts"] == seen["published"] and seen["counts"]["dim_person"] > 0
    assert seen["comment"]
    # the private warehouse, in DuckDB 2.0's own format, is what an old client cannot open
    refused = subprocess.run([str(old_client_python()), "-c", OLD_CLIENT_READ, str(nightly.private)],
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "version number" in refused.stderr


def test_validate_names_the_expectations_a_corrupted_mart_breaks(nightly: Nightly, tmp_path: Path) -> None:
    corrupted = tmp_path / "corrupted.duckdb"
    shutil.copyfile(nightly.private, corrupted)
    with duckdb.connect(str(corrupted)) as con:
        con.execute("update marts.dim_person set churn_probability = churn_probability + 2 "
                    "where churn_probability is not null")
        con.execute("insert into marts.fct_person_tags select * from marts.fct_person_tags limit 3")
    result = portrait(["validate", "--db", str(corrupted), "--json"], nightly.env)
    assert result.returncode == 1, result.stderr
    failed = {(e["table"], e["check"]) for e in json.loads(result.stdout)["expectations"] if not e["success"]}
    assert failed == {("dim_person", "churn_probability in [0, 1]"),
                      ("fct_person_tags", "(person_id, tag_code) unique")}
    # the untouched warehouse passes the same suite
    assert portrait(["validate", "--json"], nightly.env).returncode == 0


def test_validate_names_row_count_key_and_value_set_breaks(nightly: Nightly, tmp_path: Path) -> None:
    """The other kinds of expectation, each broken once: a mart that lost 40 % of its rows
    since the last publication, a duplicated single-column key, a value outside its set."""
    corrupted = tmp_path / "corrupted.duckdb"
    shutil.copyfile(nightly.private, corrupted)
    with duckdb.connect(str(corrupted)) as con:
        orders = con.execute("select count(*) from marts.fct_orders").fetchall()[0][0]
        con.execute("delete from marts.fct_orders where hash(order_key) % 10 < 4")
        assert con.execute("select count(*) from marts.fct_orders").fetchall()[0][0] < 0.7 * orders
        con.execute("insert into marts.dim_tag select * from marts.dim_tag limit 1")
        con.execute("update marts.fct_model_runs set status = 'exploded' where model_name = 'ltv'")
    result = portrait(["validate", "--db", str(corrupted), "--json"], nightly.env)
    assert result.returncode == 1, result.stderr
    failed = {(e["table"], e["check"]) for e in json.loads(result.stdout)["expectations"] if not e["success"]}
    low, high = math.floor(orders * 0.75), math.ceil(orders * 1.25)
    assert failed == {("fct_orders", f"row count at least {low} (25% below the {orders} published last) "
                                     f"and at most {high}"),
                      ("dim_tag", "tag_code unique"),
                      ("fct_model_runs", "status in ['fitted', 'too_thin']")}, failed


def test_a_run_whose_marts_fail_the_quality_gate_publishes_nothing(nightly: Nightly, tmp_path: Path) -> None:
    """A landing zone rebuilt without the tracking export, allowed by the operator, and a
    full refresh: dbt's tests pass (an absent table is allowed), the marts lose every
    behaviour column, the suite blocks the publish. (Without --full-refresh the
    incremental events model would keep rows no raw file holds, and the row
    reconciliation test would stop the build.)"""
    raw = tmp_path / "raw"
    shutil.copytree(nightly.env["PORTRAIT_RAW_DIR"], raw, ignore=shutil.ignore_patterns("app_events"))
    before = nightly.fingerprint()
    result, report = nightly.run("--full-refresh", "--allow-missing", "app_events",
                                 env={"PORTRAIT_RAW_DIR": str(raw)})
    assert result.returncode == 1
    assert report["status"] == "failed" and report["failed_step"] == "validate", report.get("message")
    failed = {(e["table"], e["check"].split(":")[0]) for e in report["validation"]["expectations"]
              if not e["success"]}
    assert report["overrides"] == {"allow_missing": ["app_events"]}
    assert ("dim_person", "preferred_platform") in failed
    assert ("agg_segment_summary", "every segment's share within 5% (absolute) of last time's") in failed
    assert "FAILED dim_person: preferred_platform" in result.stderr
    assert nightly.fingerprint() == before
    assert (nightly.private.parent / "portrait.failed.duckdb").exists()


def test_a_corrupted_mart_blocks_the_publish_and_the_report_names_the_expectation(
        nightly: Nightly, tmp_path: Path) -> None:
    """A bug in a mart's SQL that dbt's tests do not catch (a column nulled out)."""
    project = copy_project(tmp_path / "project")
    model = project / "models" / "marts" / "core" / "dim_person.sql"
    text = model.read_text()
    assert text.rstrip().endswith("select * from final")
    model.write_text(text.rstrip()[: -len("select * from final")]
                     + "select * replace (cast(null as varchar) as top_category_affinity) from final\n")
    before = nightly.fingerprint()
    result, report = nightly.run(project=project)
    assert result.returncode == 1, result.stderr[-3000:]
    assert report["failed_step"] == "validate", report.get("message")
    failed = [(e["table"], e["check"]) for e in report["validation"]["expectations"] if not e["success"]]
    assert len(failed) == 1 and failed[0][0] == "dim_person", failed
    assert failed[0][1].startswith("top_category_affinity: null rate at most 5% above last time's")
    assert "FAILED dim_person: top_category_affinity" in result.stderr
    assert nightly.fingerprint() == before


READER = """
import json, os, sys, duckdb
path, stop, out = sys.argv[1:4]
reads, errors, versions = 0, [], {}
while not os.path.exists(stop):
    try:
        con = duckdb.connect(path, read_only=True)
        try:
            published = con.execute("select run_id, table_name, row_count from marts.portrait_publication").fetchall()
            person_count = con.execute("select count(*) from marts.dim_person").fetchall()[0][0]
            counts = {t: con.execute(f'select count(*) from marts."{t}"').fetchall()[0][0] for _, t, _ in published}
        finally:
            con.close()
        run_ids = sorted({r for r, _, _ in published})
        if len(run_ids) != 1 or any(counts[t] != n for _, t, n in published):
            errors.append(f"mixed or incomplete version: {published} vs {counts}")
        if person_count != counts.get("dim_person"):
            errors.append("dim_person changed between two reads of one connection")
        versions[run_ids[0]] = versions.get(run_ids[0], 0) + 1
        reads += 1
    except Exception as exc:
        errors.append(repr(exc))
json.dump({"reads": reads, "errors": errors[:20], "error_count": len(errors), "versions": versions}, open(out, "w"))
"""


def _processes_using(marker: str) -> list[int]:
    """Processes whose environment mentions `marker` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _last_report(nightly: Nightly) -> dict:
    reports = sorted((nightly.private.parent / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(reports[-1].read_text())


@pytest.mark.parametrize("point", ["step:preflight", "step:copy", "step:build", "step:validate", "step:publish",
                                   "step:swap", "before-exports-switch", "step:exports"])
def test_a_run_killed_at_each_step_leaves_whole_versions_and_a_report_of_what_was_published(
        nightly: Nightly, point: str) -> None:
    """SIGKILL at the start of each step (after the one before it finished), and between
    the published file's rename and the exports' switch. Before the swap nothing anyone
    sees changes; after it, the report on disk says what was published. (Midway through
    the build and between the two renames: the tests below.)"""
    before = nightly.fingerprint()
    old_run_id = nightly.published_run_id()
    reports_before = set((nightly.private.parent / "runs").glob("*.json"))
    result, _ = nightly.run(env={FAULT_ENV: point})
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    after = nightly.fingerprint()
    new_reports = set((nightly.private.parent / "runs").glob("*.json")) - reports_before
    if point in ("before-exports-switch", "step:exports"):
        report = _last_report(nightly)
        assert report["run_id"] == nightly.published_run_id() != old_run_id
        assert after["private"] != before["private"] and after["publish"] != before["publish"]
        if point == "before-exports-switch":
            assert report["status"] == "swapping"
            assert report["swap"] == {"private": True, "publication": True, "exports": False}
            assert after["exports"] == before["exports"]  # the last complete exports, until the next run
        else:
            assert report["status"] == "published" and report["swap"]["exports"] is True
            assert after["exports"] != before["exports"] and report["channel_exports"] == []
    else:
        assert after == before and nightly.published_run_id() == old_run_id
        assert not new_reports  # killed before the swap: no report claims anything


def test_a_run_killed_between_the_two_swaps_leaves_each_file_a_complete_version(nightly: Nightly) -> None:
    """Killed at the most delicate moment (the private file swapped, the published one not
    yet): both files are whole versions, BI still reads the last publication, and the
    next run (the test below) cleans up and publishes."""
    before = nightly.fingerprint()
    old_run_id = nightly.published_run_id()
    result, _ = nightly.run(env={FAULT_ENV: "between-swaps"})
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    after = nightly.fingerprint()
    assert after["private"] != before["private"], "the kill came before the private swap"
    assert (after["publish"], after["exports"]) == (before["publish"], before["exports"])
    assert nightly.published_run_id() == old_run_id
    with duckdb.connect(str(nightly.private), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_person").fetchall()[0][0] > 0
    assert list(nightly.publish.parent.glob(f".{nightly.publish.name}.new-*")), "the new publication was written"
    # the run's report, written before the renames, says how far it got
    report = _last_report(nightly)
    assert report["status"] == "swapping" and report["published_tables"]
    assert report["swap"] == {"private": True, "publication": False, "exports": False}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc to find the dbt child")
def test_a_run_killed_midway_changes_nothing_and_the_next_run_publishes_while_bi_reads(
        nightly: Nightly, tmp_path: Path) -> None:
    before = nightly.fingerprint()
    old_run_id = nightly.published_run_id()
    process = subprocess.Popen([sys.executable, "-m", "portrait", "run"], env={**os.environ, **nightly.env},
                               cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "START python table model" in line:  # midway: SQL layer built, Python models running
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "".join(seen[-30:])
    deadline = time.monotonic() + 30
    # this warehouse's working file only: other tests (another xdist worker) run nights too
    work_marker = str(nightly.private.parent / ".portrait.duckdb.work-")
    while _processes_using(work_marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _processes_using(work_marker), "dbt outlived the killed run"
    assert nightly.fingerprint() == before
    assert list(nightly.private.parent.glob(".portrait.duckdb.work-*")), "the kill came after the build"

    stop, out = tmp_path / "stop", tmp_path / "reads.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(nightly.publish), str(stop), str(out)])
    try:
        result, report = nightly.run()
        assert result.returncode == 0, result.stderr[-5000:]
        assert "left by an interrupted run" in result.stderr
        time.sleep(3)  # the reader goes on a little, into the new version
    finally:
        stop.touch()
        reader.wait(timeout=120)
    reads = json.loads(out.read_text())
    assert reads["error_count"] == 0, reads["errors"]
    assert reads["versions"].get(old_run_id, 0) > 0 and reads["versions"].get(report["run_id"], 0) > 0, reads
    assert not list(nightly.private.parent.glob(".portrait.duckdb.work-*"))
    assert not list(nightly.publish.parent.glob(f".{nightly.publish.name}.new-*"))
    assert nightly.published_run_id() == report["run_id"]


def test_nodes_that_ran_out_of_memory_are_retried_alone_and_the_run_publishes(nightly: Nightly) -> None:
    """The first build runs under a 40 MB memory limit (fault point `out-of-memory`): DuckDB
    itself fails some nodes with "Out of Memory Error". The run retries them and their
    skipped children alone, with the normal limit, then validates and publishes."""
    old_run_id = nightly.published_run_id()
    result, report = nightly.run(env={FAULT_ENV: "out-of-memory"})
    assert result.returncode == 0, result.stderr[-5000:]
    assert report["status"] == "published", report.get("message")
    assert [r["build"] for r in report["memory_retries"]] == [1], report["memory_retries"]
    failed = report["memory_retries"][0]["nodes"]
    assert failed and "ran out of memory" in result.stderr and "dbt retry --threads 1" in result.stderr
    # the run's last dbt invocation (no erasure, so one build) is the retry, on one thread:
    # it built every node that had failed, fewer nodes than the build, and nothing failed
    invocation = json.loads((Path(nightly.env["DBT_TARGET_PATH"]) / "run_results.json").read_text())
    assert invocation["args"]["invocation_command"].startswith("dbt retry") and invocation["args"]["threads"] == 1
    retried = {r["unique_id"].split(".")[-1]: r["status"] for r in nightly.run_results()}
    assert set(failed) <= set(retried) and all(retried[n] in ("success", "pass") for n in failed), retried
    ok = ("success", "pass", "warn", "no-op")  # no-op: exposures
    assert not [n for n, s in retried.items() if s not in ok], retried
    manifest = json.loads((Path(nightly.env["DBT_TARGET_PATH"]) / "manifest.json").read_text())
    assert len(retried) < len(manifest["nodes"]), "the retry re-ran the whole build"
    assert nightly.published_run_id() == report["run_id"] != old_run_id
