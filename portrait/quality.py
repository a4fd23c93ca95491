"""The quality gate of `portrait run`: a Great Expectations (1.x) suite on the marts.

dbt's tests (run by `dbt build`) check each model's own rules: keys unique and not
null, relationships, accepted values. This suite checks what a nightly publish must
not change by accident, relative to the previous publication (`PORTRAIT_PUBLISH_DB`):

- every mart's row count within `max_row_change` of the previous one: drops at every
  size (less the rows of persons erased since, and for tables the operator named with
  `--allow-drop`), growth from 100 rows (below, configuration sets the size); history
  tables never fewer rows; volatile tables (personas: k may change on a refit) exempt;
- every column's null rate at most `max_null_rise` above the previous one;
- every segment's share within `max_share_change` of the previous one (except the
  `persona` scheme, whose clusters a refit may legitimately renumber: its quality is
  tracked in `fct_model_runs`), and each scheme's shares summing to 1;
- keys unique, probabilities in [0, 1], amounts not negative, codes in their sets, and
  every raw row accounted for in `audit_row_reconciliation`.

Checks on the erasure ledger (`audit_erasures`) are reported but never fail the gate: a
request that cannot be applied must not hold back the erasures beside it.

Tables are read from DuckDB into pandas (GX's pandas datasource; its SQL datasource
does not work over duckdb_engine), text columns dictionary-encoded to keep memory
low. The result is a JSON-serialisable report naming every failed expectation.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from portrait.publish import MARTS_SCHEMA, PUBLICATION_TABLE, mart_tables, published_schema

# Tables that only grow (history): their row count may not shrink, and may grow freely.
HISTORY_TABLES = {"fct_model_runs", "fct_identity_changes", "audit_erasures", "fct_audience_membership_changes",
                  "audit_exports", "audit_export_erasures"}
# Growth of tables below this size is set by configuration (segments, tags, models), not
# by data volume: not compared run to run. Drops are compared at every size.
MIN_ROWS_COMPARED = 100
# Tables whose size may legitimately swing from run to run: never compared with the last
# publication (personas: k may change on a refit; audiences, their members, trigger firings
# and lookalike scores change with their definitions and with behaviour by design).
VOLATILE_TABLES = {"agg_persona_summary", "dim_audience", "fct_audience_members", "fct_trigger_firings", "dim_trigger",
                   "fct_lookalike_scores"}
# Tables the publication adds from outside the warehouse (the export ledger): not in the
# marts validated, so not missed there.
PUBLISH_ONLY_TABLES = {"audit_exports", "audit_export_erasures"}
# Tables whose checks are reported but never fail the gate: the erasure ledger (a
# request that cannot be applied must not hold back the erasures beside it; README,
# "Erasure"). Their null rates are not compared either.
ADVISORY_TABLES = {"audit_erasures"}
# Tables that must never be empty.
NON_EMPTY_TABLES = {"dim_person", "dim_tag", "agg_segment_summary", "audit_row_reconciliation",
                    "fct_person_segments"}
# The key of each mart (GX checks uniqueness on the full table).
KEYS = {
    "dim_person": ["person_id"],
    "dim_tag": ["tag_code"],
    "fct_person_tags": ["person_id", "tag_code"],
    "fct_person_segments": ["person_id", "scheme"],
    "agg_segment_summary": ["scheme", "segment_code"],
    "agg_persona_summary": ["persona_code"],
    "bdg_person_identifier": ["identifier_type", "identifier_hash"],
    "fct_orders": ["order_key"],
    "fct_model_runs": ["model_name", "run_at"],
    "audit_row_reconciliation": ["source_table"],
    "dim_campaign": ["campaign_id"],
    "fct_campaign_touches": ["touch_id"],
    "agg_campaign_results": ["campaign_id", "scheme", "segment_code"],
    "agg_daily_kpis": ["kpi_date", "channel"],
    "fct_person_category_activity": ["person_id", "category", "window_name"],
    "fct_order_lines": ["order_key", "line_no"],
    "fct_person_segment_history": ["person_id", "scheme", "valid_from"],
    "agg_segment_migration": ["scheme", "period_end", "from_segment", "to_segment"],
}
# Columns with a closed range.
RANGES = {
    "dim_person": {
        "churn_probability": (0, 1), "probability_alive": (0, 1), "expected_clv_12m": (0, None),
        "expected_purchases_365d": (0, None), "orders_lifetime": (0, None), "identifier_count": (1, None),
        "rfm_score": (0, None),
    },
    "agg_segment_summary": {"share": (0, 1), "persons": (0, None)},
    "agg_campaign_results": {"treatment_conversion_rate": (0, 1), "control_conversion_rate": (0, 1),
                             "uplift": (-1, 1), "p_value": (0, 1), "q_value": (0, 1)},
    "dim_tag": {"persons_tagged": (0, None)},
}
SETS = {
    "fct_person_segments": {"scheme": ["rfm", "lifecycle", "aipl", "value_tier", "persona"]},
    "agg_segment_summary": {"scheme": ["rfm", "lifecycle", "aipl", "value_tier", "persona"]},
    "fct_person_segment_history": {"scheme": ["rfm", "lifecycle", "aipl", "value_tier", "persona"]},
    "agg_segment_migration": {"scheme": ["rfm", "lifecycle", "aipl", "value_tier", "persona"]},
    "dim_tag": {"category": ["basic", "behaviour", "transaction", "lifecycle", "preference", "risk", "predictive"],
                "kind": ["factual", "rule", "predictive"]},
    "fct_model_runs": {"status": ["fitted", "too_thin"]},
    "audit_row_reconciliation": {"is_balanced": [True]},
    "audit_erasures": {"status": ["applied", "not_applicable"]},
    "dim_person": {f"{channel}_not_contactable_reason": ["no_identifier", "opted_out", "not_subscribed"]
                   for channel in ("sms", "email", "push", "wechat", "ads")},
}
# Schemes whose segment shares are not compared run to run (see the module docstring).
SHARE_UNCHECKED_SCHEMES = {"persona"}


@dataclass(frozen=True)
class Tolerances:
    max_row_change: float = 0.25   # relative change of a mart's row count
    max_null_rise: float = 0.05    # absolute rise of a column's null rate
    max_share_change: float = 0.05  # absolute change of a segment's share
    # A run that applied an erasure deleted the person's history rows: history may shrink.
    history_may_shrink: bool = False
    # Rows per table the last publication held for persons erased since (a drop that
    # large is explained, not a fault).
    explained_drops: dict = field(default_factory=dict)
    # Tables the operator allowed to drop beyond `max_row_change` (`--allow-drop`).
    allow_drop: frozenset = frozenset()


@dataclass
class Check:
    table: str
    text: str
    expectation: object

    @property
    def blocking(self) -> bool:
        return self.table not in ADVISORY_TABLES


def _read(con: duckdb.DuckDBPyConnection, sql: str):
    """A query as a pandas DataFrame with text columns as categoricals (a fraction of
    the memory of Python strings; GX's pandas checks work on them unchanged)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = con.execute(sql).to_arrow_table()
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = pc.dictionary_encode(column)
        columns.append(column)
    frame = pa.table(columns, names=table.column_names).to_pandas()
    # GX vectorises range checks only on int64, float64 and datetime64[ns]; DuckDB hands
    # back nullable Int64, float32/int32 and datetime64[us], which GX checks row by row.
    for name in frame.columns:
        dtype = frame[name].dtype
        kind = getattr(dtype, "kind", "O")
        if kind == "M" and str(dtype) != "datetime64[ns]":
            frame[name] = frame[name].astype("datetime64[ns]")
        elif str(dtype) in ("Int64", "Int32", "int32", "int16", "Float64", "float32"):
            frame[name] = frame[name].astype("float64")
    return frame


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = ? and table_name = ? "
        "order by column_index", [catalog, schema, table]).fetchall()]


