"""`portrait export AUDIENCE --channel C [--delta] [--out DIR]`: an audience's members as the
file a channel's vendor or ad platform takes, consent-safe, with a ledger of every export.

Who is in a file (docs/activation.md, "Exports"): the audience's current members
(`marts.fct_audience_members` of the private warehouse) who are not in its control group,
are contactable on the channel (consent of the last build, `int_privacy__consent`), and
have the channel's identifier. Opt-outs and erasure requests that landed in the raw zone
after the last build are applied too (consent is checked at export time). Placeholders
never reach a file: the identity graph holds none.

Identifiers, one row per person, by a documented rule: `sms` the person's phone seen
most recently (E.164); `email` the address seen most recently; `wechat` the openid of the
official account the person is subscribed to, updated most recently; ad files the most
recent phone's and e-mail's hashes by the platform's convention
(`portrait.activation.hashing`), each only where the person's consent for that contact
point stands (sms for the phone, email for the e-mail): a marketing opt-out removes its
hash too. `ad_tencent` carries no e-mail hash.

The ledger (`<PORTRAIT_EXPORT_DIR>/ledger.duckdb`, outside the warehouse files `portrait
run` swaps) is append-only: `exports` (no PII; published as `marts.audit_exports`) and
`export_members` (export, person, control flag and a keyed hash of the exported
identifiers). That hash uses the ledger's own key (`.ledger_key` beside it), not the
warehouse's hash key, so `--delta` (who entered and who left since the last export of the
audience to the channel, compared on the exported identifiers) shows no false exits after
a OneID merge (same phone, new person id) or a rotation of the warehouse's key.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb

from portrait import paths
from portrait.faults import fault_point
from portrait.activation import hashing
from portrait.identity.canonical import canonical

LEDGER = "ledger.duckdb"
LEDGER_KEY = ".ledger_key"
SETTINGS = paths.PROJECT_DIR / "models" / "activation" / "_activation.yml"


def settings() -> dict:
    """The export settings (models/activation/_activation.yml)."""
    import yaml

    return (yaml.safe_load(SETTINGS.read_text()) or {}).get("activation") or {}


@dataclass(frozen=True)
class Channel:
    name: str
    consent: tuple[str, ...]     # consent channels (int_privacy__consent) any of which admits the person
    columns: tuple[str, ...]     # the file's identifier columns


CHANNELS = {
    "sms": Channel("sms", ("sms",), ("phone_e164",)),
    "email": Channel("email", ("email",), ("email",)),
    "wechat": Channel("wechat", ("wechat",), ("openid",)),
    "ad_meta": Channel("ad_meta", ("ads",), ("phone_sha256", "email_sha256")),
    "ad_google": Channel("ad_google", ("ads",), ("phone_sha256", "email_sha256")),
    "ad_tencent": Channel("ad_tencent", ("ads",), ("phone_md5",)),
}
# Which channels an opt-out of an identifier type blocks (mirrors consent_channels() in
# macros/privacy/consent.sql; ads follow the contact point).
OPT_OUT_BLOCKS = {
    "phone": {"sms", "ad_meta", "ad_google", "ad_tencent"},
    "email": {"email", "ad_meta", "ad_google"},
    "openid": {"wechat"}, "unionid": {"wechat"},
    "member_id": set(CHANNELS), "card_no": set(CHANNELS),
}


class ExportFailed(Exception):
    """The export cannot be made; the message says why."""


def _owner_only_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def ledger_key(root: Path) -> str:
    """The ledger's own secret (created once, owner-only)."""
    path = root / LEDGER_KEY
    if not path.exists():
        _owner_only_dir(root)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def open_ledger(root: Path) -> duckdb.DuckDBPyConnection:
    _owner_only_dir(root)
    path = root / LEDGER
    fresh = not path.exists()
    con = duckdb.connect(str(path))
    if fresh:
        os.chmod(path, 0o600)
    con.execute("""create table if not exists exports (
        export_id varchar primary key, audience_code varchar, channel varchar, kind varchar,
        rows bigint, exited_rows bigint, control_rows bigint, file varchar, sha256 varchar,
        file_format varchar, as_of_date date, run_id varchar, created_at timestamp)""")
    con.execute("""create table if not exists export_members (
        export_id varchar, person_id varchar, identifier_hash varchar, is_control boolean, in_file boolean)""")
    con.execute("""create table if not exists export_erasures (
        export_id varchar, erasure_request_id varchar, persons bigint, file_deleted boolean, erased_at timestamp)""")
    return con


