"""The lookalike accuracy table of docs/activation.md, generated from the committed result
file `bench/results/eval/lookalike-small.json` (`portrait eval lookalike --out ...`):
`python -m portrait.activation.lookalike_docs` rewrites it; tests/python/test_activation.py
fails when the docs and the file disagree."""

from __future__ import annotations

import json
import sys

from portrait.paths import PROJECT_DIR

RESULT = PROJECT_DIR / "bench" / "results" / "eval" / "lookalike-small.json"
DOC = PROJECT_DIR / "docs" / "activation.md"
START = "<!-- lookalike-table:start (generated from bench/results/eval/lookalike-small.json) -->"
END = "<!-- lookalike-table:end -->"


def render() -> str:
    document = json.loads(RESULT.read_text())
    result = document["result"]
    lines = [
        f"Scale `{document['scale']}` (seed {document['dataset_seed']}), commit {document['commit']}, "
        f"{result['persons']:,} persons; seeds of {result['seed_size']:,} expanded to {result['n']:,}.",
        "",
        "| seed | precision at N | lift over random | rule baseline's lift |",
        "|---|---|---|---|",
        f"| **mean over latent personas** | **{result['precision_at_n']:.3f}** | **{result['lift_over_random']:.2f}** "
        f"| **{result['baseline_lift']:.2f}** |",
    ]
    for name, item in result["by_seed"].items():
        lines.append(f"| {name} | {item['precision_at_n']:.3f} | {item['lift_over_random']:.2f} "
                     f"| {item['baseline_lift']:.2f} |")
    return "\n".join(lines)


def render_into(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{render()}\n{END}{tail}"


if __name__ == "__main__":
    DOC.write_text(render_into(DOC.read_text()))
    print(f"wrote the lookalike table of {DOC}", file=sys.stderr)
