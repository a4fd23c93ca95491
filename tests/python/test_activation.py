"""Audiences as code: the compiler's errors, the control draw, the metrics mart's docs, and
the published audiences of the tiny build (members equal hand-written SQL; the membership
history's state equals the members; the CLI)."""

from __future__ import annotations

import json
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
        select a.audience_code, a.members, a.control_members, a.contactable_sms,
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
