"""Child process of `portrait bench`: run one measured stage, write its JSON result.

    python -m portrait.bench.stage floor  --raw DIR --db FILE --threads N --memory-limit 4GB --out FILE
    python -m portrait.bench.stage oneid  --db FILE [--networkx] --out FILE
    python -m portrait.bench.stage ltv    --db FILE --manifest FILE --out FILE

One process per stage, so each stage's peak RSS is its own."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from portrait.bench import stages


def _ltv_config(manifest: Path) -> tuple[float, dict[str, float]]:
    """The scoring configuration `int_predictions__ltv` runs with in this build."""
    nodes = json.loads(manifest.read_text())["nodes"]
    config = next(node["config"] for node in nodes.values() if node.get("name") == "int_predictions__ltv")
    return float(config["discount_rate_monthly"]), {k: float(v) for k, v in config["ltv_tier_cutoffs"].items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portrait.bench.stage")
    parser.add_argument("stage", choices=["floor", "oneid", "ltv"])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--raw", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--networkx", action="store_true")
    parser.add_argument("--manifest", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.stage == "floor":
        result = stages.floor(args.raw, args.db, args.threads, args.memory_limit)
    elif args.stage == "oneid":
        result = stages.oneid(args.db, networkx_too=args.networkx)
    else:
        rate, cutoffs = _ltv_config(args.manifest)
        result = stages.ltv(args.db, rate, cutoffs)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
