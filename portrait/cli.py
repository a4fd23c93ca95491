"""`portrait` command line: generate data, build the warehouse, serve the docs.

Every command has `--help`. Paths follow the environment variables of
`docs/contracts.md` (PORTRAIT_RAW_DIR, PORTRAIT_DB, ...).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from portrait import paths


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:  # argparse turns this into a clean usage error
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from exc


def cmd_generate(args: argparse.Namespace) -> int:
    from portrait.generate import generate

    out = Path(args.out)
    state = out / "raw" / "_generator_state.json"
    if args.if_absent and state.exists():
        existing = json.loads(state.read_text())
        print(
            f"portrait generate: {out}/raw already holds the {existing.get('scale')!r} dataset "
            f"(seed {existing.get('seed')}, received until {existing.get('until')}); not regenerating. "
            f"Delete {out} to start over.",
            file=sys.stderr,
        )
        return 0
    summary = generate(
        scale=args.scale, seed=args.seed, out=out, until=args.until, progress=not args.quiet
    )
    if args.json:
        print(json.dumps(summary, default=str, indent=2))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from portrait.dbt import run_dbt

    from portrait.model_runs import print_model_runs

    result = run_dbt(["build", *args.dbt_args], check=False)
    if result.returncode == 0:
        print_model_runs(paths.warehouse_path())
    return result.returncode


def cmd_run(args: argparse.Namespace) -> int:
    from portrait.run import run

    from portrait.run import RunOptions

    code, report = run(options=RunOptions(
        as_of=args.as_of, full_refresh=args.full_refresh, allow_missing=frozenset(args.allow_missing),
        allow_drop=frozenset(args.allow_drop), max_row_drop=args.max_row_drop, force_as_of=args.force_as_of,
        backfill=args.backfill, exports=not args.no_exports))
    if args.json:
        print(json.dumps(report.as_dict(), default=str))
    return code


def cmd_rotate_key(args: argparse.Namespace) -> int:
    from portrait.hash_key import rotate

    code, report = rotate(new_key_env=args.new_key_from_env, as_of=args.as_of)
    if args.json and report is not None:
        print(json.dumps(report.as_dict(), default=str))
    return code


def cmd_audience(args: argparse.Namespace) -> int:
    from portrait.activation.show import print_list, print_show

    db = Path(args.db) if args.db else paths.publish_path()
    if args.audience_command == "list":
        return print_list(db, args.json)
    return print_show(db, args.code, args.json)


def cmd_export(args: argparse.Namespace) -> int:
    from portrait.activation.exports import ExportFailed, export

    try:
        manifest = export(args.audience, args.channel, delta=args.delta, out=Path(args.out) if args.out else None,
                          file_format=args.format)
    except ExportFailed as exc:
        print(f"portrait export: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(manifest, ensure_ascii=False))
    else:
        print(f"portrait export: {manifest['kind']} export of {manifest['audience']} to {manifest['channel']}: "
              f"{manifest['rows']} rows, {manifest['exited_rows']} exited, {manifest['control_rows']} held out as "
              f"control; {manifest['file']} (sha256 {manifest['sha256'][:12]}...)", file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from portrait.quality import print_validation, validate_warehouse

    db = Path(args.db) if args.db else paths.warehouse_path()
    previous = Path(args.previous) if args.previous else paths.publish_path()
    result = validate_warehouse(db, previous if previous.exists() else None)
    if args.json:
        print(json.dumps(result, default=str))
    else:
        print_validation(result)
    return 0 if result["success"] else 1


def cmd_docs(args: argparse.Namespace) -> int:
    from portrait.dbt import run_dbt

    run_dbt(["docs", "generate"])
    if args.no_serve:
        print(f"portrait docs: site written to {paths.PROJECT_DIR / 'target'} (index.html)")
        return 0
    print(f"portrait docs: serving the lineage site on http://localhost:{args.port} (Ctrl-C to stop)")
    return run_dbt(["docs", "serve", "--port", str(args.port), "--no-browser"], check=False).returncode


def cmd_summary(args: argparse.Namespace) -> int:
    from portrait.summary import print_summary

    return print_summary()


def cmd_eval_identity(args: argparse.Namespace) -> int:
    from portrait.evaluate.identity import evaluate_identity

    result = evaluate_identity(paths.warehouse_path(), paths.truth_dir())
    if args.json:
        print(json.dumps(result))
    else:
        base = result["baseline"]
        print(f"OneID vs truth ({paths.truth_dir()}):")
        for key in ("precision", "recall", "bcubed_f1"):
            print(f"  {key:<12} {result[key]:.4f}   (plain connected components: {base[key]:.4f})")
        print(f"  persons      {result['persons']}  (true persons {result['true_persons']}, "
              f"baseline {base['persons']})")
        print(f"  largest      {result['largest_person']} identifiers  (baseline {base['largest_person']})")
    return 0


def cmd_eval_ltv_cdnow(args: argparse.Namespace) -> int:
    from portrait.ltv.cdnow import evaluate_cdnow

    if not args.json:
        print("Fitting BG/NBD and Gamma-Gamma (pymc-marketing, MAP, flat priors) on the CDNOW sample...",
              file=sys.stderr)
    result = evaluate_cdnow()
    if args.json:
        print(json.dumps(result))
    else:
        published = result["published"]
        print(f"CDNOW sample: {result['customers']} customers, {result['repeat_buyers']} repeat buyers "
              "(calibration ends 1997-09-30)")
        for key in ("r", "alpha", "a", "b", "loglik_bgnbd", "p", "q", "gamma"):
            print(f"  {key:<13} {result[key]:>11.4f}   published {published[key]}")
    return 0


def cmd_eval_ltv(args: argparse.Namespace) -> int:
    from portrait.evaluate.ltv import evaluate_ltv

    result = evaluate_ltv(paths.warehouse_path(), paths.truth_dir())
    if args.json:
        print(json.dumps(result))
    else:
        print(f"CLV vs truth ({paths.truth_dir()}), {result['scored_buyers']} scored buyers:")
        print(f"  Spearman, expected vs realised orders in 365 days: {result['spearman_orders_365d']:.4f}"
              f"   (past order rate extrapolated: {result['baseline_spearman']:.4f})")
    return 0


def cmd_eval_lookalike(args: argparse.Namespace) -> int:
    from portrait.evaluate.lookalike import evaluate_lookalike
    from portrait.evaluate.results import write_result

    result = evaluate_lookalike(paths.warehouse_path(), paths.truth_dir(), seed_size=args.seed_size, n=args.n)
    if args.out:
        write_result(Path(args.out), "lookalike", result)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"Lookalike expansion vs the truth ({paths.truth_dir()}), {result['persons']} persons, "
          f"seeds of {result['seed_size']} expanded to {result['n']}:")
    print(f"  mean over personas: precision {result['precision_at_n']:.3f}, lift over random "
          f"{result['lift_over_random']:.2f} (rule baseline {result['baseline_lift']:.2f})")
    for name, item in result["by_seed"].items():
        print(f"  {name:<40} precision {item['precision_at_n']:.3f}  lift {item['lift_over_random']:.2f}  "
              f"baseline {item['baseline_lift']:.2f}")
    return 0


def cmd_eval_clusters(args: argparse.Namespace) -> int:
    from portrait.evaluate.clusters import evaluate_clusters

    result = evaluate_clusters(paths.warehouse_path(), paths.truth_dir())
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"Personas vs the generator's latent personas ({paths.truth_dir()}): model {result['status']}, k = {result['k']}")
    print(f"  profiled {result['scored_persons']} of {result['matched_persons']} matched persons "
          f"({result['scored_share']:.1%}; the rest have too little behaviour and are unscored)")
    if result["ari"] is None:
        print("  too few profiled persons to compare")
        return 0
    print(f"  adjusted Rand index: {result['ari']:.4f}   (k-means on RFM scores only: {result['baseline_ari']:.4f})")
    print(f"  with unscored as one more group, over every matched person: {result['ari_with_unscored']:.4f}")
    return 0


def cmd_eval_churn(args: argparse.Namespace) -> int:
    from portrait.evaluate.churn import evaluate_churn

    result = evaluate_churn(paths.warehouse_path(), paths.truth_dir())
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"Churn propensity ({paths.truth_dir()}): model {result['status']}, {result['scored_buyers']} scored buyers")
    if result["auc_future_truth"] is None:
        print("  not fitted, or the truth has one class only: nothing to compare")
        return 0
    print(f"  AUC, time-split holdout:            {result['auc_holdout']:.4f}"
          f"   (days since last order: {result['baseline_auc_recency_holdout']:.4f})")
    print(f"  AUC vs churned_90d in the truth:     {result['auc_future_truth']:.4f}"
          f"   (days since last order: {result['baseline_auc_recency']:.4f})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from portrait.bench import README, RESULTS_DIR, print_summary, run_bench

    result = run_bench(args.scale, seed=args.seed, work=Path(args.work) if args.work else None,
                       results_dir=Path(args.results_dir) if args.results_dir else RESULTS_DIR,
                       readme=None if args.no_readme else README)
    if args.json:
        print(json.dumps(result, default=str))
    else:
        print_summary(result)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from portrait.identity.explain import explain

    try:
        code, text = explain(str(paths.warehouse_path()), args.identifiers)
    except ValueError as exc:
        print(f"portrait explain: {exc}", file=sys.stderr)
        return 2
    print(text)
    return code


def cmd_privacy_scan(args: argparse.Namespace) -> int:
    from portrait.privacy import print_scan, scan

    db = None if args.no_db else Path(args.db) if args.db else paths.publish_path()
    truth = Path(args.truth) if args.truth else paths.truth_dir()
    try:
        result = scan(db, truth, Path(args.parquet) if args.parquet else None, progress=not args.quiet)
    except FileNotFoundError as exc:
        print(f"portrait privacy scan: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.as_dict(), default=str))
    else:
        print_scan(result)
    if result.found:
        return 1
    return 2 if result.errors else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portrait",
        description="portrait: a customer-360 / user-profile warehouse on dbt and DuckDB.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser(
        "generate",
        help="write a synthetic omnichannel raw dataset with ground truth",
        description=(
            "Write the 13 raw tables of the raw contract as Parquet into OUT/raw/<table>/ and the "
            "ground truth into OUT/truth/. With --until, write only what had been received by that "
            "local date; a later call with a later --until adds files for the new days only."
        ),
    )
    gen.add_argument("--scale", choices=["tiny", "small", "medium", "large"], default="small",
                     help="dataset size: tiny ~2k persons, small ~50k, medium ~200k, large ~1M (default: small)")
    gen.add_argument("--seed", type=int, default=42, help="random seed; same seed and scale give identical data")
    gen.add_argument("--out", default="data", help="output folder (default: data)")
    gen.add_argument("--until", type=_date, default=None,
                     help="write rows received up to this Asia/Shanghai date (default: the as-of date)")
    gen.add_argument("--if-absent", action="store_true", help="do nothing when OUT already holds a dataset")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.add_argument("--json", action="store_true", help="print the summary as JSON")
    gen.set_defaults(func=cmd_generate)

    build = sub.add_parser(
        "build",
        help="run `dbt build` on the warehouse (PORTRAIT_DB)",
        description="Run `dbt build` with the project's environment (hash key, paths). Extra arguments go to dbt.",
    )
    build.add_argument("dbt_args", nargs="*", metavar="DBT_ARG",
                       help="arguments passed to dbt build, e.g. `-s dim_person+ --vars '{...}'`")
    build.set_defaults(func=cmd_build)

    run = sub.add_parser(
        "run",
        help="the nightly job: build a working copy, validate, then swap it in and publish the marts",
        description=(
            "Write-audit-publish. Copy PORTRAIT_DB to a working file, `dbt build` there (every dbt test "
            "runs), validate the marts with the Great Expectations suite against the previous publication, "
            "then rename the working file over PORTRAIT_DB and publish the marts (no staging, no PII) to "
            "PORTRAIT_PUBLISH_DB in a format DuckDB 1.0+ clients read, with Parquet exports beside it. "
            "On any failure the last good files stay and the exit status is 1."
        ),
    )
    run.add_argument("--as-of", type=_date, default=None,
                     help="business as-of date (default: the latest date of a valid staged event or order)")
    run.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    run.add_argument("--json", action="store_true", help="print the run report as one JSON object")
    run.add_argument("--allow-missing", action="append", default=[], metavar="RAW_TABLE",
                     help="let this raw table be absent or empty although it held rows at the last publication "
                          "(repeatable; recorded in the run report)")
    run.add_argument("--allow-drop", action="append", default=[], metavar="TABLE",
                     help="let this raw table or mart drop by more than --max-row-drop against the last "
                          "publication (repeatable; recorded in the run report)")
    run.add_argument("--max-row-drop", type=float, default=0.25, metavar="SHARE",
                     help="largest drop of a raw table's or a mart's rows against the last publication "
                          "(default 0.25; drops explained by erasures are allowed)")
    run.add_argument("--force-as-of", action="store_true",
                     help="build an --as-of date in the future or before the data starts")
    run.add_argument("--backfill", action="store_true",
                     help="publish an --as-of date before the published one (replaces what BI users see)")
    run.add_argument("--no-exports", action="store_true",
                     help="do not write the audiences' configured channel exports after publishing")
    run.set_defaults(func=cmd_run)

    rotate_key = sub.add_parser(
        "rotate-key",
        help="change the identifier hash key deliberately and rebuild everything under it",
        description=(
            "Make a new hash key, keep the old key file beside it (.portrait_hash_key.old-<UTC time>, owner-only) "
            "and run `portrait run --full-refresh` with the key change allowed: every hash and person id changes "
            "and every erasure is re-applied from its raw request. If that run fails, the old key is put back. "
            "When PORTRAIT_HASH_KEY comes from the environment, put the new key in another variable and name it "
            "with --new-key-from-env. docs/privacy.md, \"Rotating the hash key\"."
        ),
    )
    rotate_key.add_argument("--new-key-from-env", metavar="VAR", default=None,
                            help="take the new key from environment variable VAR (required when PORTRAIT_HASH_KEY "
                                 "is set; otherwise a random key is made)")
    rotate_key.add_argument("--as-of", type=_date, default=None, help="business as-of date of the run")
    rotate_key.add_argument("--json", action="store_true", help="print the run report as one JSON object")
    rotate_key.set_defaults(func=cmd_rotate_key)

    audience = sub.add_parser("audience", help="audiences as code: list them, or show one's definition, SQL and "
                                                "members (docs/activation.md)")
    audience_sub = audience.add_subparsers(dest="audience_command", required=True)
    audience_list = audience_sub.add_parser("list", help="every audience with its size in the published file")
    audience_list.add_argument("--json", action="store_true", help="one JSON list of objects (code, members, ...)")
    audience_list.add_argument("--db", default=None, help="published file (default: PORTRAIT_PUBLISH_DB)")
    audience_list.set_defaults(func=cmd_audience)
    audience_show = audience_sub.add_parser(
        "show", help="definition, compiled SQL, size, consent breakdown per channel, ten members (masked)")
    audience_show.add_argument("code", help="the audience's code")
    audience_show.add_argument("--json", action="store_true", help="print it as one JSON object")
    audience_show.add_argument("--db", default=None, help="published file (default: PORTRAIT_PUBLISH_DB)")
    audience_show.set_defaults(func=cmd_audience)

    export_parser = sub.add_parser(
        "export", help="write an audience's consent-safe file for a channel (docs/activation.md, \"Exports\")")
    export_parser.add_argument("audience", help="the audience's code")
    export_parser.add_argument("--channel", required=True,
                               choices=["sms", "email", "wechat", "ad_meta", "ad_google", "ad_tencent"])
    export_parser.add_argument("--delta", action="store_true",
                               help="only who entered and who exited since the last export of the audience to the "
                                    "channel (a full file the first time)")
    export_parser.add_argument("--out", default=None,
                               help="folder (default: PORTRAIT_EXPORT_DIR/<audience>/<channel>/)")
    export_parser.add_argument("--format", default="csv", choices=["csv", "parquet"])
    export_parser.add_argument("--json", action="store_true", help="print the manifest as one JSON object")
    export_parser.set_defaults(func=cmd_export)

    validate = sub.add_parser(
        "validate",
        help="run the Great Expectations suite on a warehouse's marts (what `portrait run` checks)",
    )
    validate.add_argument("--db", default=None, help="warehouse to check (default: PORTRAIT_DB)")
    validate.add_argument("--previous", default=None,
                          help="published file to compare with (default: PORTRAIT_PUBLISH_DB, when it exists)")
    validate.add_argument("--json", action="store_true", help="print the validation report as JSON")
    validate.set_defaults(func=cmd_validate)

    docs = sub.add_parser("docs", help="generate and serve the dbt lineage docs")
    docs.add_argument("--port", type=int, default=8080, help="port to serve on (default: 8080)")
    docs.add_argument("--no-serve", action="store_true", help="only generate the site")
    docs.set_defaults(func=cmd_docs)

    evaluate = sub.add_parser("eval", help="measure the warehouse against the generator's ground truth")
    eval_sub = evaluate.add_subparsers(dest="what", required=True, metavar="WHAT")
    eval_identity = eval_sub.add_parser(
        "identity", help="OneID pairwise precision/recall and B-cubed F1, beside plain connected components",
    )
    eval_identity.add_argument("--json", action="store_true", help="print one JSON object")
    eval_identity.set_defaults(func=cmd_eval_identity)
    eval_cdnow = eval_sub.add_parser(
        "ltv-cdnow", help="fit BG/NBD + Gamma-Gamma on the CDNOW sample and compare with the published estimates",
    )
    eval_cdnow.add_argument("--json", action="store_true", help="print one JSON object")
    eval_cdnow.set_defaults(func=cmd_eval_ltv_cdnow)
    eval_ltv = eval_sub.add_parser(
        "ltv", help="Spearman of predicted vs realised orders in the 365 days after the as-of date, beside a baseline",
    )
    eval_ltv.add_argument("--json", action="store_true", help="print one JSON object")
    eval_ltv.set_defaults(func=cmd_eval_ltv)
    eval_lookalike = eval_sub.add_parser(
        "lookalike", help="lookalike expansion: precision and lift at N for seeds of each latent persona")
    eval_lookalike.add_argument("--json", action="store_true", help="print one JSON object")
    eval_lookalike.add_argument("--seed-size", type=int, default=1000, help="persons per seed (default 1000)")
    eval_lookalike.add_argument("--n", type=int, default=1000, help="persons to expand to (default 1000)")
    eval_lookalike.add_argument("--out", default=None,
                                help="also write the result with its commit, scale and settings to this JSON file")
    eval_lookalike.set_defaults(func=cmd_eval_lookalike)
    eval_clusters = eval_sub.add_parser(
        "clusters", help="personas vs the latent personas (adjusted Rand index, RFM-only baseline)")
    eval_clusters.add_argument("--json", action="store_true", help="print one JSON object")
    eval_clusters.set_defaults(func=cmd_eval_clusters)
    eval_churn = eval_sub.add_parser(
        "churn", help="churn propensity: AUC on a time-split holdout and vs the truth, recency baseline")
    eval_churn.add_argument("--json", action="store_true", help="print one JSON object")
    eval_churn.set_defaults(func=cmd_eval_churn)

    explain = sub.add_parser(
        "explain",
        help="why identifiers are one person, or why they are apart",
        description=(
            "With one TYPE:VALUE, show its person and the edges touching it. With two, show the path "
            "of edges (source table, rule) that put them in one person, or why they are apart "
            "(a guard, a steward override, or no path). Values are normalised as staging does, "
            "so phone:+86 138-1234-5678 works."
        ),
    )
    explain.add_argument("identifiers", nargs="+", metavar="TYPE:VALUE")
    explain.set_defaults(func=cmd_explain)

    summary = sub.add_parser("summary", help="print what the warehouse holds and what to query first")
    summary.set_defaults(func=cmd_summary)

    privacy = sub.add_parser("privacy", help="PII checks on what the warehouse publishes")
    privacy_sub = privacy.add_subparsers(dest="what", required=True, metavar="WHAT")
    privacy_scan = privacy_sub.add_parser(
        "scan",
        help="search a DuckDB file (default: the published file) for the generator's phones and e-mails",
        description=(
            "Load the generator's phones and e-mails (canonical values of TRUTH/identity.parquet) and search "
            "every column of every table and view of the DuckDB file, and of every Parquet file under --parquet, "
            "for them: phone- and e-mail-shaped tokens in text (also inside longer text, behind +86, with "
            "separators, in any case), and phones stored as numbers. Prints the columns where any was found "
            "(values masked). Exit status 0 when none is found, 1 when any is, 2 when something could not be "
            "scanned. Progress goes to stderr."
        ),
    )
    privacy_scan.add_argument("--db", default=None, help="DuckDB file to scan (default: PORTRAIT_PUBLISH_DB)")
    privacy_scan.add_argument("--no-db", action="store_true", help="scan only the Parquet files of --parquet")
    privacy_scan.add_argument("--parquet", default=None,
                              help="also scan every Parquet file under this folder (e.g. the published exports)")
    privacy_scan.add_argument("--truth", default=None,
                              help="the generator's truth folder with identity.parquet (default: PORTRAIT_TRUTH_DIR)")
    privacy_scan.add_argument("--quiet", action="store_true", help="no progress bar")
    privacy_scan.add_argument("--json", action="store_true", help="print one JSON object")
    privacy_scan.set_defaults(func=cmd_privacy_scan)

    bench = sub.add_parser(
        "bench",
        help="measure build speed, scaling and memory against a floor query and peer tools",
        description=(
            "In its own work folder (default bench/work/<scale>-seed<seed>, never data/ or warehouse/): "
            "generate the dataset up to two days before its as-of date, full `dbt build`, the floor query "
            "over the raw events and orders, OneID vs scipy (and networkx up to medium), LTV vs lifetimes, "
            "then one more day and an incremental `dbt build` (the erasure night: it applies the requests the "
            "full build listed), then one more day and another (the quiet night). Writes bench/results/<scale>-<date>.json and "
            "regenerates the table in bench/README.md. Progress goes to stderr."
        ),
    )
    bench.add_argument("--scale", choices=["tiny", "small", "medium", "large"], required=True)
    bench.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    bench.add_argument("--work", default=None, help="work folder (emptied first)")
    bench.add_argument("--results-dir", default=None, help="where result files go (default bench/results)")
    bench.add_argument("--no-readme", action="store_true", help="do not regenerate bench/README.md's table")
    bench.add_argument("--json", action="store_true", help="print the whole result as one JSON object on stdout")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if getattr(args, "func", None) is not cmd_build:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        # `portrait build -s x --vars ...`: options meant for dbt, in their original order
        raw = list(sys.argv[1:] if argv is None else argv)
        args.dbt_args = raw[raw.index("build") + 1:]
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
