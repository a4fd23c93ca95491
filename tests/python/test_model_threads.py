"""The prediction models limit OpenMP/BLAS threads inside a build (portrait.model_threads):
the default, the variable, its errors, and that the limit really reaches OpenMP in the
calling thread and is undone after."""

import ast
import threading
from pathlib import Path

import pytest
import sklearn.ensemble  # noqa: F401  (loads OpenMP, so threadpoolctl sees it)
from threadpoolctl import threadpool_info

from portrait.model_threads import ENV, fit_threads, model_thread_limit

ROOT = Path(__file__).resolve().parents[2]


def _openmp_threads() -> int:
    return next(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp")


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 1), (3, 1), (8, 4)])
def test_default_is_half_the_cores_and_at_least_one(cores, expected):
    assert model_thread_limit(env={}, cpu_count=cores) == expected


def test_the_variable_wins_over_the_default():
    assert model_thread_limit(env={ENV: " 3 "}, cpu_count=2) == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_value_is_a_clear_error(value):
    with pytest.raises(ValueError, match=ENV):
        model_thread_limit(env={ENV: value})


def test_the_limit_reaches_openmp_in_the_calling_thread_only_and_is_undone(monkeypatch):
    monkeypatch.setenv(ENV, "1")
    before = _openmp_threads()
    seen = {}
    entered, leave = threading.Event(), threading.Event()

    def worker():  # like a dbt worker thread running one Python model
        with fit_threads() as limit:
            seen["limit"], seen["inside"] = limit, _openmp_threads()
            entered.set()
            leave.wait(timeout=30)

    thread = threading.Thread(target=worker)
    thread.start()
    entered.wait(timeout=30)
    seen["other_thread"] = _openmp_threads()
    leave.set()
    thread.join()
    assert seen["limit"] == 1 and seen["inside"] == 1
    assert seen["other_thread"] == before  # another model's thread keeps its own OpenMP setting
    assert _openmp_threads() == before


def test_every_prediction_model_runs_inside_fit_threads():
    """A new prediction model must not fit on every core beside DuckDB's queries."""
    for path in sorted((ROOT / "python_models" / "predictions").glob("*.py")):
        model = next(node for node in ast.parse(path.read_text()).body
                     if isinstance(node, ast.FunctionDef) and node.name == "model")
        withs = [node for node in model.body if isinstance(node, ast.With)]
        assert any(isinstance(item.context_expr, ast.Call) and getattr(item.context_expr.func, "id", None) == "fit_threads"
                   for node in withs for item in node.items), f"{path.name}: model() does not run inside fit_threads()"