def _stats(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> dict:
    """Row count and per-column null rates of one published table, computed in DuckDB."""
    columns = _columns(con, catalog, schema, table)
    if not columns:
        return {"rows": None, "null_rates": {}}
    nulls = ", ".join(f'count(*) - count("{c}")' for c in columns)
    row = con.execute(f'select count(*), {nulls} from {catalog}.{schema}."{table}"').fetchall()[0]
    rows = row[0]
    return {"rows": rows, "null_rates": {c: (n / rows if rows else 0.0) for c, n in zip(columns, row[1:])}}


def _previous_state(previous: Path | None) -> tuple[dict, dict | None, str | None]:
    """Stats and segment shares of the previous publication ({} when there is none)."""
    if previous is None or not previous.exists():
        return {}, None, None
    con = duckdb.connect()
    try:
        con.execute(f"attach '{previous}' as prev (read_only)")
        schema = published_schema(con, "prev")
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'prev' and schema_name = ?",
            [schema]).fetchall()]
        stats = {t: _stats(con, "prev", schema, t) for t in tables if t != PUBLICATION_TABLE}
        shares = None
        if "agg_segment_summary" in tables:
            shares = {(s, c): v for s, c, v in con.execute(
                f"select scheme, segment_code, share from prev.{schema}.agg_segment_summary").fetchall()}
        run_id = None
        if PUBLICATION_TABLE in tables:
            run_id = con.execute(f"select max(run_id) from prev.{schema}.{PUBLICATION_TABLE}").fetchall()[0][0]
        return stats, shares, run_id
    finally:
        con.close()