def erase_from_exports(root: Path, erased: dict[str, str]) -> list[dict]:
    """Deletes the export files (and manifests) that hold any of the `erased` persons
    (person id -> erasure request id), records which exports held them
    (`export_erasures`, published as `marts.audit_export_erasures`) and removes their rows
    from `export_members`. The data controller tells each export's recipient. Returns what
    was done, one entry per export and request."""
    if not erased or not (root / LEDGER).exists():
        return []
    ledger = open_ledger(root)
    try:
        held = ledger.execute(
            "select members.export_id, exports.file, members.person_id from export_members as members "
            "inner join exports on exports.export_id = members.export_id "
            "where members.person_id in (select unnest(?))", [sorted(erased)]).fetchall()
        if not held:
            return []
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        by_export: dict[tuple[str, str], set[str]] = {}
        files = {}
        for export_id, file, person_id in held:
            by_export.setdefault((export_id, erased[person_id]), set()).add(person_id)
            files[export_id] = Path(file)
        done: list[dict] = []
        for export_id, file in files.items():
            for path in (file, file.with_name(file.name.rsplit(".", 1)[0] + ".manifest.json")):
                path.unlink(missing_ok=True)
        ledger.execute("begin")
        for (export_id, request_id), persons in sorted(by_export.items()):
            ledger.execute("insert into export_erasures values (?, ?, ?, true, ?)",
                           [export_id, request_id, len(persons), now])
            done.append({"export_id": export_id, "erasure_request_id": request_id, "persons": len(persons),
                         "file_deleted": True})
        ledger.execute("delete from export_members where person_id in (select unnest(?))", [sorted(erased)])
        ledger.execute("commit")
    finally:
        ledger.close()
    _compact_ledger(root / LEDGER)
    return done


def follow_merges(root: Path, warehouse: Path) -> int:
    """Moves `export_members` rows of person ids that a OneID merge retired to the surviving
    id (`intermediate.int_identity__former_person_ids` of `warehouse`), so the frequency cap
    and the campaign-feedback loop count the merged person once. Deltas do not need it:
    they compare identifier hashes. Returns the rows moved."""
    if not (root / LEDGER).exists():
        return 0
    ledger = open_ledger(root)
    try:
        ids = [r[0] for r in ledger.execute("select distinct person_id from export_members").fetchall()]
        if not ids:
            return 0
        with duckdb.connect(str(warehouse), read_only=True) as con:
            try:
                merges = con.execute("select former_person_id, person_id from intermediate.int_identity__former_person_ids "
                                     "where former_person_id in (select unnest(?))", [ids]).fetchall()
            except duckdb.CatalogException:
                return 0
        if not merges:
            return 0
        ledger.execute("begin")
        moved = 0
        for former, survivor in merges:
            moved += ledger.execute("update export_members set person_id = ? where person_id = ?",
                                    [survivor, former]).fetchall()[0][0]
        ledger.execute("commit")
        return moved
    finally:
        ledger.close()


def _compact_ledger(path: Path) -> None:
    """Rewrite the ledger into a fresh file: deleted rows stay in a DuckDB file's freed blocks
    until reused, and an erased person's id must not."""
    fresh = path.with_name(path.name + ".compact")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect()
    previous_umask = os.umask(0o077)
    try:
        con.execute(f"attach '{path}' as source_db (read_only)")
        con.execute(f"attach '{fresh}' as fresh_db")
        con.execute("copy from database source_db to fresh_db")
        con.execute("detach fresh_db")
        con.execute("detach source_db")
    finally:
        con.close()
        os.umask(previous_umask)
    os.chmod(fresh, 0o600)
    os.replace(fresh, path)


