"""The profile marts on the tiny dataset: tag catalogue, rule compiler, segments, dim_person."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portrait.dbt import run_dbt
from warehouse_fixtures import Warehouse, copy_project

CATEGORIES = {"basic", "behaviour", "transaction", "lifecycle", "preference", "risk", "predictive"}
SCHEMES = ("rfm", "lifecycle", "aipl", "value_tier", "persona")  # docs/contracts.md scheme codes


@pytest.fixture(scope="module")
def con(tiny_warehouse: Warehouse):
    assert tiny_warehouse.returncode == 0, tiny_warehouse.output[-5000:]
    connection = tiny_warehouse.connect()
    yield connection
    connection.close()


def test_catalogue_has_fifty_tags_in_every_category_and_rule_tags_are_carried(con) -> None:
    tags = con.execute("select tag_code, category, kind, persons_tagged from marts.dim_tag").fetchall()
    assert len(tags) >= 50
    assert {category for _, category, _, _ in tags} == CATEGORIES
    carried = {code for code, _, kind, persons in tags if kind != "predictive" and persons > 0}
    non_predictive = {code for code, _, kind, _ in tags if kind != "predictive"}
    # Tiny (2k persons) is too small for the rarest tags; `small` carries all of them
    # (README). Most must be carried already here.
    assert len(carried) >= 0.9 * len(non_predictive), sorted(non_predictive - carried)
    persons_tagged = dict(con.execute("select tag_code, count(distinct person_id) from marts.fct_person_tags "
                                      "group by tag_code").fetchall())
    assert all(persons_tagged.get(code, 0) == persons for code, _, _, persons in tags)


def test_boolean_tags_carry_true_and_label_tags_few_values(con) -> None:
    rows = con.execute("""
        select tag.value_type, count(distinct person_tags.tag_value), min(person_tags.tag_value), tag.tag_code
        from marts.fct_person_tags as person_tags
        inner join marts.dim_tag as tag using (tag_code)
        group by tag.value_type, tag.tag_code
    """).fetchall()
    for value_type, distinct_values, some_value, code in rows:
        if value_type == "boolean":
            assert (distinct_values, some_value) == (1, "true"), code
        if value_type == "label" and code != "city":
            assert distinct_values <= 8, code


def test_every_person_has_one_segment_per_scheme_and_names_in_two_languages(con) -> None:
    persons = con.execute("select count(*) from marts.dim_person").fetchone()[0]
    per_scheme = dict(con.execute("select scheme, count(distinct person_id) from marts.fct_person_segments "
                                  "group by scheme").fetchall())
    assert per_scheme == {scheme: persons for scheme in SCHEMES}
    missing_names = con.execute("select count(*) from marts.fct_person_segments "
                                "where segment_name_zh is null or segment_name_en is null").fetchone()[0]
    assert missing_names == 0
    rfm = {code for (code,) in con.execute(
        "select distinct segment_code from marts.fct_person_segments where scheme = 'rfm'").fetchall()}
    assert "no_purchase" in rfm and "champions" in rfm


def test_dim_person_answers_the_audience_question_alone(con) -> None:
    """"How many RFM champions in Shanghai are in lifecycle churn-warning and prefer the
    mini-program" is one filter on dim_person: its segment, city and platform columns
    agree, cell by cell, with the long tables they summarise."""
    from_dim = con.execute("""
        select rfm_segment, city, lifecycle_segment, preferred_platform, count(*)
        from marts.dim_person group by all
    """).fetchall()
    from_facts = con.execute("""
        select rfm.segment_code, metrics.city, lifecycle.segment_code, metrics.preferred_platform, count(*)
        from intermediate.int_person_metrics as metrics
        inner join marts.fct_person_segments as rfm
            on rfm.person_id = metrics.person_id and rfm.scheme = 'rfm'
        inner join marts.fct_person_segments as lifecycle
            on lifecycle.person_id = metrics.person_id and lifecycle.scheme = 'lifecycle'
        group by all
    """).fetchall()
    assert sorted(from_dim, key=str) == sorted(from_facts, key=str)
    champions_by_city = {(rfm, city) for rfm, city, _, _, _ in from_dim if rfm == "champions"}
    assert ("champions", "上海") in champions_by_city


def test_no_raw_phone_or_email_in_any_mart(con, tiny_dataset: Path) -> None:
    import duckdb

    truth = duckdb.connect()
    identifiers = truth.execute(
        f"select identifier_value from read_parquet('{tiny_dataset / 'truth' / 'identity.parquet'}') "
        "where identifier_type in ('phone', 'email')").fetchall()
    secrets = {value for (value,) in identifiers}
    assert len(secrets) > 100
    columns = con.execute("""
        select table_name, column_name from information_schema.columns
        where table_schema = 'marts' and data_type = 'VARCHAR'
    """).fetchall()
    phone_or_email = re.compile(r"1[3-9]\d{9}|[^@\s*]+@[^@\s]+")
    for table, column in columns:
        values = con.execute(f'select distinct "{column}" from marts."{table}" where "{column}" is not null').fetchall()
        leaked = [value for (value,) in values if value in secrets or (
            phone_or_email.fullmatch(value) and "*" not in value)]
        assert not leaked, f"marts.{table}.{column} holds raw contact data: {leaked[:3]}"


def test_a_rule_naming_an_unknown_metric_fails_the_compile_naming_the_tag(tmp_path: Path,
                                                                          tiny_warehouse: Warehouse) -> None:
    project = copy_project(tmp_path / "project")
    rules_file = project / "models" / "marts" / "profile" / "_profile__models.yml"
    text = rules_file.read_text()
    anchor = "        tag_rules:\n"
    assert anchor in text
    rules_file.write_text(text.replace(
        anchor, anchor + '          - {tag_code: big_spender_typo, when: "spend_356d > 100"}\n', 1))
    env = {**tiny_warehouse.env, "PORTRAIT_DB": str(tmp_path / "compile.duckdb")}
    result = run_dbt(["compile", "--select", "fct_person_tags"], env=env,
                     work_dir=tmp_path / "work", capture=True, check=False, project_dir=project)
    output = (result.stdout or "") + (result.stderr or "")
    assert result.returncode != 0
    assert "big_spender_typo" in output and "spend_356d" in output, output[-3000:]