def _checks_for(table: str, columns: set[str], previous: dict | None, tol: Tolerances) -> list[Check]:
    import great_expectations as gx

    E = gx.expectations
    checks: list[Check] = []
    rows_before = previous["rows"] if previous else None
    explained = int(tol.explained_drops.get(table, 0))
    if rows_before is not None and table not in VOLATILE_TABLES:
        if table in HISTORY_TABLES and tol.history_may_shrink:
            pass  # an erasure removed rows of history (docs/privacy.md)
        elif table in HISTORY_TABLES:
            checks.append(Check(table, f"history never shrinks: at least the {rows_before} rows published last",
                                E.ExpectTableRowCountToBeBetween(min_value=rows_before)))
        else:
            low = max(0, math.floor(rows_before * (1 - tol.max_row_change)) - explained)
            if table in tol.allow_drop:
                low = 0
            high = math.ceil(rows_before * (1 + tol.max_row_change)) if rows_before >= MIN_ROWS_COMPARED else None
            text = (f"row count at least {low} ({tol.max_row_change:.0%} below the {rows_before} published last"
                    + (f", less {explained} rows of persons erased since" if explained else "")
                    + (", allowed to drop by --allow-drop" if table in tol.allow_drop else "")
                    + (f") and at most {high}" if high is not None else ")"))
            checks.append(Check(table, text, E.ExpectTableRowCountToBeBetween(min_value=low, max_value=high)))
    if table in NON_EMPTY_TABLES:
        checks.append(Check(table, "not empty", E.ExpectTableRowCountToBeBetween(min_value=1)))
    key = KEYS.get(table)
    if key:
        for column in key:
            checks.append(Check(table, f"key column {column} never null",
                                E.ExpectColumnValuesToNotBeNull(column=column)))
        if len(key) == 1:
            checks.append(Check(table, f"{key[0]} unique", E.ExpectColumnValuesToBeUnique(column=key[0])))
        else:
            checks.append(Check(table, f"({', '.join(key)}) unique",
                                E.ExpectCompoundColumnsToBeUnique(column_list=key)))
    if previous and table not in ADVISORY_TABLES:
        for column, rate_before in previous["null_rates"].items():
            if column not in columns or (key and column in key):
                continue
            mostly = 1 - rate_before - tol.max_null_rise
            if mostly > 0:
                checks.append(Check(
                    table, f"{column}: null rate at most {tol.max_null_rise:.0%} above last time's {rate_before:.1%}",
                    E.ExpectColumnValuesToNotBeNull(column=column, mostly=round(mostly, 6))))
    for column, (low, high) in RANGES.get(table, {}).items():
        if column in columns:
            text = f"{column} in [{low}, {'∞' if high is None else high}]"
            checks.append(Check(table, text, E.ExpectColumnValuesToBeBetween(
                column=column, min_value=low, max_value=high)))
    for column, values in SETS.get(table, {}).items():
        if column in columns:
            checks.append(Check(table, f"{column} in {values}",
                                E.ExpectColumnValuesToBeInSet(column=column, value_set=values)))
    return checks


