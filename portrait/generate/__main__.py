"""`python -m portrait.generate --scale tiny --seed 42 --out data [--until 2026-06-30]`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from . import AS_OF_DATE, SCALES, GeneratorError, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portrait.generate",
        description="Generate the synthetic raw landing zone (out/raw) and its ground truth (out/truth).",
    )
    parser.add_argument("--scale", choices=list(SCALES), default="tiny", help="dataset size (default tiny)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", type=Path, default=Path("data"), help="output folder (default data/)")
    parser.add_argument("--until", type=dt.date.fromisoformat, default=None,
                        help=f"write rows received up to this local date (default: the as-of date {AS_OF_DATE})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    args = parser.parse_args(argv)
    try:
        summary = generate(args.scale, args.seed, args.out, until=args.until, progress=not args.no_progress)
    except GeneratorError as exc:
        print(f"portrait generate: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    elif not summary.get("noop"):
        print(f"wrote {len(summary['files'])} files to {args.out} in {summary['seconds']} s "
              f"({sum(summary['rows'].values()):,} rows); truth in {args.out / 'truth'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
