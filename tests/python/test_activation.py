"""Audiences as code: the compiler's errors, the control draw, the metrics mart's docs, and
the published audiences of the tiny build (members equal hand-written SQL; the membership
history's state equals the members; the CLI)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import textwrap
from pathlib import Path

import duckdb
import pytest

from portrait.activation import metrics_docs
from portrait.activation.audiences import (AUDIENCE_DIR, AudienceError, Catalog, compile_sql, control_sql,
                                           is_control, load, validate)
from warehouse_fixtures import Nightly, portrait


# ----------------------------------------------------------------------------- compile errors
def write(folder: Path, text: str, name: str = "a.yml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text))
    return folder


AUDIENCE = """\
  - code: {code}
    name_zh: 测试
    name_en: Test
    owner: tests
    description: A test audience.
"""


def one(code: str, extra: str = "    include:\n      - {tag: buyer}\n") -> str:
    return AUDIENCE.format(code=code) + extra


CATALOG = Catalog(columns={"person_id": ("person", "VARCHAR"), "churn_probability": ("person", "DOUBLE"),
                           "is_contactable_sms": ("person", "BOOLEAN"), "rfm_segment": ("person", "VARCHAR"),
                           "cart_adds_7d": ("metrics", "BIGINT")},
                  tags={"buyer", "cart_abandoner_30d"}, segments={"rfm": {"champions", "loyal"}})


@pytest.mark.parametrize("files, problem", [
    ({"a.yml": "audiences:\n" + one("dup_code") + one("dup_code")}, "audience dup_code (*a.yml): duplicate code"),
    ({"a.yml": "audiences:\n" + one("old_code"), "_retired_codes.yml": "retired: [{code: old_code}]"},
     "audience old_code (*a.yml): the code is retired"),
    ({"a.yml": "audiences:\n" + one("aa_one", "    extends: bb_two\n") + one("bb_two", "    extends: aa_one\n")},
     "extends cycle: aa_one -> bb_two -> aa_one"),
    ({"a.yml": "audiences:\n" + one("aa_one", "    extends: nowhere\n")}, "extends unknown audience 'nowhere'"),
    ({"a.yml": "audiences:\n" + one("bad_op", "    include:\n      - {column: churn_probability, op: '~', value: 1}\n")},
     "unknown operator '~'"),
    ({"a.yml": "audiences:\n" + one("no_rule", "")}, "needs at least one include predicate"),
    ({"a.yml": "audiences:\n" + one("Bad Code")}, "code must match"),
])
def test_a_malformed_audience_file_fails_naming_the_audience_and_the_problem(
        tmp_path: Path, files: dict[str, str], problem: str) -> None:
    for name, text in files.items():
        write(tmp_path, text, name)
    with pytest.raises(AudienceError) as raised:
        load(tmp_path)
    head, star, tail = problem.partition("*")  # `*`: the file's folder
    if star:
        assert str(raised.value).startswith(head) and tail in str(raised.value), str(raised.value)
    else:
        assert problem in str(raised.value), str(raised.value)


@pytest.mark.parametrize("extra, problem", [
    ("    lookalike: {seed: nowhere, size: 10}\n", "lookalike of unknown audience 'nowhere'"),
    ("    lookalike: {seed: base_one, size: 10}\n    include:\n      - {tag: buyer}\n",
     "takes no include, exclude, extends or cap"),
    ("    lookalike: {seed: base_one}\n", "lookalike needs seed"),
])
def test_a_malformed_lookalike_fails_the_compile(tmp_path: Path, extra: str, problem: str) -> None:
    write(tmp_path, "audiences:\n" + one("base_one") + one("look_one", extra))
    with pytest.raises(AudienceError, match=problem):
        load(tmp_path)


@pytest.mark.parametrize("predicate, problem", [
    ("{column: churn_probabilty, op: '>', value: 0.5}", "unknown column 'churn_probabilty'"),
    ("{tag: no_such_tag}", "unknown tag 'no_such_tag'"),
    ("{segment: rfm, op: in, value: [champion]}", r"unknown rfm segment\(s\) \['champion'\]"),
    ("{segment: colour, op: in, value: [red]}", "unknown segment scheme 'colour'"),
    ("{column: churn_probability, op: is_true}", "is_true needs a boolean column"),
])
def test_a_name_the_warehouse_does_not_publish_fails_the_compile(tmp_path: Path, predicate: str, problem: str) -> None:
    write(tmp_path, "audiences:\n" + one("some_audience", f"    include:\n      - {predicate}\n"))
    with pytest.raises(AudienceError, match=f"audience some_audience .*{problem}"):
        validate(load(tmp_path), CATALOG)


def test_the_compiled_sql_applies_includes_excludes_extends_and_the_cap(tmp_path: Path) -> None:
    write(tmp_path, "audiences:\n" + one("base_one", "    include:\n      - {tag: buyer}\n") + one(
        "narrow_one", """\
    extends: base_one
    include:
      - {column: cart_adds_7d, op: '>=', value: 3}
    exclude:
      - {column: is_contactable_sms, op: is_false}
    cap: {size: 2, order_by: churn_probability, direction: desc}