@contextlib.contextmanager
def _quiet():
    """GX logs and warns at import and per validation; the CLI prints its own summary."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    # GX hashes every frame under 1 GB only to fingerprint its result metadata (seconds on
    # a big mart); a private setting, so only where it exists.
    from great_expectations.execution_engine import pandas_execution_engine

    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        pandas_execution_engine.HASH_THRESHOLD = 0
    return context


def _observed(result: dict) -> object:
    for key in ("observed_value", "unexpected_percent", "unexpected_count"):
        if result.get(key) is not None:
            value = result[key]
            if key == "unexpected_percent":
                return f"{value:.3f}% unexpected"
            if key == "unexpected_count":
                return f"{value} unexpected"
            return value
    return None


def _validate_frame(source, table: str, frame, checks: list[Check]) -> list[dict]:
    """Validate one DataFrame (`table` names its GX assets) and report each check.

    Row-count and not-null checks run on the whole frame; every other check on a frame of
    just its columns (GX copies the frame it filters nulls from, once per metric)."""
    groups: dict[tuple, list[Check]] = {}
    for check in checks:
        config = check.expectation
        columns = getattr(config, "column_list", None) or ([config.column] if hasattr(config, "column") else [])
        wide = not columns or type(config).__name__ == "ExpectColumnValuesToNotBeNull"
        groups.setdefault(() if wide else tuple(columns), []).append(check)
    out = []
    for number, (columns, group) in enumerate(groups.items()):
        part = frame if not columns else frame[list(columns)]
        out += _validate_part(source, f"{table}__{number}", part, group)
    return out


def _validate_part(source, name: str, frame, checks: list[Check]) -> list[dict]:
    import great_expectations as gx

    asset = source.add_dataframe_asset(name=name)
    batch = asset.add_batch_definition_whole_dataframe(name=f"{name}__whole").get_batch(
        batch_parameters={"dataframe": frame})
    for number, check in enumerate(checks):
        check.expectation.meta = {"portrait_check": number}
    suite = gx.ExpectationSuite(name=f"{name}__portrait", expectations=[c.expectation for c in checks])
    result = batch.validate(suite, result_format={"result_format": "BASIC", "partial_unexpected_count": 5})
    result = result.to_json_dict()
    # GX does not keep the suite's order in its results: match them by the number in meta
    out = []
    for item in result["results"]:
        check = checks[item["expectation_config"]["meta"]["portrait_check"]]
        config = item["expectation_config"]
        kwargs = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
        error = None
        info = item.get("exception_info") or {}
        if info.get("raised_exception"):
            error = info.get("exception_message")
        else:
            for value in info.values():
                if isinstance(value, dict) and value.get("raised_exception"):
                    error = value.get("exception_message")
        out.append({
            "table": check.table,
            "check": check.text,
            "blocking": check.blocking,
            "expectation_type": config["type"],
            "column": kwargs.get("column") or kwargs.get("column_list"),
            "kwargs": kwargs,
            "success": bool(item["success"]) and error is None,
            "observed": error or _observed(item.get("result") or {}),
            "examples": (item.get("result") or {}).get("partial_unexpected_list") or None,
        })
    if sorted(r["check"] for r in out) != sorted(c.text for c in checks):
        raise RuntimeError(f"Great Expectations returned {len(out)} results for {len(checks)} checks on {name}")
    return out


def validate_warehouse(db: Path, previous: Path | None, tol: Tolerances | None = None) -> dict:
    """Validate the marts of warehouse `db` against the published file `previous`."""
    tol = tol or Tolerances()
    started = time.perf_counter()
    previous_stats, previous_shares, previous_run = _previous_state(previous)
    results: list[dict] = []
    skipped: list[str] = []
    if not previous_stats:
        skipped.append("no previous publication: row counts, null rates and segment shares are not compared")
    with _quiet():
        import great_expectations as gx  # noqa: F401  (import inside _quiet: its warnings are noise here)
        import pandas as pd

        context = _context()
        source = context.data_sources.add_pandas(name="portrait_marts")
        con = duckdb.connect(str(db), read_only=True)
        try:
            catalog = con.execute("select current_database()").fetchall()[0][0]
            tables = mart_tables(con, catalog)
            if not tables:
                raise RuntimeError(f"{db} has no tables in schema {MARTS_SCHEMA!r}: was it built?")
            for table in tables:
                columns = set(_columns(con, catalog, MARTS_SCHEMA, table))
                checks = _checks_for(table, columns, previous_stats.get(table), tol)
                if not checks:
                    continue
                frame = _read(con, f'select * from {MARTS_SCHEMA}."{table}"')
                results += _validate_frame(source, table, frame, checks)
                del frame
            for table in sorted(set(previous_stats) - set(tables) - PUBLISH_ONLY_TABLES):
                results.append({
                    "table": table, "check": "published last time: still there", "blocking": True,
                    "expectation_type": "table_exists", "column": None, "kwargs": {}, "success": False,
                    "observed": f"{table} is no longer built", "examples": None})
            # Run-to-run segment shares, and shares per scheme adding up to 1.
            current = con.execute(
                f"select scheme, segment_code, share from {MARTS_SCHEMA}.agg_segment_summary").fetchall() \
                if "agg_segment_summary" in tables else []
        finally:
            con.close()
        if current:
            sums = pd.DataFrame(current, columns=["scheme", "segment_code", "share"]).groupby(
                "scheme", as_index=False)["share"].sum().rename(columns={"share": "share_total"})
            E = gx.expectations
            results += _validate_frame(source, "agg_segment_summary__totals", sums, [Check(
                "agg_segment_summary", "each scheme's shares add up to 1",
                E.ExpectColumnValuesToBeBetween(column="share_total", min_value=0.999, max_value=1.001))])
            if previous_shares is not None:
                now = {(s, c): v for s, c, v in current}
                keys = sorted((set(now) | set(previous_shares)))
                changes = pd.DataFrame(
                    [(s, c, now.get((s, c), 0.0), previous_shares.get((s, c), 0.0)) for s, c in keys
                     if s not in SHARE_UNCHECKED_SCHEMES],
                    columns=["scheme", "segment_code", "share", "previous_share"])
                changes["share_change"] = (changes["share"] - changes["previous_share"]).abs()
                changes["segment"] = changes["scheme"] + ":" + changes["segment_code"]
                frame_results = _validate_frame(source, "agg_segment_summary__changes", changes, [Check(
                    "agg_segment_summary",
                    f"every segment's share within {tol.max_share_change:.0%} (absolute) of last time's",
                    E.ExpectColumnValuesToBeBetween(column="share_change", min_value=0,
                                                    max_value=tol.max_share_change))])
                for item in frame_results:
                    if not item["success"]:
                        worst = changes.sort_values("share_change", ascending=False).head(3)
                        item["observed"] = "; ".join(
                            f"{r.segment} {r.previous_share:.3f} -> {r.share:.3f}" for r in worst.itertuples())
                results += frame_results
    failed = [r for r in results if not r["success"] and r.get("blocking", True)]
    warnings = [r for r in results if not r["success"] and not r.get("blocking", True)]
    return {
        "success": not failed,
        "evaluated": len(results),
        "failed": len(failed),
        "warnings": len(warnings),
        "previous_publication": str(previous) if previous_stats else None,
        "previous_run_id": previous_run,
        "skipped": skipped,
        "tolerances": tol.__dict__,
        "seconds": round(time.perf_counter() - started, 2),
        "expectations": results,
    }


def print_validation(result: dict, stream=None) -> None:
    stream = stream or sys.stdout
    verdict = "PASSED" if result["success"] else "FAILED"
    print(f"Great Expectations suite {verdict}: {result['evaluated'] - result['failed']} of "
          f"{result['evaluated']} expectations met ({result['seconds']} s)", file=stream)
    if result["previous_publication"]:
        print(f"  compared with {result['previous_publication']} (run {result['previous_run_id']})", file=stream)
    for note in result["skipped"]:
        print(f"  skipped: {note}", file=stream)
    for item in result["expectations"]:
        if not item["success"]:
            label = "FAILED" if item.get("blocking", True) else "WARNING (never blocks)"
            print(f"  {label} {item['table']}: {item['check']} ({item['expectation_type']}; "
                  f"observed {item['observed']})", file=stream)


__all__ = ["validate_warehouse", "print_validation", "Tolerances"]
