"""The incremental cut of sessions at the edges the tiny dataset rarely reaches.

A hand-made landing zone (app events only; every other raw table missing, so its
staging is empty) delivered over four nights: a session that runs over midnight, split
across two nights' files, must keep one id when its second day is cut incrementally
(the visitor's last event of the day before is carried in); an event that arrives
nights late re-cuts its visitor (and only that visitor) from its own day; a night with
nothing new changes nothing.
After each night the `partitioned` layers must equal a full refresh of the same files.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from portrait.dbt import run_dbt
from warehouse_fixtures import warehouse_env

CONTRACT_COLUMNS = ["event_id", "event_ts", "received_at", "event_name", "platform", "device_id", "anonymous_id",
                    "account_id", "openid", "sku", "category_l1", "content_type", "search_term", "utm_source",
                    "utm_medium", "page_url", "properties"]
DEVICE = "aaaaaaaa-0000-4000-8000-000000000001"
OTHER_DEVICE = "aaaaaaaa-0000-4000-8000-000000000002"
# (event id, local event time, local arrival time, event name, device, category, account)
NIGHTS = {
    "night1": [
        ("ev-1", "2026-06-01 23:40:00", "2026-06-01 23:59:00", "page_view", DEVICE, None, None),
        ("ev-2", "2026-06-01 23:55:00", "2026-06-01 23:59:00", "product_view", DEVICE, "beauty", None),
        ("ev-3", "2026-06-01 12:00:00", "2026-06-01 12:01:00", "page_view", OTHER_DEVICE, None, None),
    ],
    # the session goes on after midnight (10 minutes after ev-2), with a login
    "night2": [
        ("ev-4", "2026-06-02 00:05:00", "2026-06-02 00:30:00", "login", DEVICE, None, "U-MIDNIGHT"),
        ("ev-5", "2026-06-02 00:20:00", "2026-06-02 00:30:00", "product_view", DEVICE, "sports", None),
        ("ev-6", "2026-06-02 09:00:00", "2026-06-02 09:01:00", "page_view", DEVICE, None, None),
    ],
    # an event of the first evening arrives two nights late: it starts the session earlier
    "night3": [
        ("ev-7", "2026-06-01 23:20:00", "2026-06-03 08:00:00", "search", DEVICE, None, None),
        ("ev-8", "2026-06-03 10:00:00", "2026-06-03 10:01:00", "page_view", OTHER_DEVICE, None, None),
    ],
    "night4": [],  # nothing new
}
ROLLUPS = ["int_session_daily_activity", "int_session_daily_interests"]
LAYERS = ["staging.base_app__events", "intermediate.int_events_sessionized",
          "intermediate.int_session_daily_activity", "intermediate.int_session_daily_interests"]


def _deliver(raw_dir: Path, name: str, rows: list[tuple]) -> None:
    folder = raw_dir / "app_events"
    folder.mkdir(parents=True, exist_ok=True)
    if not rows:
        return
    values = []
    for event_id, event_ts, received_at, event_name, device, category, account in rows:
        record = {"event_id": event_id, "event_ts": event_ts, "received_at": received_at, "event_name": event_name,
                  "platform": "ios", "device_id": device, "category_l1": category, "account_id": account}
        values.append("(" + ", ".join("null" if record.get(c) is None else f"'{record[c]}'"
                                      for c in CONTRACT_COLUMNS) + ")")
    columns = ", ".join(CONTRACT_COLUMNS)
    with duckdb.connect() as con:
        con.execute(f"copy (select * from (values {', '.join(values)}) as t({columns})) "
                    f"to '{folder / f'app_events__{name}.parquet'}' (format parquet)")


def _fingerprints(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {r: tuple(con.execute(f"select count(*), sum(hash(x)::hugeint) from {r} as x").fetchall()[0])
                for r in LAYERS}


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """Delivers the nights one by one; after each, the incremental warehouse's sessions
    and the fingerprints of it and of a full refresh on the same files."""
    root = tmp_path_factory.mktemp("incremental_sessions")
    raw = root / "raw"
    env = warehouse_env(raw, root / "truth", root / "incremental")
    full_env = warehouse_env(raw, root / "truth", root / "full")
    run_dbt(["seed"], env=env, work_dir=root / "incremental", capture=True)
    run_dbt(["seed"], env=full_env, work_dir=root / "full", capture=True)
    results = []
    def batch(model: str) -> list[dict]:  # the rows the model's incremental run writes, markers included
        shown = run_dbt(["--quiet", "show", "-s", model, "--limit", "-1", "--output", "json"],
                        env=env, work_dir=root / "incremental", capture=True)
        return json.loads(shown.stdout)["show"]

    for index, (name, rows) in enumerate(NIGHTS.items()):
        _deliver(raw, name, rows)
        sessions_batch, rollup_batches = None, None
        if index:
            run_dbt(["run", "-s", "+stg_app__events"], env=env, work_dir=root / "incremental", capture=True)
            sessions_batch = batch("int_events_sessionized")
        if name == "night3":  # the rollups' batches read the night's sessions
            run_dbt(["run", "-s", "int_events_sessionized"], env=env, work_dir=root / "incremental", capture=True)
            rollup_batches = {model: batch(model) for model in ROLLUPS}
        run_dbt(["run", "-s", "+tag:partitioned"], env=env, work_dir=root / "incremental", capture=True)
        run_dbt(["run", "-s", "+tag:partitioned", "--full-refresh"], env=full_env, work_dir=root / "full",
                capture=True)
        with duckdb.connect(env["PORTRAIT_DB"], read_only=True) as con:
            sessions = con.execute(
                "select event_id, session_id, is_session_start from intermediate.int_events_sessionized "
                "order by event_id").fetchall()
        compiled = (root / "incremental" / "target" / "compiled" / "portrait" / "models" / "intermediate"
                    / "profile" / "int_events_sessionized.sql").read_text()
        results.append({"name": name, "sessions": {e: (s, start) for e, s, start in sessions},
                        "batch": sessions_batch, "rollup_batches": rollup_batches,
                        "incremental": _fingerprints(Path(env["PORTRAIT_DB"])),
                        "full": _fingerprints(Path(full_env["PORTRAIT_DB"])), "compiled": compiled})
    return results


def test_every_night_equals_a_full_refresh(nights: list[dict]) -> None:
    for night in nights:
        assert night["incremental"] == night["full"], night["name"]
        assert all(count > 0 for count, _ in night["incremental"].values()), night["name"]


def test_nights_after_the_first_were_cut_incrementally(nights: list[dict]) -> None:
    assert "carried_in_ranked" not in nights[0]["compiled"]
    assert all("carried_in_ranked" in night["compiled"] and "incremental_replaced" in night["compiled"]
               for night in nights[1:])


def test_a_night_re_cuts_only_the_visitors_it_touches_from_their_own_day(nights: list[dict]) -> None:
    """The batch a night writes (`replace_from`): the events of each visitor whose events
    changed, from the first day they did, and one marker row (no event) per such visitor
    naming that day; other visitors and earlier days are not written again."""
    def written(night: dict) -> tuple[set, list]:
        events = {row["event_id"] for row in night["batch"] if row["event_id"] is not None}
        markers = sorted((row["event_date"], row["visitor_id"]) for row in night["batch"] if row["event_id"] is None)
        return events, markers

    events, markers = written(nights[1])  # DEVICE's June 2nd (ev-2 of June 1st is carried in, not written)
    assert events == {"ev-4", "ev-5", "ev-6"} and [day for day, _ in markers] == ["2026-06-02"]
    events, markers = written(nights[2])  # the late ev-7 re-cuts DEVICE from June 1st; ev-8 OTHER_DEVICE's June 3rd
    assert events == {"ev-7", "ev-1", "ev-2", "ev-4", "ev-5", "ev-6", "ev-8"}  # not ev-3 (OTHER_DEVICE, June 1st)
    assert [day for day, _ in markers] == ["2026-06-01", "2026-06-03"] and markers[0][1] != markers[1][1]
    assert nights[3]["batch"] == []  # nothing new: nothing written


def test_the_rollups_rewrite_only_the_visitors_and_sessions_whose_events_changed(nights: list[dict]) -> None:
    """Night 3's rollup batches. Activity (per visitor): DEVICE's session-days from June
    1st and OTHER_DEVICE's June 3rd, one marker each; not OTHER_DEVICE's June 1st session.
    Interests (per session): ev-2 and ev-5, the only events with a category, move to the
    session ev-7 now starts; their old session is replaced by nothing, the new one by its
    two days, each marked from June 1st."""
    before, after = nights[1]["sessions"], nights[2]["sessions"]
    activity, interests = (nights[2]["rollup_batches"][model] for model in ROLLUPS)
    markers = sorted((row["activity_date"], row["visitor_id"]) for row in activity if row["session_id"] is None)
    assert [day for day, _ in markers] == ["2026-06-01", "2026-06-03"] and markers[0][1] != markers[1][1]
    session, morning, other = after["ev-7"][0], after["ev-6"][0], after["ev-8"][0]
    assert {(row["session_id"], row["activity_date"]) for row in activity if row["session_id"] is not None} == {
        (session, "2026-06-01"), (session, "2026-06-02"), (morning, "2026-06-02"), (other, "2026-06-03")}
    old_session = before["ev-2"][0]
    assert old_session != session
    assert sorted((row["session_id"], row["activity_date"]) for row in interests if row["interest_type"] is None) == \
        sorted([(session, "2026-06-01"), (old_session, "2026-06-01")])
    assert {(row["session_id"], row["activity_date"]) for row in interests if row["interest_type"] is not None} == {
        (session, "2026-06-01"), (session, "2026-06-02")}


def test_a_session_over_midnight_keeps_its_id_across_nights(nights: list[dict]) -> None:
    first, second = nights[0]["sessions"], nights[1]["sessions"]
    session, is_start = second["ev-4"]
    assert not is_start and session == second["ev-1"][0] == second["ev-5"][0] == first["ev-1"][0]
    assert second["ev-6"][1] and second["ev-6"][0] != session  # 8.7 hours later: a new session
    assert second["ev-3"][0] != session  # another visitor


def test_a_late_event_restarts_the_session_it_belongs_to(nights: list[dict]) -> None:
    before, after = nights[1]["sessions"], nights[2]["sessions"]
    assert after["ev-7"][1] and not after["ev-1"][1]  # 20 minutes before ev-1: ev-7 starts it now
    assert after["ev-7"][0] == after["ev-1"][0] == after["ev-4"][0] == after["ev-5"][0] != before["ev-1"][0]
    assert after["ev-3"] == before["ev-3"]  # other visitors keep their sessions


def test_a_night_with_nothing_new_changes_nothing(nights: list[dict]) -> None:
    assert nights[3]["incremental"] == nights[2]["incremental"]
    assert nights[3]["sessions"] == nights[2]["sessions"]


def test_the_lookback_rereads_recent_rows_of_held_files_and_only_those(tmp_path: Path) -> None:
    """`portrait__incremental_lookback_days` at work: a held file rewritten in place with the
    same row count (an export corrected after delivery) is re-read for its rows that arrived
    within the lookback of the latest arrival held, and not for older ones; a longer lookback
    reaches them. (Late rows in new files are read whole whatever the lookback: see the
    tests above.)"""
    raw = tmp_path / "raw"
    env = warehouse_env(raw, tmp_path / "truth", tmp_path / "warehouse")

    def run(*extra: str) -> dict[str, str]:
        run_dbt(["run", "-s", "+base_app__events", *extra], env=env, work_dir=tmp_path / "work", capture=True)
        with duckdb.connect(env["PORTRAIT_DB"], read_only=True) as con:
            return dict(con.execute("select event_id, event_name from staging.base_app__events").fetchall())

    old = [("old-1", "2026-06-01 10:00:00", "2026-06-01 10:01:00", "page_view", DEVICE, None, None)]
    recent = [("new-1", "2026-06-05 10:00:00", "2026-06-05 10:01:00", "page_view", DEVICE, None, None)]
    run_dbt(["seed"], env=env, work_dir=tmp_path / "work", capture=True)
    _deliver(raw, "june01", old)
    _deliver(raw, "june05", recent)
    assert run() == {"old-1": "page_view", "new-1": "page_view"}
    # both files corrected in place, same row counts, a new event name each
    _deliver(raw, "june01", [old[0][:3] + ("search",) + old[0][4:]])
    _deliver(raw, "june05", [recent[0][:3] + ("search",) + recent[0][4:]])
    # June 5th is within 3 days of the latest arrival held (June 5th); June 1st is not
    assert run() == {"old-1": "page_view", "new-1": "search"}
    assert run("--vars", "{portrait__incremental_lookback_days: 5}") == {"old-1": "search", "new-1": "search"}


def test_an_erased_visitor_leaves_the_incremental_layers(tmp_path: Path) -> None:
    """An erased person's events, on a day they shared with another visitor and on a day
    that was only theirs: the incremental sessions and session-day rollups drop them (the
    erased visitor's and sessions' marker rows: the key is replaced by nothing), keep the
    other visitor's, and equal a full refresh."""
    raw = tmp_path / "raw"
    envs = {name: warehouse_env(raw, tmp_path / "truth", tmp_path / name) for name in ("incremental", "full")}
    select = ["run", "-s", "+tag:partitioned", "+privacy_suppression_list"]
    for name, env in envs.items():
        run_dbt(["seed"], env=env, work_dir=tmp_path / name, capture=True)
    _deliver(raw, "june01", [("er-1", "2026-06-01 10:00:00", "2026-06-01 10:01:00", "page_view", DEVICE, None, None),
                             ("er-3", "2026-06-01 11:00:00", "2026-06-01 11:01:00", "product_view", OTHER_DEVICE,
                              "beauty", None)])
    _deliver(raw, "june03", [("er-4", "2026-06-03 10:00:00", "2026-06-03 10:01:00", "product_view", DEVICE,
                              "sports", None)])
    _deliver(raw, "june02", [("er-2", "2026-06-02 10:00:00", "2026-06-02 10:01:00", "page_view", OTHER_DEVICE,
                              None, None)])
    run_dbt(select, env=envs["incremental"], work_dir=tmp_path / "incremental", capture=True)
    folder = raw / "privacy_requests"
    folder.mkdir()
    with duckdb.connect() as con:
        con.execute(f"copy (select 'ER-1' as request_id, 'device_id' as identifier_type, '{DEVICE.upper()}' as "
                    "identifier, 'erasure' as request_type, '2026-06-02 12:00:00' as requested_at) "
                    f"to '{folder / 'privacy_requests__erasure.parquet'}' (format parquet)").fetchall()
    # the first build lists the device, the second applies it (`portrait run` does both)
    for name, env in envs.items():
        for extra in ([], []) if name == "incremental" else (["--full-refresh"], ["--full-refresh"]):
            run_dbt([*select, *extra], env=env, work_dir=tmp_path / name, capture=True)
    with duckdb.connect(envs["incremental"]["PORTRAIT_DB"], read_only=True) as con:
        days = {layer: con.execute(f"select distinct {column} from {layer} order by all").fetchall()
                for layer, column in [("intermediate.int_events_sessionized", "event_date"),
                                      ("intermediate.int_session_daily_activity", "activity_date"),
                                      ("intermediate.int_session_daily_interests", "activity_date")]}
        buckets = con.execute("select row_bucket, count(*) from staging.base_app__events group by all "
                              "order by all").fetchall()
        events = con.execute("select event_id from intermediate.int_events_sessionized order by all").fetchall()
    assert buckets == [("erased", 2), ("staged", 2)]
    assert events == [("er-2",), ("er-3",)]  # the other visitor's, on the shared day and on their own
    assert days["intermediate.int_events_sessionized"] == [(dt.date(2026, 6, 1),), (dt.date(2026, 6, 2),)]
    assert days["intermediate.int_session_daily_activity"] == [(dt.date(2026, 6, 1),), (dt.date(2026, 6, 2),)]
    assert days["intermediate.int_session_daily_interests"] == [(dt.date(2026, 6, 1),)]  # June 3rd was only DEVICE's
    assert _fingerprints(Path(envs["incremental"]["PORTRAIT_DB"])) == _fingerprints(Path(envs["full"]["PORTRAIT_DB"]))
