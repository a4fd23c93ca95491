"""`portrait audience list` and `portrait audience show CODE`: what an audience is and who is
in it, read from the published file (read-only; no PII but masked contacts)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from portrait.activation.audiences import AudienceError, compile_sql, load, load_checked

CHANNEL_COLUMNS = ("sms", "email", "wechat", "push")


def _connect(db: Path) -> duckdb.DuckDBPyConnection:
    if not db.exists():
        raise SystemExit(f"portrait: no published file at {db} yet: run `portrait run` (or `make demo`) first")
    return duckdb.connect(str(db), read_only=True)


def audience_list(db: Path) -> list[dict]:
    """Every audience declared in the repo, with its size in `db` (None when the
    publication predates it: run `portrait run`)."""
    with _connect(db) as con:
        try:
            published = {r[0]: r[1:] for r in con.execute(
                "select audience_code, members, control_members, last_change_date from marts.dim_audience"
            ).fetchall()}
        except duckdb.CatalogException:
            published = {}
    out = []
    for code, audience in sorted(load().items()):
        members, control, changed = published.get(code, (None, None, None))
        out.append({"code": code, "name_zh": audience.name_zh, "name_en": audience.name_en,
                    "owner": audience.owner, "channels": list(audience.channels), "members": members,
                    "control_members": control, "last_change_date": str(changed) if changed else None})
    return out


def print_list(db: Path, as_json: bool) -> int:
    rows = audience_list(db)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    print(f"{'code':<34} {'members':>8} {'control':>8}  channels        name")
    for row in rows:
        members = "-" if row["members"] is None else row["members"]
        control = "-" if row["control_members"] is None else row["control_members"]
        print(f"{row['code']:<34} {members:>8} {control:>8}  {','.join(row['channels']):<15} "
              f"{row['name_zh']} / {row['name_en']}")
    if any(row["members"] is None for row in rows):
        print("\n(-: not in the published file yet; `portrait run` publishes it)")
    return 0


def show(db: Path, code: str) -> dict:
    """Definition, compiled SQL, size, consent breakdown per channel and ten members with
    masked contacts, computed live from the published marts with the audience compiler."""
    audiences = load()
    if code not in audiences:
        raise SystemExit(f"portrait: no audience {code!r}; `portrait audience list` shows them")
    audience = audiences[code]
    with _connect(db) as con:
        audiences, catalog = load_checked(con)
        sql = compile_sql(code, audiences, catalog)
        contactable = ", ".join(f"count(case when person.is_contactable_{c} then 1 end) as {c}"
                                for c in CHANNEL_COLUMNS)
        row = con.execute(f"select count(*), {contactable} from ({sql}) as members "
                          "inner join marts.dim_person as person on person.person_id = members.person_id"
                          ).fetchall()[0]
        examples = con.execute(f"select person.person_id, person.phone_masked, person.email_masked, person.city, "
                               "person.rfm_segment, person.lifecycle_segment from (" + sql + ") as members "
                               "inner join marts.dim_person as person on person.person_id = members.person_id "
                               "order by person.person_id limit 10").fetchall()
    return {
        "code": code, "name_zh": audience.name_zh, "name_en": audience.name_en, "owner": audience.owner,
        "description": audience.description, "definition": audience.definition(),
        "channels": list(audience.channels), "control_share": audience.control_share,
        "compiled_sql": sql, "members": row[0],
        "contactable": dict(zip(CHANNEL_COLUMNS, row[1:])),
        "examples": [dict(zip(("person_id", "phone_masked", "email_masked", "city", "rfm_segment",
                               "lifecycle_segment"), r)) for r in examples],
    }


def print_show(db: Path, code: str, as_json: bool) -> int:
    try:
        result = show(db, code)
    except AudienceError as exc:
        raise SystemExit(f"portrait: {exc}") from None
    if as_json:
        print(json.dumps(result, ensure_ascii=False, default=str))
        return 0
    print(f"{result['code']}: {result['name_zh']} / {result['name_en']}  (owner {result['owner']})")
    print(f"  {result['description']}")
    print(f"  definition: {result['definition']}")
    print(f"  channels: {', '.join(result['channels']) or '-'}; control share {result['control_share']:.0%}")
    print(f"  members now: {result['members']}; contactable by "
          + ", ".join(f"{c} {n}" for c, n in result["contactable"].items()))
    print("\ncompiled SQL (runs unchanged on the published file):\n")
    print(result["compiled_sql"])
    print("\nten members (masked):")
    for example in result["examples"]:
        print("  " + "  ".join(str(v) for v in example.values()))
    return 0


__all__ = ["audience_list", "show", "print_list", "print_show"]
