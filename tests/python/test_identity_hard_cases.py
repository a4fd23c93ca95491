"""OneID on hand-made raw data: the hard cases, each with its expected grouping.

One small raw landing zone holds every case (the identifiers of different cases never
meet), the project is copied so a steward can edit the overrides seed, and one
`dbt build` answers all the assertions.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from portrait.dbt import run_dbt
from rawkit import write_raw
from warehouse_fixtures import copy_project, warehouse_env

CARD_HOLDERS = 300  # strangers behind the placeholder phone, and behind the store's phone
T0 = "2025-01-05 10:00:00"
T1 = "2025-02-05 10:00:00"


def _member(member_id, phone=None, email=None, card_no=None, unionid=None, updated_at=T0):
    return {"member_id": member_id, "card_no": card_no, "full_name": "x", "phone": phone, "email": email,
            "gender": "1", "birth_date": "1990-01-01", "city": "上海", "register_channel": "store",
            "registered_at": T0, "updated_at": updated_at, "unionid": unionid}


def _account(account_id, phone=None, email=None):
    return {"account_id": account_id, "phone": phone, "email": email, "nickname": "n",
            "created_at": T0, "updated_at": T0}


_event_counter = iter(range(1, 10_000))


def _event(device_id=None, anonymous_id=None, account_id=None, openid=None, ts=T1, platform="ios"):
    n = next(_event_counter)
    return {"event_id": f"e{n:05d}", "event_ts": ts, "received_at": ts, "event_name": "page_view",
            "platform": platform, "device_id": device_id, "anonymous_id": anonymous_id,
            "account_id": account_id, "openid": openid, "properties": "{}"}


_txn_counter = iter(range(1, 10_000))


def _receipt(card_no=None, phone=None, ts=T1):
    n = next(_txn_counter)
    return {"txn_id": f"T{n:05d}", "store_id": "S01", "store_city": "上海", "member_card_no": card_no,
            "phone": phone, "txn_ts": ts, "total_amount": "100.00", "payment_method": "cash"}


def _raw_tables() -> dict[str, list[dict]]:
    t: dict[str, list[dict]] = {name: [] for name in ("crm_members", "shop_accounts", "app_events",
                                                      "wechat_users", "pos_transactions", "survey_responses")}
    # 1. Family tablet: two people, each with own member, account and phone, both log in on one tablet.
    t["crm_members"] += [_member("M-FA", phone="13811110001"), _member("M-FB", phone="13811110002")]
    t["shop_accounts"] += [_account("U-FA", phone="13811110001"), _account("U-FB", phone="13811110002")]
    t["app_events"] += [_event("tablet-1", "anon-tab1", "U-FA"), _event("tablet-1", "anon-tab1", "U-FB"),
                        _event("phone-fa", "anon-fa", "U-FA")]
    # 2. Placeholder phone and a store's own phone typed for hundreds of card holders.
    for i in range(CARD_HOLDERS):
        t["pos_transactions"].append(_receipt(card_no=f"C-P{i:03d}", phone="13800138000"))
        t["pos_transactions"].append(_receipt(card_no=f"C-S{i:03d}", phone="13977776666"))
    # 3. One human with two CRM records: same phone in two shapes.
    t["crm_members"] += [_member("M-DUP1", phone="+86 139-2222-0003"), _member("M-DUP2", phone="8613922220003")]
    # 4. Changed phone: old version had the old phone; receipts still carry it with the card.
    t["crm_members"] += [_member("M-CHG", phone="13933330004", card_no="C-CHG", updated_at=T0),
                         _member("M-CHG", phone="13933330005", card_no="C-CHG", updated_at=T1)]
    t["pos_transactions"].append(_receipt(card_no="C-CHG", phone="139 3333 0004"))
    # 5. Mini-program openid -> unionid -> official-account openid -> phone.
    t["wechat_users"] += [
        {"openid": "oMP_Chain5", "unionid": "oU_Chain5", "app_id": "wx_mp", "phone": None, "subscribed": "1",
         "first_seen_at": T0, "updated_at": T0},
        {"openid": "oOA_Chain5", "unionid": "oU_Chain5", "app_id": "wx_oa", "phone": "13944440006",
         "subscribed": "1", "first_seen_at": T0, "updated_at": T0},
    ]
    t["app_events"].append(_event(None, "anon-mp5", "U-CHAIN5", "oMP_Chain5", platform="miniprogram"))
    # 6. E-mail in mixed case and spaces.
    t["shop_accounts"].append(_account("U-MAIL6", email=" Mixed.Case6@QQ.com "))
    t["survey_responses"].append({"response_id": "R6", "submitted_at": T1, "phone": "13955550007",
                                  "email": "mixed.case6@qq.com", "nps": "9", "interests": "beauty",
                                  "age_band": "25-34", "income_band": "mid"})
    # 7. Anonymous browsing, then login on the same device.
    t["app_events"] += [_event("DEV-7", "anon-7", ts=T0), _event("dev-7", "ANON-7", ts=T0),
                        _event("dev-7", "anon-7", "U-LOGIN7", ts=T1)]
    # 8. A long chain through weak identifiers that must not collapse two families.
    t["crm_members"] += [_member("M-CH8A", phone="13966660008"), _member("M-CH8B", phone="13966660009")]
    t["shop_accounts"] += [_account("U-CH8A", phone="13966660008"), _account("U-CH8B", phone="13966660009")]
    t["app_events"] += [_event("dev-8a", "anon-8a", "U-CH8A"), _event("dev-8a", "anon-8x"),
                        _event("dev-8b", "anon-8x"), _event("dev-8b", "anon-8b", "U-CH8B")]
    # 9. Steward overrides: force-split a card from a phone; force-merge two unrelated accounts.
    t["pos_transactions"].append(_receipt(card_no="C-SPLIT9", phone="13977770010"))
    t["shop_accounts"] += [_account("U-MERGE9A"), _account("U-MERGE9B")]
    # 10. A forced split whose pair is also joined through a third identifier.
    t["crm_members"].append(_member("M-SPLIT10", phone="13977770011", card_no="C-SPLIT10"))
    t["pos_transactions"].append(_receipt(card_no="C-SPLIT10", phone="13977770011"))
    # 11. Two splits along one chain (card - phone - member), listed newest first: they
    # apply in request order, so the card is cut off and the member keeps the phone.
    t["crm_members"].append(_member("M-SPLIT11", phone="13977770012"))
    t["pos_transactions"].append(_receipt(card_no="C-SPLIT11", phone="13977770012"))
    return t


OVERRIDES = """action,identifier_type_a,identifier_value_a,identifier_type_b,identifier_value_b,reason,requested_by,requested_on
split,card_no,C-SPLIT9,phone,13977770010,Cashier typed another customer's phone,steward,2025-03-01
merge,account_id,U-MERGE9A,account_id,U-MERGE9B,Customer proved both accounts are theirs,steward,2025-03-01
split,card_no,C-SPLIT10,phone,13977770011,Card lent to a relative,steward,2025-03-01
split,card_no,C-SPLIT11,member_id,M-SPLIT11,Card is not the member's (second request),steward,2025-03-02
split,card_no,C-SPLIT11,phone,13977770012,Card typed with the member's phone,steward,2025-03-01
"""


@pytest.fixture(scope="module")
def hard_cases(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    work = tmp_path_factory.mktemp("identity_hard_cases")
    project = copy_project(work / "project")
    (project / "seeds" / "identity" / "identity_overrides.csv").write_text(OVERRIDES)
    write_raw(work / "raw", _raw_tables())
    env = warehouse_env(work / "raw", work / "truth", work)
    result = run_dbt(["build", "--exclude", "test_type:unit"], env=env,
                     work_dir=work, capture=True, check=False, project_dir=project)
    assert result.returncode == 0, (result.stdout or "")[-6000:]
    con = duckdb.connect(env["PORTRAIT_DB"], read_only=True)
    yield con
    con.close()


def _person(con: duckdb.DuckDBPyConnection, identifier_type: str, value: str) -> str | None:
    row = con.execute("select person_id from intermediate.int_identity__person_map "
                      "where identifier_type = ? and identifier_value = ?", [identifier_type, value]).fetchone()
    return row[0] if row else None


def _together(con, *identifiers: tuple[str, str]) -> bool:
    persons = {_person(con, t, v) for t, v in identifiers}
    assert None not in persons, f"some identifier has no person: {identifiers}"
    return len(persons) == 1


def test_family_tablet_does_not_merge_the_family(hard_cases) -> None:
    con = hard_cases
    assert _together(con, ("member_id", "M-FA"), ("account_id", "U-FA"), ("device_id", "phone-fa"))
    assert _together(con, ("member_id", "M-FB"), ("account_id", "U-FB"))
    assert not _together(con, ("member_id", "M-FA"), ("member_id", "M-FB"))
    assert not _together(con, ("device_id", "tablet-1"), ("member_id", "M-FA"))
    reasons = {r[0] for r in con.execute("select drop_reason from intermediate.int_identity__edges "
                                         "where identifier_value_b = 'tablet-1' or identifier_value_a = 'tablet-1'"
                                         ).fetchall()}
    assert any(r and r.startswith("degree_cap") for r in reasons), reasons


def test_placeholder_and_store_phones_never_link_card_holders(hard_cases) -> None:
    con = hard_cases
    assert not _together(con, ("card_no", "C-P000"), ("card_no", "C-P001"))
    assert not _together(con, ("card_no", "C-S000"), ("card_no", "C-S001"))
    for prefix in ("C-P", "C-S"):
        persons = con.execute("select count(distinct person_id), count(*) from intermediate.int_identity__person_map "
                              "where identifier_type = 'card_no' and identifier_value like ?", [prefix + "___"]).fetchone()
        assert persons == (CARD_HOLDERS, CARD_HOLDERS), (prefix, persons)
    assert _person(con, "phone", "13800138000") is None  # a placeholder identifies nobody
    store_reasons = {r[0] for r in con.execute("select distinct drop_reason from intermediate.int_identity__edges "
                                               "where identifier_value_b = '13977776666'").fetchall()}
    assert store_reasons and all(r.startswith("degree_cap") for r in store_reasons), store_reasons
    placeholder_reasons = {r[0] for r in con.execute("select distinct drop_reason from intermediate.int_identity__edges"
                                                     " where identifier_value_b = '13800138000'").fetchall()}
    assert placeholder_reasons == {"placeholder"}


def test_two_crm_records_of_one_human_merge(hard_cases) -> None:
    assert _together(hard_cases, ("member_id", "M-DUP1"), ("member_id", "M-DUP2"), ("phone", "13922220003"))


def test_changed_phone_keeps_one_person(hard_cases) -> None:
    assert _together(hard_cases, ("member_id", "M-CHG"), ("card_no", "C-CHG"), ("phone", "13933330004"),
                     ("phone", "13933330005"))


def test_openid_unionid_phone_chain(hard_cases) -> None:
    assert _together(hard_cases, ("openid", "oMP_Chain5"), ("unionid", "oU_Chain5"), ("openid", "oOA_Chain5"),
                     ("phone", "13944440006"), ("account_id", "U-CHAIN5"))


def test_email_case_and_spaces(hard_cases) -> None:
    assert _together(hard_cases, ("account_id", "U-MAIL6"), ("email", "mixed.case6@qq.com"), ("phone", "13955550007"))


def test_anonymous_browsing_then_login(hard_cases) -> None:
    assert _together(hard_cases, ("device_id", "dev-7"), ("anonymous_id", "anon-7"), ("account_id", "U-LOGIN7"))


def test_long_weak_chain_does_not_collapse_two_families(hard_cases) -> None:
    con = hard_cases
    assert _together(con, ("member_id", "M-CH8A"), ("account_id", "U-CH8A"))
    assert _together(con, ("member_id", "M-CH8B"), ("account_id", "U-CH8B"))
    assert not _together(con, ("member_id", "M-CH8A"), ("member_id", "M-CH8B"))


def test_steward_split_and_merge(hard_cases) -> None:
    con = hard_cases
    assert not _together(con, ("card_no", "C-SPLIT9"), ("phone", "13977770010"))
    assert _together(con, ("account_id", "U-MERGE9A"), ("account_id", "U-MERGE9B"))
    rules = con.execute("select rule, is_used, drop_reason from intermediate.int_identity__edges "
                        "where identifier_value_a in ('C-SPLIT9', 'U-MERGE9A') order by rule").fetchall()
    assert ("pos_receipt", False, "steward_split") in rules and ("steward_merge", True, None) in rules


def test_every_staged_identifier_has_exactly_one_person(hard_cases) -> None:
    con = hard_cases
    missing = con.execute("""
        select count(*) from intermediate.int_identity__identifiers i
        anti join intermediate.int_identity__person_map m using (identifier_type, identifier_value)
        where not i.is_placeholder""").fetchone()[0]
    assert missing == 0


def test_steward_split_cuts_an_indirect_path_too(hard_cases) -> None:
    con = hard_cases
    assert not _together(con, ("card_no", "C-SPLIT10"), ("phone", "13977770011"))
    reasons = {r[0] for r in con.execute("select drop_reason from intermediate.int_identity__edges "
                                         "where identifier_value_b = '13977770011'").fetchall()}
    assert reasons == {"steward_split", "steward_split: path cut"}, reasons


def test_steward_splits_apply_in_request_order(hard_cases) -> None:
    con = hard_cases
    assert not _together(con, ("card_no", "C-SPLIT11"), ("phone", "13977770012"))
    assert not _together(con, ("card_no", "C-SPLIT11"), ("member_id", "M-SPLIT11"))
    # in file order the newer split would come first and cut the member off its phone
    assert _together(con, ("member_id", "M-SPLIT11"), ("phone", "13977770012"))