"""))
    audiences = load(tmp_path)
    validate(audiences, CATALOG)
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("""create table marts.dim_person as select * from (values
        ('p1', 0.9, true, 'loyal'), ('p2', 0.8, null, 'loyal'), ('p3', 0.7, false, 'loyal'),
        ('p4', 0.95, true, 'loyal'), ('p5', 0.1, true, 'loyal'), ('p6', null, true, 'loyal'))
        as t(person_id, churn_probability, is_contactable_sms, rfm_segment)""")
    con.execute("""create table marts.fct_person_metrics as select * from (values
        ('p1', 3), ('p2', 5), ('p3', 9), ('p4', 1), ('p5', 4), ('p6', 7)) as t(person_id, cart_adds_7d)""")
    con.execute("""create table marts.fct_person_tags as select * from (values
        ('p1', 'buyer', 'true'), ('p2', 'buyer', 'true'), ('p3', 'buyer', 'true'), ('p4', 'buyer', 'true'),
        ('p5', 'buyer', 'true')) as t(person_id, tag_code, tag_value)""")
    members = [r[0] for r in con.execute(compile_sql("narrow_one", audiences, CATALOG)).fetchall()]
    # buyers (p1-p5) with >= 3 cart adds (p1, p2, p3, p5), not explicitly unreachable by SMS
    # (p3 out; p2's NULL does not exclude), the 2 with the highest churn probability
    assert members == ["p1", "p2"]


def test_the_control_draw_is_the_same_in_sql_and_python() -> None:
    con = duckdb.connect()
    ids = [f"p_{i:05d}" for i in range(2000)]
    flags = dict(con.execute(f"select person_id, {control_sql(repr('aud'), 'person_id', '0.1')} "
                             "from (select unnest(?) as person_id)", [ids]).fetchall())
    assert flags == {i: is_control("aud", i, 0.1) for i in ids}
    assert 150 < sum(flags.values()) < 250  # about a tenth


def test_the_shipped_audiences_load() -> None:
    audiences = load(AUDIENCE_DIR)
    assert len(audiences) >= 8
    assert all(a.channels for a in audiences.values())


def test_the_metrics_mart_docs_are_generated_from_the_private_model() -> None:
    assert metrics_docs.TARGET.read_text() == metrics_docs.render(), \
        "run `python -m portrait.activation.metrics_docs`"


# ----------------------------------------------------------------------------- the tiny publication
@pytest.fixture(scope="module")
def published(tiny_nightly: Nightly) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tiny_nightly.publish), read_only=True)
    yield con
    con.close()


HAND_WRITTEN = {
    "cart_abandoners_sms": """
        select person_id from marts.dim_person where is_contactable_sms and person_id in (
            select person_id from marts.fct_person_tags where tag_code = 'cart_abandoner_30d')""",
    "engaged_prospects": """
        select person_id from marts.fct_person_tags where tag_code = 'engaged_prospect_30d'
        except select person_id from marts.fct_person_tags where tag_code = 'buyer'""",
    "win_back_high_value": """
        select person_id from marts.dim_person
        where value_tier_segment in ('vip', 'high', 'medium') and lifecycle_segment in ('silent', 'churn_warning')
          and person_id not in (select person_id from marts.fct_person_tags where tag_code = 'complainer_365d')""",
    "store_buyers_to_online": """
        select person_id from marts.fct_person_tags where tag_code = 'store_buyer_90d'
        except select person_id from marts.fct_person_tags where tag_code = 'online_buyer_90d'""",
}


@pytest.mark.parametrize("code", sorted(HAND_WRITTEN))
def test_published_members_equal_hand_written_sql(published: duckdb.DuckDBPyConnection, code: str) -> None:
    members = {r[0] for r in published.execute(
        "select person_id from marts.fct_audience_members where audience_code = ?", [code]).fetchall()}
    expected = {r[0] for r in published.execute(HAND_WRITTEN[code]).fetchall()}
    assert members == expected and members, (code, len(members), len(expected))


def test_dim_audience_counts_members_control_and_reach(published: duckdb.DuckDBPyConnection) -> None:
    rows = published.execute("""
        select a.audience_code, a.members, a.control_members, a.contactable_sms_members,
               count(m.person_id), count(case when m.is_control then 1 end),
               count(case when not m.is_control and p.is_contactable_sms then 1 end)
        from marts.dim_audience as a
        left join marts.fct_audience_members as m on m.audience_code = a.audience_code
        left join marts.dim_person as p on p.person_id = m.person_id
        group by all""").fetchall()
    assert len(rows) == len(load(AUDIENCE_DIR))
    for code, members, control, sms, counted, counted_control, counted_sms in rows:
        assert (members, control, sms) == (counted, counted_control, counted_sms), code
    controls = dict(published.execute("select audience_code, control_share from marts.dim_audience").fetchall())
    for code, is_ctrl, person_id in published.execute(
            "select audience_code, is_control, person_id from marts.fct_audience_members").fetchall():
        assert is_ctrl == is_control(code, person_id, controls[code])


def test_the_membership_history_leads_to_the_current_members(published: duckdb.DuckDBPyConnection) -> None:
    current = set(published.execute("select audience_code, person_id from marts.fct_audience_members").fetchall())
    state = set(published.execute("""
        select audience_code, person_id from marts.fct_audience_membership_changes
        qualify row_number() over (partition by audience_code, person_id order by recorded_at desc) = 1
            and change = 'entered'""").fetchall())
    assert state == current and current


def test_audience_list_and_show_read_the_publication(tiny_nightly: Nightly, published) -> None:
    result = portrait(["audience", "list", "--json"], tiny_nightly.env)
    assert result.returncode == 0, result.stderr
    listed = {row["code"]: row["members"] for row in json.loads(result.stdout)}
    assert listed == dict(published.execute("select audience_code, members from marts.dim_audience").fetchall())
    shown = portrait(["audience", "show", "cart_abandoners_sms", "--json"], tiny_nightly.env)
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert detail["members"] == listed["cart_abandoners_sms"]
    assert detail["contactable"]["sms"] == detail["members"]  # the audience requires SMS consent
    assert len(detail["examples"]) == min(10, detail["members"])
    assert all("****" in (e["phone_masked"] or "****") for e in detail["examples"])
    assert published.execute(detail["compiled_sql"]).fetchall()  # runs unchanged on the published file


def test_published_trigger_firings_respect_their_cool_downs(published: duckdb.DuckDBPyConnection) -> None:
    cooldowns = dict(published.execute("select trigger_code, cooldown_days from marts.dim_trigger").fetchall())
    assert {"browse_without_buying", "cart_abandoned", "vip_silent_30d", "first_order_follow_up",
            "birthday_month"} <= set(cooldowns)
    gaps = published.execute("""
        select trigger_code, min(gap) from (
            select trigger_code, fired_date - lag(fired_date) over (
                partition by trigger_code, person_id order by fired_date) as gap
            from marts.fct_trigger_firings) as gaps
        where gap is not null group by trigger_code""").fetchall()
    for code, smallest in gaps:
        assert smallest >= max(cooldowns[code], 1), code
    # first-purchase follow-up: exactly once per buyer, 7 days after the first purchase
    follow_ups = published.execute("""
        select count(*) from marts.fct_trigger_firings where trigger_code = 'first_order_follow_up'""").fetchall()[0][0]
    expected = published.execute("""
        select count(*) from (
            select person_id, min(order_date) as first_date from marts.fct_orders
            where person_id is not null and is_purchase group by person_id) as firsts
        where first_date + 7 <= (select max(as_of_date) from marts.fct_trigger_firings)""").fetchall()[0][0]
    assert follow_ups == expected > 0


# ----------------------------------------------------------------------------- exports
# Known answers typed from the platforms' published examples, never recomputed with this code.
# Meta: "Customer Information Parameters" (Conversions API), the `em` and `ph` examples.
# Google publishes its normalisation (E.164 with `+`; dots before @gmail.com removed) but no
# hash output: its e-mail rule is checked through the normalised address, whose SHA-256 is
# TikTok Ads' published example ("List of supported IDs and formats for a customer file").
# Tencent publishes the rule (MD5 of the 11-digit mobile, lowercase hex) without a worked
# example: the digest is checked against RFC 1321's test suite and the input rule by hand.
def test_ad_platform_hash_conventions_match_published_examples() -> None:
    from portrait.activation import hashing

    # Meta: "(650)555-1212" normalised to 16505551212; "John_Smith@gmail.com" to john_smith@gmail.com
    assert hashing.meta_phone("6505551212", country_code="1") == \
        "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"
    assert hashing.meta_email(" John_Smith@gmail.com ") == \
        "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
    # Google: the documented forms (the Google Ads API team's examples: +12125650000)
    assert hashing.e164("2125650000", country_code="1") == "+12125650000"
    assert hashing.e164("13912341111") == "+8613912341111"
    assert hashing.google_email_normalised(" Jane.Doe@Gmail.com ") == "janedoe@gmail.com"
    assert hashing.google_email(" Jane.Doe@Gmail.com ") == \
        "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"
    assert hashing.google_email_normalised("Jane.Doe@example.com") == "jane.doe@example.com"  # only Gmail loses dots
    assert hashing.google_phone("2125650000", country_code="1") == hashing.sha256_hex("+12125650000")
    # FIPS 180-2's "abc" vector: the SHA-256 under every platform's hash is the standard one
    assert hashing.sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    # Tencent: MD5 (RFC 1321's digits vector), of the 11-digit mobile with no country code
    assert hashing.hashlib.md5(("1234567890" * 8).encode()).hexdigest() == "57edf4a22be3c955ac49da2e2107b67a"
    assert hashing.tencent_phone("13912341111") == hashing.hashlib.md5(b"13912341111").hexdigest()


@pytest.fixture
def exporting(tiny_nightly: Nightly, tmp_path: Path):
    """The tiny warehouse with an export folder of the test's own (its ledger, its
    frequency cap) and a copy of its raw files (an opt-out planted after the build must be
    honoured at export time)."""
    raw = tmp_path / "raw"
    shutil.copytree(tiny_nightly.env["PORTRAIT_RAW_DIR"], raw)
    env = {**tiny_nightly.env, "PORTRAIT_RAW_DIR": str(raw), "PORTRAIT_EXPORT_DIR": str(tmp_path / "exports")}
    return env, raw, tmp_path / "exports"


def _export(env: dict, *args: str) -> dict:
    result = portrait(["export", *args, "--json"], env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def _rows(folder: Path, manifest: dict) -> list[dict]:
    import csv

    with open(folder / manifest["file"], newline="") as handle:
        return list(csv.DictReader(handle))


def test_an_sms_export_holds_exactly_the_consenting_non_control_members(exporting, published) -> None:
    env, _, root = exporting
    manifest = _export(env, "win_back_high_value", "--channel", "sms")
    folder = root / "win_back_high_value" / "sms"
    rows = _rows(folder, manifest)
    with duckdb.connect(env["PORTRAIT_DB"], read_only=True) as con:
        expected = {r[0] for r in con.execute("""
            select '+86' || phone.identifier_value
            from marts.fct_audience_members as members
            inner join intermediate.int_privacy__consent as consent
                on consent.person_id = members.person_id and consent.channel = 'sms' and consent.is_contactable
            inner join intermediate.int_identity__person_map as phone
                on phone.person_id = members.person_id and phone.identifier_type = 'phone'
            where members.audience_code = 'win_back_high_value' and not members.is_control
            qualify row_number() over (partition by members.person_id
                                       order by phone.last_seen_at desc nulls last, phone.identifier_value) = 1
        """).fetchall()}
        controls = con.execute("select count(*) from marts.fct_audience_members "
                               "where audience_code = 'win_back_high_value' and is_control").fetchall()[0][0]
        placeholders = {r[0] for r in con.execute(
            "select value from reference.placeholder_identifiers where identifier_type = 'phone' "
            "and match_kind = 'value'").fetchall()}
    phones = [r["phone_e164"] for r in rows]
    assert set(phones) == expected and len(phones) == len(expected) == manifest["rows"] > 0
    assert manifest["control_rows"] == controls > 0 and manifest["kind"] == "full"
    assert all(re.fullmatch(r"\+861[3-9]\d{9}", p) for p in phones)
    assert not {p[3:] for p in phones} & placeholders
    assert manifest["sha256"] == hashlib.sha256((folder / manifest["file"]).read_bytes()).hexdigest()
    assert set(manifest) >= {"audience", "channel", "kind", "rows", "exited_rows", "file", "sha256", "as_of_date",
                             "run_id"}
    assert manifest["run_id"] == tiny_nightly_run_id(env)
    assert (folder / manifest["file"]).stat().st_mode & 0o077 == 0


def tiny_nightly_run_id(env: dict) -> str:
    with duckdb.connect(env["PORTRAIT_PUBLISH_DB"], read_only=True) as con:
        return con.execute("select max(run_id) from marts.portrait_publication").fetchall()[0][0]


def test_ad_files_carry_each_platforms_hashes_and_tencent_no_email(exporting) -> None:
    from portrait.activation import hashing

    env, _, root = exporting
    sms = _rows(root / "check", _export(env, "win_back_high_value", "--channel", "sms", "--out", str(root / "check")))
    phones = {r["phone_e164"][3:] for r in sms}
    for channel, convention in (("ad_meta", hashing.meta_phone), ("ad_google", hashing.google_phone)):
        manifest = _export(env, "win_back_high_value", "--channel", channel)
        rows = _rows(root / "win_back_high_value" / channel, manifest)
        assert manifest["columns"] == ["phone_sha256", "email_sha256"]
        assert {convention(p) for p in phones} <= {r["phone_sha256"] for r in rows}
        assert all(re.fullmatch(r"[0-9a-f]{64}|", r["email_sha256"]) for r in rows)
    manifest = _export(env, "win_back_high_value", "--channel", "ad_tencent")
    rows = _rows(root / "win_back_high_value" / "ad_tencent", manifest)
    assert manifest["columns"] == ["phone_md5"]
    assert {r["phone_md5"] for r in rows} == {hashing.tencent_phone(p) for p in phones}


def test_a_delta_lists_who_left_since_the_last_export_and_pending_opt_outs_count(exporting) -> None:
    """An opt-out that landed after the build removes the person at export time; the
    delta against the previous export shows them as exited, and no one else changes."""
    from portrait.generate.contract import RAW_CONTRACT
    import pyarrow as pa
    import pyarrow.parquet as pq

    env, raw, root = exporting
    first = _export(env, "churn_risk_high", "--channel", "sms")
    folder = root / "churn_risk_high" / "sms"
    leaving = _rows(folder, first)[0]["phone_e164"]
    pq.write_table(pa.table({c: pa.array([v], pa.string()) for c, v in zip(
        RAW_CONTRACT["privacy_requests"], ["PRX-LATE-OPT-OUT", "phone", leaving, "marketing_opt_out",
                                           "2026-06-30 20:00:00"])}), raw / "privacy_requests" / "late.parquet")
    try:
        delta = _export(env, "churn_risk_high", "--channel", "sms", "--delta")
    finally:
        (raw / "privacy_requests" / "late.parquet").unlink()
    rows = _rows(folder, delta)
    assert delta["kind"] == "delta" and delta["rows"] == 0 and delta["exited_rows"] == 1
    assert rows == [{"phone_e164": leaving, "change": "exited"}]
    assert delta["excluded_by_pending_requests"] == 1
    # the ledger records both, per person, and the control group apart
    with duckdb.connect(str(root / "ledger.duckdb"), read_only=True) as con:
        counts = dict(con.execute("select kind, sum(rows) from exports where audience_code = 'churn_risk_high' "
                                  "group by kind").fetchall())
        members = con.execute("select count(*) from export_members where export_id = ?",
                              [delta["export_id"]]).fetchall()[0][0]
    assert counts == {"full": first["rows"], "delta": 0}
    assert members == first["rows"] - 1 + first["control_rows"]


@pytest.mark.parametrize("fault", ["export-before-ledger", "export-before-rename"])
def test_an_export_killed_midway_is_settled_by_the_next_and_no_one_is_sent_twice(exporting, fault: str) -> None:
    """SIGKILL after the file is written but before the ledger records it, or after the
    ledger records it but before it is renamed into place: the vendor's folder shows no file
    in either case, and the next export settles it: an unrecorded file is dropped (its
    persons go in the next file), a recorded one is put in place (its persons are not sent
    again)."""
    from portrait.faults import FAULT_ENV

    env, _, root = exporting
    folder = root / "churn_risk_high" / "sms"
    killed = portrait(["export", "churn_risk_high", "--channel", "sms", "--json"], {**env, FAULT_ENV: fault})
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert [p.name for p in folder.iterdir() if not p.name.endswith(".partial")] == []
    assert len(list(folder.glob("*.partial"))) == 2  # the file and its manifest
    with duckdb.connect(str(root / "ledger.duckdb"), read_only=True) as con:
        recorded = con.execute("select file, sha256, rows from exports").fetchall()
    assert len(recorded) == (1 if fault == "export-before-rename" else 0)

    delta = _export(env, "churn_risk_high", "--channel", "sms", "--delta")
    assert not list(folder.glob("*.partial"))
    visible = sorted(p.name for p in folder.glob("*.csv"))
    if recorded:
        (file, digest, rows), = recorded
        assert Path(file).name in visible and delta["file"] in visible and len(visible) == 2
        assert hashlib.sha256(Path(file).read_bytes()).hexdigest() == digest
        assert (folder / (Path(file).stem + ".manifest.json")).exists()
        assert rows > 0 and delta["rows"] == 0  # sent once, by the recorded file
    else:
        assert visible == [delta["file"]] and delta["rows"] > 0  # sent by the next file


def test_the_exclusion_list_excluded_tags_and_the_weekly_cap_apply_to_every_export(exporting) -> None:
    env, _, root = exporting
    first = _export(env, "cart_abandoners_sms", "--channel", "sms")
    folder = root / "cart_abandoners_sms" / "sms"
    phones = [r["phone_e164"] for r in _rows(folder, first)]
    (root / "exclusions.csv").write_text(f"identifier_type,identifier,reason\nphone,{phones[0]},staff\n")
    second = _export(env, "cart_abandoners_sms", "--channel", "sms", "--delta")
    assert second["excluded_rows"] == 1 and second["exited_rows"] == 1
    assert [r["phone_e164"] for r in _rows(folder, second)] == [phones[0]]
    # sms: at most 2 files a week reach a person (a delta reaches only who it lists as
    # entered); once two full files reached them, the next holds them back, and they stay
    # members (a delta then shows no false exits)
    third = _export(env, "cart_abandoners_sms", "--channel", "sms")
    assert third["rows"] == len(phones) - 1 and third["capped_rows"] == 0
    fourth = _export(env, "cart_abandoners_sms", "--channel", "sms")
    assert fourth["capped_rows"] == len(phones) - 1 and fourth["rows"] == 0
    fifth = _export(env, "cart_abandoners_sms", "--channel", "sms", "--delta")
    assert (fifth["rows"], fifth["exited_rows"], fifth["capped_rows"]) == (0, 0, len(phones) - 1)
    # complainers (tag complainer_365d) are in no export
    with duckdb.connect(env["PORTRAIT_DB"], read_only=True) as con:
        complainers = {r[0] for r in con.execute(
            "select '+86' || map.identifier_value from marts.fct_person_tags as tags "
            "inner join intermediate.int_identity__person_map as map on map.person_id = tags.person_id "
            "and map.identifier_type = 'phone' where tags.tag_code = 'complainer_365d'").fetchall()}
    assert not complainers & set(phones)
    (root / "exclusions.csv").write_text("identifier_type,identifier,reason\npassport,E1,staff\n")
    result = portrait(["export", "cart_abandoners_sms", "--channel", "email"], env)
    assert result.returncode == 1 and "exclusions.csv, line 2: unknown identifier type 'passport'" in result.stderr


def test_a_lookalike_audience_is_the_top_of_its_scores_outside_its_seed(published) -> None:
    audiences = load(AUDIENCE_DIR)
    lookalikes = [a for a in audiences.values() if a.lookalike]
    assert lookalikes
    for audience in lookalikes:
        seed = {r[0] for r in published.execute(
            "select person_id from marts.fct_audience_members where audience_code = ?",
            [audience.lookalike.seed]).fetchall()}
        scored = published.execute(
            "select person_id, score, rank, is_member from marts.fct_lookalike_scores where audience_code = ? "
            "order by rank", [audience.code]).fetchall()
        members = {r[0] for r in published.execute(
            "select person_id from marts.fct_audience_members where audience_code = ?", [audience.code]).fetchall()}
        assert seed and not seed & {r[0] for r in scored}  # every person outside the seed, none in it
        assert len(scored) == published.execute("select count(*) from marts.dim_person").fetchall()[0][0] - len(seed)
        assert [r[2] for r in scored] == list(range(1, len(scored) + 1))
        assert all(a[1] >= b[1] for a, b in zip(scored, scored[1:]))  # ranked by score
        assert members == {r[0] for r in scored[:audience.lookalike.size]} == {r[0] for r in scored if r[3]}


def test_the_lookalike_figures_in_the_docs_come_from_the_committed_result() -> None:
    from portrait.activation.lookalike_docs import DOC, render_into

    from portrait.activation.lookalike_docs import RESULT
    from portrait.evaluate.results import generator_fingerprint

    text = DOC.read_text()
    assert render_into(text) == text, "run `python -m portrait.activation.lookalike_docs`"
    document = json.loads(RESULT.read_text())
    assert document["scale"] == "small" and document["generator_fingerprint"] == generator_fingerprint(), \
        "the committed figure was computed with another generator: rerun `portrait eval lookalike --out ...` on small"
    result = document["result"]
    assert result["lift_over_random"] >= 3 and result["lift_over_random"] > result["baseline_lift"]
