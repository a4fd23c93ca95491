"""Wall time per layer of one dbt invocation, from its target folder.

    python bench/layers.py <target-dir> [<target-dir> ...]

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
from datetime import datetime
from pathlib import Path


def _layer(node: dict, unique_id: str) -> str:
    kind = node.get("resource_type", unique_id.split(".")[0])
    if kind in ("test", "unit_test", "snapshot", "seed", "operation"):
        return kind
    parts = node.get("original_file_path", "").split("/")
    if node.get("language") == "python":
        return "python: " + parts[1]
    return "sql: staging" if parts[1] == "staging" else "sql: " + "/".join(parts[1:3])


def _union(intervals: list[tuple[float, float]]) -> float:
    total, current = 0.0, None
    for start, end in sorted(intervals):
        if current is None or start > current[1]:
            total += current[1] - current[0] if current else 0.0
            current = [start, end]
        else:
            current[1] = max(current[1], end)
    return total + (current[1] - current[0] if current else 0.0)


def layers(target: Path) -> dict:
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    groups: dict[str, list] = {}
    for result in results:
        execute = [t for t in result["timing"] if t["name"] == "execute" and t.get("started_at")]
        if not execute:
            continue
        span = tuple(datetime.fromisoformat(execute[0][key].replace("Z", "+00:00")).timestamp()
                     for key in ("started_at", "completed_at"))
        layer = _layer(nodes.get(result["unique_id"], {}), result["unique_id"])
        groups.setdefault(layer, []).append((span, result["execution_time"]))
    every = [span for rows in groups.values() for span, _ in rows]
    return {"wall_seconds": round(_union(every), 1),
            "layers": {layer: {"nodes": len(rows), "summed_seconds": round(sum(s for _, s in rows), 1),
                               "wall_seconds": round(_union([span for span, _ in rows]), 1)}
                       for layer, rows in sorted(groups.items(), key=lambda kv: -sum(s for _, s in kv[1]))},
            "nodes": {result["unique_id"].split(".")[-1]: round(result["execution_time"], 1) for result in results
                      if result["unique_id"].startswith("model.")}}


if __name__ == "__main__":
    print(json.dumps({target: layers(Path(target)) for target in sys.argv[1:]}, indent=2))
