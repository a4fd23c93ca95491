"""Wall time per layer of one dbt invocation, from its target folder.

    .venv/bin/python bench/layers.py <target-dir> [<target-dir> ...]

Reads `run_results.json` and `manifest.json` of each target folder (e.g. a bench
stage's `bench/work/<scale>-seed42/full_build/target`) and prints, per layer (SQL models
by folder, Python models by folder, data tests, unit tests, snapshots, seeds), the
number of nodes, the summed node times and the wall time during which at least one node
of the layer ran. dbt runs several nodes at once, so summed times overlap; the wall does
not. Used for the by-layer tables of bench/README.md ("Targets on `large`"); the output of
those runs is in bench/results/extra/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from portrait.bench.stages import _interval, union_seconds


def _layer(node: dict, unique_id: str) -> str:
    kind = node.get("resource_type", unique_id.split(".")[0])
    if kind in ("test", "unit_test", "snapshot", "seed", "operation"):
        return kind
    parts = node.get("original_file_path", "").split("/")
    if node.get("language") == "python":
        return "python: " + parts[1]
    return "sql: staging" if parts[1] == "staging" else "sql: " + "/".join(parts[1:3])


def layers(target: Path) -> dict:
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    groups: dict[str, list] = {}
    for result in results:
        span = _interval(result)
        if span is None:
            continue
        layer = _layer(nodes.get(result["unique_id"], {}), result["unique_id"])
        groups.setdefault(layer, []).append((span, result["execution_time"]))
    every = [span for rows in groups.values() for span, _ in rows]
    return {"wall_seconds": round(union_seconds(every), 1),
            "layers": {layer: {"nodes": len(rows), "summed_seconds": round(sum(s for _, s in rows), 1),
                               "wall_seconds": round(union_seconds([span for span, _ in rows]), 1)}
                       for layer, rows in sorted(groups.items(), key=lambda kv: -sum(s for _, s in kv[1]))},
            "nodes": {result["unique_id"].split(".")[-1]: round(result["execution_time"], 1) for result in results
                      if result["unique_id"].startswith("model.")}}


if __name__ == "__main__":
    print(json.dumps({target: layers(Path(target)) for target in sys.argv[1:]}, indent=2))
