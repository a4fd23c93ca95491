"""What `make demo` prints at the end: where things are and what to query first."""

from __future__ import annotations

import duckdb

from portrait import paths

FIRST_QUERIES = [
    ("Row accounting per raw table (nothing lost silently)",
     "select * from marts.audit_row_reconciliation order by source_table"),
    ("Why rows were quarantined",
     "select source_table, quarantine_reason, count(*) as rows from staging.stg_quarantine__rows "
     "group by all order by rows desc"),
    ("People, one row per person: contact (masked), segments, key metrics, top tags",
     "select person_id, phone_masked, city, rfm_segment, lifecycle_segment, persona_name_zh, churn_risk_band, orders_365d, "
     "spend_365d, preferred_platform, top_tags from marts.dim_person order by spend_365d desc limit 10"),
    ("Segment sizes per scheme",
     "select scheme, segment_code, segment_name_zh, persons, round(share, 3) as share "
     "from marts.agg_segment_summary order by scheme, sort_order"),
    ("Personas found by the clustering model, with what their average member looks like",
     "select persona_code, persona_name_zh, persona_name_en, persons, round(share, 3) as share, "
     "round(avg_orders_per_year, 2) as orders_per_year, round(avg_order_value) as order_value "
     "from marts.agg_persona_summary order by persona_rank nulls last"),
    ("Prediction model runs: status, rows, validation figures",
     "select model_name, run_at, status, fitted_rows, scored_rows, unscored_persons "
     "from marts.fct_model_runs order by run_at desc, model_name limit 6"),
    ("The tag catalogue with how many persons carry each tag",
     "select tag_code, name_zh, category, kind, persons_tagged from marts.dim_tag order by category, tag_code"),
    ("An audience: cart abandoners of the last 30 days",
     "select person_id, tag_value from marts.fct_person_tags where tag_code = 'cart_abandoner_30d' limit 10"),
    ("Staged CRM members",
     "select member_id, phone_masked, email_masked, gender, city from staging.stg_crm__members limit 10"),
]


def _relations(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema not in ('information_schema', 'pg_catalog') order by 1, 2"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for schema, name in rows:
        out.setdefault(schema, []).append(name)
    return out


def print_summary() -> int:
    db = paths.warehouse_path()
    if not db.exists():
        print(f"portrait: no warehouse at {db} yet: run `make demo`")
        return 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        relations = _relations(con)
        print()
        print(f"Warehouse (private, with PII):  {db}")
        published = paths.publish_path()
        print(f"Published marts for BI (no PII): {published}"
              + ("  (DuckDB 1.0+ clients open it; Parquet copies in "
                 f"{published.with_name(published.stem + '_parquet')}/current/)" if published.exists()
                 else "  (not yet: written by `portrait run`)"))
        print(f"Raw landing zone:               {paths.raw_dir()}")
        print("Lineage docs:                   make docs   (then open http://localhost:8080)")
        print("Metrics (one definition each):  .venv/bin/mf query --metrics gmv --group-by metric_time__month"
              "   (docs/metrics.md)")
        print()
        for schema, names in relations.items():
            print(f"  {schema:<14} {len(names):>3} relations: {', '.join(names[:8])}{' ...' if len(names) > 8 else ''}")
        existing = {f"{s}.{n}" for s, names in relations.items() for n in names}
        print()
        print(f"What to query first: marts.* in the published file (duckdb -readonly {published}); staging.* only "
              f"in the private file ({db}), which holds PII:")
        for title, sql in FIRST_QUERIES:
            relation = sql.split(" from ")[1].split()[0]
            if relation not in existing:
                continue
            where = "" if relation.startswith("marts.") else "  [private file]"
            print(f"\n  -- {title}{where}\n  {sql};")
            if title.startswith("Row accounting"):
                for row in con.execute(sql).fetchall():
                    print("     ", row)
        print()
    finally:
        con.close()
    return 0
