"""`portrait run` retries, alone, the nodes that failed only because DuckDB ran out of
memory (portrait.run.failed_on_memory decides from dbt's run_results.json)."""

import json
import os
import time

from portrait.run import failed_on_memory

OOM = "Out of Memory Error: failed to pin block of size 256.0 KiB (3.7 GiB/3.7 GiB used)"


def _results(tmp_path, *results):
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": unique_id, "status": status, "message": message} for unique_id, status, message in results]}))
    return tmp_path


def test_memory_failures_alone_are_retried(tmp_path):
    target = _results(tmp_path, ("model.portrait.int_events_sessionized", "error", OOM),
                      ("snapshot.portrait.snap_identity__person_identifier", "error", OOM),
                      ("model.portrait.dim_person", "skipped", None), ("model.portrait.fct_orders", "success", "OK"))
    assert failed_on_memory(target, since=0) == ["int_events_sessionized", "snap_identity__person_identifier"]


def test_a_failing_test_or_another_error_beside_them_is_not_retried(tmp_path):
    assert failed_on_memory(_results(tmp_path, ("model.portrait.a", "error", OOM),
                                     ("test.portrait.unique_a", "fail", "Got 3 results")), since=0) == []
    assert failed_on_memory(_results(tmp_path, ("model.portrait.a", "error", OOM),
                                     ("model.portrait.b", "error", "Binder Error: column x")), since=0) == []
    assert failed_on_memory(_results(tmp_path, ("model.portrait.a", "error", OOM),
                                     ("model.portrait.b", "runtime error", None)), since=0) == []
    assert failed_on_memory(_results(tmp_path, ("model.portrait.a", "runtime error", OOM)), since=0) == ["a"]


def test_a_clean_run_or_no_results_retries_nothing(tmp_path):
    assert failed_on_memory(_results(tmp_path, ("model.portrait.a", "success", "OK")), since=0) == []
    assert failed_on_memory(tmp_path / "missing", since=0) == []


def test_results_older_than_the_build_count_for_nothing(tmp_path):
    target = _results(tmp_path, ("model.portrait.a", "error", OOM))
    old = time.time() - 3600
    os.utime(target / "run_results.json", (old, old))
    assert failed_on_memory(target, since=time.time() - 60) == []
    assert failed_on_memory(target, since=old - 1) == ["a"]
