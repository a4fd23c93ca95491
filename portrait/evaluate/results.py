"""Evaluation result files (`bench/results/eval/`): each result with what produced it, so a
committed figure can be traced and recomputed.

Every file carries the commit, the date, the dataset's scale and seed and the generator's
version (from the landing zone's `_generator_state.json`), a fingerprint of the generator's
source (a change to the generator changes it, so a figure computed with another generator
can be told apart), and the evaluation's own settings and figures.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import subprocess
from pathlib import Path

from portrait import paths


def _code_only(source: str) -> str:
    """The code of a Python module without its comments and docstrings (its syntax tree):
    a reworded comment does not change what the generator writes."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def generator_fingerprint(package: Path | None = None) -> str:
    """sha256 over the code of the generator package's modules, comments and docstrings
    left out (first 16 hex characters): it changes when what the generator writes can."""
    digest = hashlib.sha256()
    for path in sorted((package or paths.PROJECT_DIR / "portrait" / "generate").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + _code_only(path.read_text()).encode())
    return digest.hexdigest()[:16]


def _commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=paths.PROJECT_DIR, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def write_result(target: Path, evaluation: str, result: dict) -> Path:
    state_file = paths.raw_dir() / "_generator_state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    document = {
        "evaluation": evaluation, "commit": _commit(), "date": dt.date.today().isoformat(),
        "scale": state.get("scale"), "dataset_seed": state.get("seed"), "generator_version": state.get("version"),
        "generator_fingerprint": generator_fingerprint(), "result": result,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return target


__all__ = ["write_result", "generator_fingerprint"]