def _pending_requests(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> list[tuple[str, str, str]]:
    """(request type, identifier type, canonical identifier) of the opt-outs and erasures in
    the landing zone that the last build has not read (their request ids are not staged)."""
    import pyarrow.parquet as pq

    folder = raw_dir / "privacy_requests"
    if not folder.is_dir():
        return []
    known = {r[0] for r in con.execute("select request_id from staging.stg_privacy__requests").fetchall()}
    quarantined = {r[0] for r in con.execute(
        "select request_id from staging.base_privacy__requests where request_id is not null").fetchall()}
    pending = []
    for path in sorted(folder.glob("*.parquet")):
        table = pq.read_table(path, columns=["request_id", "identifier_type", "identifier", "request_type"])
        for row in table.to_pylist():
            request_id = (row["request_id"] or "").strip()
            kind = (row["request_type"] or "").strip().lower()
            if request_id in known or request_id in quarantined or kind not in ("marketing_opt_out", "erasure"):
                continue
            identifier_type = (row["identifier_type"] or "").strip().lower()
            try:
                value = canonical(identifier_type, None if row["identifier"] is None else str(row["identifier"]))
            except ValueError:
                continue
            if value:
                pending.append((kind, identifier_type, value))
    return pending


def _members_sql(audience: str, channel: Channel) -> str:
    """The query of the export's persons (file rows and control rows) in the private file."""
    consent = " or ".join(f"consent_{c}.is_contactable" for c in channel.consent)
    joins = "\n".join(
        f"left join intermediate.int_privacy__consent as consent_{c} "
        f"on consent_{c}.person_id = members.person_id and consent_{c}.channel = '{c}'"
        for c in ("sms", "email", "wechat", "ads"))
    return f"""
        with members as (
            select person_id, is_control from marts.fct_audience_members where audience_code = $audience
        ),
        {CHOSEN_IDENTIFIERS}
        select
            members.person_id,
            members.is_control,
            coalesce({consent}, false) as is_contactable,
            case when coalesce(consent_sms.is_contactable, false) then phones.phone end as phone,
            case when coalesce(consent_email.is_contactable, false) then emails.email end as email,
            case when coalesce(consent_wechat.is_contactable, false) then openids.openid end as openid
        from members
        {joins}
        left join phones on phones.person_id = members.person_id
        left join emails on emails.person_id = members.person_id
        left join openids on openids.person_id = members.person_id
        order by members.person_id
    """


# The identifier each channel exports per person (the rule of the module docstring).
CHOSEN_IDENTIFIERS = """
        phones as (
            select person_id, identifier_value as phone from intermediate.int_identity__person_map
            where identifier_type = 'phone'
            qualify row_number() over (partition by person_id order by last_seen_at desc nulls last,
                                                                     identifier_value) = 1
        ),
        emails as (
            select person_id, identifier_value as email from intermediate.int_identity__person_map
            where identifier_type = 'email'
            qualify row_number() over (partition by person_id order by last_seen_at desc nulls last,
                                                                     identifier_value) = 1
        ),
        openids as (
            select map.person_id, map.identifier_value as openid
            from intermediate.int_identity__person_map as map
            inner join staging.stg_wechat__users as wechat
                on wechat.openid = map.identifier_value and wechat.is_subscribed
            where map.identifier_type = 'openid'
            qualify row_number() over (partition by map.person_id order by wechat.updated_at desc nulls last,
                                                                          map.identifier_value) = 1
        )
"""


def _identifiers(channel: str, phone: str | None, email: str | None, openid: str | None) -> dict | None:
    """The file's identifier columns for one person, or None when the channel has none."""
    if channel == "sms":
        return {"phone_e164": hashing.e164(phone)} if phone else None
    if channel == "email":
        return {"email": email} if email else None
    if channel == "wechat":
        return {"openid": openid} if openid else None
    if channel == "ad_meta":
        row = {"phone_sha256": hashing.meta_phone(phone) if phone else "",
               "email_sha256": hashing.meta_email(email) if email else ""}
    elif channel == "ad_google":
        row = {"phone_sha256": hashing.google_phone(phone) if phone else "",
               "email_sha256": hashing.google_email(email) if email else ""}
    else:
        row = {"phone_md5": hashing.tencent_phone(phone) if phone else ""}
    return row if any(row.values()) else None


def _ledger_hash(key: str, channel: str, identifiers: dict) -> str:
    text = key + ":" + channel + ":" + "|".join(identifiers[c] for c in sorted(identifiers))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def export(audience: str, channel_name: str, delta: bool = False, out: Path | None = None,
           file_format: str = "csv") -> dict:
    """Write one export and its manifest; record it in the ledger; return the manifest."""
    if channel_name not in CHANNELS:
        raise ExportFailed(f"unknown channel {channel_name!r} (channels: {', '.join(CHANNELS)})")
    if file_format not in ("csv", "parquet"):
        raise ExportFailed(f"unknown format {file_format!r} (csv or parquet)")
    channel = CHANNELS[channel_name]
    private = paths.warehouse_path()
    if not private.exists():
        raise ExportFailed(f"no private warehouse at {private}: run `portrait run` first")
    root = paths.export_dir()
    con = duckdb.connect(str(private), read_only=True)
    try:
        known = {r[0] for r in con.execute("select distinct audience_code from marts.dim_audience").fetchall()}
        if audience not in known:
            raise ExportFailed(f"no audience {audience!r} in {private} (`portrait audience list` shows them)")
        rows = con.execute(_members_sql(audience, channel), {"audience": audience}).fetchall()
        as_of = con.execute("select max(as_of_date) from intermediate.int_profile__as_of_date").fetchall()[0][0]
        pending = _pending_requests(con, paths.raw_dir())
        blocked_persons: set[str] = set()
        if pending:
            map_rows = con.execute(
                "select identifier_type, identifier_value, person_id from intermediate.int_identity__person_map "
                "where (identifier_type, identifier_value) in (select unnest($types), unnest($values))",
                {"types": [p[1] for p in pending], "values": [p[2] for p in pending]}).fetchall()
            owners = {(t, v): p for t, v, p in map_rows}
            for kind, identifier_type, value in pending:
                person = owners.get((identifier_type, value))
                if person and (kind == "erasure" or channel_name in OPT_OUT_BLOCKS.get(identifier_type, set())):
                    blocked_persons.add(person)
        excluded_persons = _excluded_persons(con, root, settings())
    finally:
        con.close()

    key = ledger_key(root)
    created = dt.datetime.now(dt.timezone.utc)
    export_id = f"{created.strftime('%Y%m%dT%H%M%S%fZ')}-{audience}-{channel_name}"
    cap = (settings().get("frequency_cap_per_week") or {}).get(channel_name)
    capped_persons = _reached_this_week(root, channel_name, created, cap) if cap else set()
    included: list[tuple[str, dict, str]] = []   # person, identifier columns, ledger hash
    held_back: list[tuple[str, dict, str]] = []  # capped this week: still members, not in this file
    control: list[str] = []
    excluded = 0
    for person_id, is_control, is_contactable, phone, email, openid in rows:
        if is_control:
            control.append(person_id)
            continue
        if not is_contactable or person_id in blocked_persons:
            continue
        if person_id in excluded_persons:
            excluded += 1
            continue
        identifiers = _identifiers(channel_name, phone, email, openid)
        if identifiers:
            entry = (person_id, identifiers, _ledger_hash(key, channel_name, identifiers))
            (held_back if person_id in capped_persons else included).append(entry)
    capped = len(held_back)

    ledger = open_ledger(root)
    try:
        previous = ledger.execute(
            "select export_id from exports where audience_code = ? and channel = ? order by created_at desc limit 1",
            [audience, channel_name]).fetchall()
        kind = "delta" if delta and previous else "full"
        file_rows: list[dict] = []
        exited_rows = 0
        in_file = {p for p, _, _ in included}
        if kind == "delta":
            before = {r[0] for r in ledger.execute(
                "select identifier_hash from export_members where export_id = ? and not is_control",
                [previous[0][0]]).fetchall()}
            # a person held back by the cap is still a member: neither entered nor exited
            now = {h for _, _, h in included} | {h for _, _, h in held_back}
            in_file = set()
            for person_id, identifiers, digest in included:
                if digest not in before:
                    file_rows.append({**identifiers, "change": "entered"})
                    in_file.add(person_id)
            exited = before - now
            exited_rows = len(exited)
            # Who left: their identifiers as exported, where the warehouse still knows them.
            for identifiers in _exited_identifiers(channel_name, key, exited):
                file_rows.append({**identifiers, "change": "exited"})
        else:
            file_rows = [identifiers for _, identifiers, _ in included]

        folder = out or (root / audience / channel_name)
        _owner_only_dir(folder)
        _settle_partials(folder, ledger)
        stem = f"{audience}__{channel_name}__{kind}__{created.strftime('%Y%m%dT%H%M%SZ')}"
        target = folder / f"{stem}.{file_format}"
        columns = list(channel.columns) + (["change"] if kind == "delta" else [])
        # Written under a `.partial` name, recorded in the ledger, then renamed into place:
        # a vendor's pickup never sees a file the ledger does not know (whose persons the
        # next delta would send again), and the ledger never records a file that is lost.
        _write_rows(_partial(target), columns, file_rows, file_format)
        digest = hashlib.sha256(_partial(target).read_bytes()).hexdigest()
        manifest = {
            "export_id": export_id, "audience": audience, "channel": channel_name, "kind": kind,
            "rows": sum(1 for r in file_rows if r.get("change", "entered") == "entered"),
            "exited_rows": exited_rows, "control_rows": len(control), "file": target.name, "sha256": digest,
            "format": file_format, "columns": columns, "as_of_date": str(as_of), "run_id": _published_run_id(),
            "created_at": created.isoformat(timespec="seconds"),
            "excluded_by_pending_requests": len(blocked_persons),
            "excluded_rows": excluded, "capped_rows": capped, "frequency_cap_per_week": cap,
        }
        manifest_path = folder / f"{stem}.manifest.json"
        _partial(manifest_path).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        os.chmod(_partial(manifest_path), 0o600)
        fault_point("export-before-ledger")
        ledger.execute("begin")
        ledger.execute("insert into exports values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [export_id, audience, channel_name, kind, manifest["rows"], exited_rows, len(control),
                        str(target), digest, file_format, as_of, manifest["run_id"], created.replace(tzinfo=None)])
        ledger.executemany("insert into export_members values (?, ?, ?, ?, ?)",
                           [[export_id, p, h, False, p in in_file] for p, _, h in included + held_back]
                           + [[export_id, p, None, True, False] for p in control])
        ledger.execute("commit")
        fault_point("export-before-rename")
        os.replace(_partial(target), target)
        os.replace(_partial(manifest_path), manifest_path)
    finally:
        ledger.close()
    return manifest


