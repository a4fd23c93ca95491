"""The prediction models limit their OpenMP threads inside a build (portrait.model_threads):
the default, the variable, its errors, that the limit really reaches OpenMP in the calling
thread only and is undone after, that BLAS is left alone, and that every prediction model
runs inside it."""

import ast
import threading
from pathlib import Path

import pytest
import sklearn.ensemble  # noqa: F401  (loads OpenMP, so threadpoolctl sees it)
from threadpoolctl import threadpool_info

from portrait.model_threads import ENV, fit_threads, model_thread_limit, usable_cores

ROOT = Path(__file__).resolve().parents[2]


def _threads(user_api: str) -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == user_api]


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 1), (3, 1), (8, 4)])
def test_default_is_half_the_cores_and_at_least_one(cores, expected):
    assert model_thread_limit(env={}, cpu_count=cores) == expected


def test_default_counts_the_cores_this_process_may_use():
    assert model_thread_limit(env={}) == max(1, usable_cores() // 2)
    assert 1 <= usable_cores()


def test_the_variable_wins_over_the_default():
    assert model_thread_limit(env={ENV: " 3 "}, cpu_count=2) == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_value_is_a_clear_error(value):
    with pytest.raises(ValueError, match=ENV):
        model_thread_limit(env={ENV: value})


def test_the_limit_reaches_openmp_in_the_calling_thread_only_and_is_undone(monkeypatch):
    # 3: neither this machine's default limit nor, on 2 cores, OpenMP's own count
    monkeypatch.setenv(ENV, "3")
    before, blas_before = _threads("openmp"), _threads("blas")
    seen = {}
    entered, leave = threading.Event(), threading.Event()

    def worker():  # like a dbt worker thread running one Python model
        seen["own_before"] = _threads("openmp")
        with fit_threads() as limit:
            seen["limit"], seen["inside"], seen["blas_inside"] = limit, _threads("openmp"), _threads("blas")
            entered.set()
            leave.wait(timeout=30)
        seen["own_after"] = _threads("openmp")

    thread = threading.Thread(target=worker)
    thread.start()
    entered.wait(timeout=30)
    seen["other_thread"] = _threads("openmp")
    leave.set()
    thread.join()
    assert seen["limit"] == 3 and seen["inside"] and set(seen["inside"]) == {3}
    assert seen["own_after"] == seen["own_before"]  # undone in the model's own thread
    assert seen["other_thread"] == before  # another model's thread keeps its own OpenMP setting
    assert seen["blas_inside"] == blas_before  # BLAS (process-wide) untouched


def test_every_prediction_model_runs_inside_fit_threads():
    """A new prediction model must not fit on every core beside DuckDB's queries: model()
    is `dbt.config(...)`, then everything inside `with fit_threads():`, then `return`."""
    for path in sorted((ROOT / "python_models" / "predictions").glob("*.py")):
        model = next(node for node in ast.parse(path.read_text()).body
                     if isinstance(node, ast.FunctionDef) and node.name == "model")
        kinds = [type(node).__name__ for node in model.body]
        assert kinds == ["Expr", "With", "Return"], f"{path.name}: model() body is {kinds}"
        block = model.body[1].items[0].context_expr
        assert isinstance(block, ast.Call) and getattr(block.func, "id", None) == "fit_threads", path.name
        assert ast.unparse(model.body[0]).startswith("dbt.config("), path.name