PARTIAL = ".partial"


def _partial(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL)


def _settle_partials(folder: Path, ledger: duckdb.DuckDBPyConnection) -> None:
    """Finish what an export killed midway left in `folder`: a `.partial` file the ledger
    records is renamed into place (the ledger counts its persons as sent), one it does not
    record is deleted (its persons go in the next file)."""
    partials = sorted(folder.glob(f"*{PARTIAL}"))
    if not partials:
        return
    recorded = {Path(r[0]).name for r in ledger.execute("select file from exports").fetchall()}
    stems = {name.rsplit(".", 1)[0] for name in recorded}
    for partial in partials:
        final = partial.with_name(partial.name.removesuffix(PARTIAL))
        name = final.name
        stem = name.removesuffix(".manifest.json") if name.endswith(".manifest.json") else name.rsplit(".", 1)[0]
        if stem in stems:
            os.replace(partial, final)
        else:
            partial.unlink()


def _excluded_persons(con: duckdb.DuckDBPyConnection, root: Path, config: dict) -> set[str]:
    """Persons in no export: those carrying an excluded tag, and those holding an identifier
    of the exclusion list (`<PORTRAIT_EXPORT_DIR>/<exclusion_file>`: identifier_type,
    identifier, reason; an unknown type or unparseable value is an error naming the line)."""
    persons: set[str] = set()
    tags = list(config.get("exclude_tags") or [])
    if tags:
        persons |= {r[0] for r in con.execute(
            "select distinct person_id from marts.fct_person_tags where tag_code in (select unnest(?))",
            [tags]).fetchall()}
    path = root / (config.get("exclusion_file") or "exclusions.csv")
    if path.exists():
        wanted = []
        with open(path, newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    value = canonical((row.get("identifier_type") or "").strip().lower(), row.get("identifier"))
                except ValueError as exc:
                    raise ExportFailed(f"{path}, line {number}: {exc}") from None
                if value is None:
                    raise ExportFailed(f"{path}, line {number}: {row.get('identifier_type')} value is not valid")
                wanted.append((row["identifier_type"].strip().lower(), value))
        if wanted:
            persons |= {r[0] for r in con.execute(
                "select person_id from intermediate.int_identity__person_map "
                "where (identifier_type, identifier_value) in (select unnest($types), unnest($values))",
                {"types": [t for t, _ in wanted], "values": [v for _, v in wanted]}).fetchall()}
    return persons


def _reached_this_week(root: Path, channel: str, now: dt.datetime, cap: int) -> set[str]:
    """Persons whose rows were in at least `cap` files of `channel` in the 7 days before now."""
    if not (root / LEDGER).exists():
        return set()
    ledger = open_ledger(root)
    try:
        return {r[0] for r in ledger.execute(
            "select members.person_id from export_members as members "
            "inner join exports on exports.export_id = members.export_id "
            "where exports.channel = ? and exports.created_at > ? and members.in_file "
            "group by members.person_id having count(*) >= ?",
            [channel, (now - dt.timedelta(days=7)).replace(tzinfo=None), cap]).fetchall()}
    finally:
        ledger.close()


def _exited_identifiers(channel: str, key: str, exited: set[str]) -> list[dict]:
    """The identifier columns of the exited ledger hashes that a current person still holds
    (a person who left the audience); an erased person's are gone, so only counted."""
    if not exited:
        return []
    con = duckdb.connect(str(paths.warehouse_path()), read_only=True)
    try:
        rows = con.execute(f"""
            with {CHOSEN_IDENTIFIERS}
            select persons.person_id, phones.phone, emails.email, openids.openid
            from (select distinct person_id from intermediate.int_identity__person_map) as persons
            left join phones on phones.person_id = persons.person_id
            left join emails on emails.person_id = persons.person_id
            left join openids on openids.person_id = persons.person_id""").fetchall()
    finally:
        con.close()
    found = []
    for _, phone, email, openid in rows:
        # every contact point as it would be exported, alone and together (an ad row may
        # have carried only the phone or only the e-mail hash)
        for candidate in {(phone, email), (phone, None), (None, email)}:
            identifiers = _identifiers(channel, candidate[0], candidate[1], openid)
            if identifiers and _ledger_hash(key, channel, identifiers) in exited:
                found.append(identifiers)
                break
    return found


def _write_rows(target: Path, columns: list[str], rows: list[dict], file_format: str) -> None:
    previous_umask = os.umask(0o077)
    try:
        if file_format == "csv":
            with open(target, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({c: [r.get(c) for r in rows] for c in columns}), target)
    finally:
        os.umask(previous_umask)
    os.chmod(target, 0o600)


def _published_run_id() -> str | None:
    from portrait.publish import PUBLICATION_TABLE, read_publication

    rows = read_publication(paths.publish_path(), f"select max(run_id) from pub.{{schema}}.{PUBLICATION_TABLE}")
    return rows[0][0] if rows else None


__all__ = ["export", "erase_from_exports", "follow_merges", "ExportFailed", "CHANNELS", "open_ledger", "ledger_key"]
