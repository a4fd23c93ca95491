"""The bad-input and fault cases of `portrait run`: what each kind of bad input gets.

One list, read twice: `test_bad_input.py` (and the other tests named here) assert each
case's outcome, and `docs/operations.md` shows it as a table generated from this list
(`python tests/python/bad_input_cases.py` rewrites it; `test_the_operations_table_is_
generated_from_the_cases` fails when they differ).

Outcomes: `fails` (exit 1, nothing published changes), `quarantined` (the row goes to
`stg_quarantine__rows` with the reason), `accepted` (parsed by a documented rule),
`answered` (an erasure request that cannot be applied: `not_applicable` with a reason in
`audit_erasures`; nothing else is held back), `warned` (published, with a warning in the
run report).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
START = "<!-- bad-input-table:start (generated from tests/python/bad_input_cases.py) -->"
END = "<!-- bad-input-table:end -->"


@dataclass(frozen=True)
class Case:
    id: str
    input: str
    outcome: str
    detail: str
    recovery: str
    test: str


CASES: list[Case] = [
    # --- before anything is built (preflight): exit 1, nothing changes
    Case("missing_table", "a raw table's folder is gone (it held rows at the last publication)", "fails",
         "`raw table service_tickets is missing ... held N rows at the last publication`",
         "restore the folder; if the table is really gone, `portrait run --allow-missing TABLE` (recorded in the "
         "report; an incremental table such as `app_events` or `shop_orders` also needs `--full-refresh`)",
         "test_bad_input.py::test_preflight_refuses[missing_table]"),
    Case("empty_table", "a raw table's folder holds no file", "fails", "`raw table ... holds no rows`",
         "as for a missing table", "test_bad_input.py::test_preflight_refuses[empty_table]"),
    Case("raw_rows_drop", "a raw table has fewer rows than at the last publication by more than the share "
         "(default 25 %)", "fails", "`raw table app_events has N rows, M at the last publication: a drop of ...`",
         "restore the files; or `--allow-drop TABLE`; `--max-row-drop SHARE` sets the share",
         "test_bad_input.py::test_preflight_refuses[raw_rows_drop]"),
    Case("corrupt_footer", "a `.parquet` file of random bytes", "fails",
         "`raw table pos_lines: file pos_lines/x.parquet is not a readable Parquet file (...)`",
         "remove or replace the file, run again", "test_bad_input.py::test_preflight_refuses[corrupt_footer]"),
    Case("corrupt_page", "a Parquet file whose data pages are damaged (footer intact)", "fails",
         "`raw table app_events: file app_events/x.parquet cannot be read (...)` (new files are read in full "
         "once)", "remove or replace the file, run again",
         "test_bad_input.py::test_preflight_refuses[corrupt_page]"),
    Case("empty_file", "a zero-byte `.parquet` file", "fails",
         "`raw table campaigns: file campaigns/empty.parquet is not a readable Parquet file (...)`",
         "remove the file", "test_bad_input.py::test_preflight_refuses[empty_file]"),
    Case("as_of_future", "`--as-of` after today (Asia/Shanghai)", "fails", "`--as-of ... is in the future`",
         "`--force-as-of` to build it anyway", "test_bad_input.py::test_preflight_refuses[as_of_future]"),
    Case("as_of_before_data", "`--as-of` before the first order", "fails", "`--as-of ... is before the data starts`",
         "`--force-as-of`", "test_bad_input.py::test_preflight_refuses[as_of_before_data]"),
    Case("as_of_backfill", "`--as-of` before the published as-of date", "fails",
         "`... would replace what BI users see with an older view; use --backfill`",
         "`--backfill` to publish it deliberately", "test_bad_input.py::test_preflight_refuses[as_of_backfill]"),
    Case("unknown_override", "`--allow-missing` naming no raw table", "fails",
         "`--allow-missing names no raw table: ...`", "fix the name",
         "test_bad_input.py::test_preflight_refuses[unknown_override]"),
    Case("unwritable_folder", "the warehouse or publication folder is not writable", "fails",
         "`the folder ... is not writable by this user`", "fix the permissions",
         "test_bad_input.py::test_unwritable_folders_and_a_full_disk_are_refused"),
    Case("disk_full", "too little free disk for the working copy and the new publication", "fails",
         "`not enough free disk for the run in ...: X GB free, about Y GB needed`", "free space, or move the warehouse",
         "test_bad_input.py::test_unwritable_folders_and_a_full_disk_are_refused"),
    Case("missing_hash_key", "the hash key file is gone while a warehouse exists", "fails",
         "names the key file and says to restore it (a new key would re-key every person id)",
         "restore `.portrait_hash_key` or set `PORTRAIT_HASH_KEY`; to change keys, `portrait rotate-key`",
         "test_hash_key.py"),
    Case("different_hash_key", "a key other than the one the warehouse was built with", "fails",
         "names both key fingerprints (never the key)", "use the right key, or `portrait rotate-key`",
         "test_hash_key.py"),
    Case("truncated_private", "the private warehouse file is truncated or corrupt", "fails",
         "`... is not a readable DuckDB file: it is truncated or corrupt`",
         "restore it from a backup, or move it away and `portrait run --full-refresh`",
         "test_bad_input.py::test_a_truncated_private_warehouse_is_named_as_such"),
    Case("concurrent_run", "a second `portrait run` on the same warehouse", "fails",
         "`another portrait run holds ... (pid N)`", "wait for the first",
         "test_bad_input.py::test_a_second_run_on_the_same_warehouse_is_locked_out"),
    Case("renamed_column", "a raw file lacks a contract column (renamed in the export)", "fails",
         "`raw table shop_accounts: file shop_accounts/x.parquet lacks required column(s) 'phone' ...`",
         "rename the column to the contract (plain `dbt build` stops the same way, in `on-run-start`)",
         "test_bad_input.py::test_preflight_refuses[renamed_column]"),
    # --- rows: parsed by a documented rule, or quarantined with a reason
    Case("decimal_comma", "an amount with a decimal comma (`12,50`, `1.299,00`)", "quarantined",
         "`unparseable_amount`", "fix the export (amounts use a decimal point; commas only group thousands)",
         "test_bad_input.py::test_bad_values_are_quarantined_or_parsed_by_rule"),
    Case("grouped_amount", "an amount with thousands separators and a currency mark (`¥1,299.00`)", "accepted",
         "1299.00", "-", "test_bad_input.py::test_bad_values_are_quarantined_or_parsed_by_rule"),
    Case("typed_timestamptz", "a Parquet `TIMESTAMP WITH TIME ZONE` column", "accepted",
         "the instant it holds (not re-read as local time)", "-",
         "test_bad_input.py::test_bad_values_are_quarantined_or_parsed_by_rule"),
    Case("typed_decimal", "a Parquet `DECIMAL` amount", "accepted", "its value", "-",
         "test_bad_input.py::test_bad_values_are_quarantined_or_parsed_by_rule"),
    Case("float_phone", "a phone written as a float (`13912341111.0`, pandas with gaps)", "accepted",
         "`13912341111`", "-", "test_bad_input.py::test_bad_values_are_quarantined_or_parsed_by_rule"),
    Case("control_characters", "NUL or other control characters in text", "accepted", "removed in staging", "-",
         "test_bad_input.py::test_bad_values_are_quarantined_or_parsed_by_rule"),
    Case("identifier_pattern", "an identifier that breaks its type's pattern (a `member_id` with quotes and `;`)",
         "quarantined", "a bad own key: the row is quarantined as `invalid_identifier`; a bad contact detail or "
         "other identifier is set NULL and flagged `is_<column>_invalid`", "fix the export; the row loads when it "
         "comes again", "test_staging_quarantine.py::test_raw_values_are_parsed_by_their_documented_rule"),
    Case("non_parquet_file", "a CSV (or any non-Parquet file) in a raw folder", "warned",
         "named in the run report's `warnings`; counted in `audit_row_reconciliation.ignored_files`",
         "convert it to Parquet or move it out", "test_bad_input.py::test_bad_values_are_quarantined_or_parsed_by_rule"),
    Case("redelivered_file", "an export delivered again under another file name", "accepted",
         "every row counted as a duplicate in `audit_row_reconciliation.duplicate_rows`; nothing staged twice", "-",
         "test_bad_input.py::test_bad_values_are_quarantined_or_parsed_by_rule"),
    Case("folder_in_raw_folder", "a folder inside a raw table folder (a partitioned export, `dt=.../`)", "warned",
         "named in the run report's `warnings` by table and folder; its files are not read",
         "put the Parquet files directly in the table's folder",
         "test_bad_input.py::test_a_folder_inside_a_raw_table_folder_is_named_not_skipped_silently"),
    Case("moved_landing_zone", "the same files under a new `PORTRAIT_RAW_DIR`", "accepted",
         "nothing changes: files are tracked relative to the landing zone", "-",
         "test_bad_input.py::test_bad_values_are_quarantined_or_parsed_by_rule"),
    # --- erasure requests: never held back by one that cannot be applied
    Case("erasure_invalid_identifier", "an erasure for `not-a-phone!!`", "answered",
         "`not_applicable`, reason `invalid_identifier`; the valid erasures beside it are applied and published",
         "tell the requester; delivered again in a usable form (same request id), it is applied",
         "test_bad_input.py::test_erasures_that_cannot_be_applied_are_answered_and_hold_back_nothing"),
    Case("erasure_placeholder", "an erasure for a placeholder (`13800138000`, a valid-looking phone on the placeholder list)", "answered",
         "`not_applicable`, reason `placeholder_identifier`", "as above",
         "test_bad_input.py::test_erasures_that_cannot_be_applied_are_answered_and_hold_back_nothing"),
    Case("erasure_unknown_type", "an erasure whose identifier type is unknown (`passport`)", "answered",
         "`not_applicable`, reason `quarantined_unmapped_enum` (the row is in `stg_quarantine__rows`)",
         "fix the request's type and deliver it again",
         "test_bad_input.py::test_erasures_that_cannot_be_applied_are_answered_and_hold_back_nothing"),
    Case("erasure_unknown_identifier", "an erasure for a valid identifier nobody has", "accepted",
         "`applied`: no one's rows removed but the request's own (a later delivery of it is suppressed)", "-",
         "test_bad_input.py::test_erasures_that_cannot_be_applied_are_answered_and_hold_back_nothing"),
    Case("mart_drop", "a mart has fewer rows than at the last publication by more than the share, at any size",
         "fails", "`FAILED <mart>: row count at least N (25% below the M published last ...)`; rows of persons "
         "erased since are allowed for; `agg_persona_summary` (k may change) is not compared",
         "find why; `--allow-drop MART` if expected",
         "test_bad_input.py::test_the_gate_checks_drops_at_every_size_less_erasures_and_overrides"),
    Case("erasure_ledger_check", "a check on the erasure ledger fails (e.g. its null rates rise)", "warned",
         "reported as a warning (`blocking: false`); never fails the gate; its dbt tests only warn", "-",
         "test_bad_input.py::test_the_gate_checks_drops_at_every_size_less_erasures_and_overrides"),
    Case("erasure_in_exports", "an erasure of a person an earlier channel export holds", "accepted",
         "the export's file is deleted at the next run; `marts.audit_export_erasures` names the export and "
         "request; the ledger loses the person's rows", "tell the export's recipient",
         "test_bad_input.py::test_erasures_that_cannot_be_applied_are_answered_and_hold_back_nothing"),
    Case("gate_fails_with_erasure", "the quality gate fails on a night that applied an erasure", "fails",
         "exit 1, but the last publication is published again without the erased persons "
         "(`erasure_publication: true` in the report)", "fix what the gate names, run again",
         "test_bad_input.py::test_a_failed_run_still_publishes_the_erasure[gate]"),
    Case("dbt_test_fails_with_erasure", "a dbt test fails on a night with an erasure", "fails",
         "exit 1, but when the erasure models built (a failing test skips only what lies downstream of it) the "
         "last publication is published again without the erased persons and export files holding them are "
         "deleted", "fix what the test names, run again",
         "test_bad_input.py::test_a_failed_run_still_publishes_the_erasure[dbt_test]"),
    Case("refused_with_erasure", "the preflight refuses a raw table (missing, or fewer rows) while an erasure "
         "request is pending", "fails",
         "the run builds all the same to apply the erasure, publishes the last publication without the erased "
         "persons, then exits 1 with the refusal (`failed_step: preflight`)", "as for the refusal",
         "test_bad_input.py::test_a_failed_run_still_publishes_the_erasure[refused_table]"),
    Case("unreadable_publication", "the published file is empty or not a DuckDB file", "warned",
         "moved aside (`.unreadable-<run id>`), a new one published from the private warehouse",
         "nothing to do", "test_bad_input.py::test_an_unreadable_publication_is_rebuilt"),
    # --- faults during a run
    Case("kill_at_step", "`kill -9` at the start of a step (preflight, copy, build, validate, publish, swap)", "fails",
         "nothing anyone sees changes and no report claims anything; the next run removes the leftovers",
         "run again", "test_run.py::test_a_run_killed_at_each_step_leaves_whole_versions_and_a_report_of_what_was_published[step:validate]"),
    Case("kill_midway", "`kill -9` during the build", "fails", "nothing published changes; the next run cleans up",
         "run again", "test_run.py::test_a_run_killed_midway_changes_nothing_and_the_next_run_publishes_while_bi_reads"),
    Case("kill_before_exports", "`kill -9` after the published file's rename, before the Parquet exports' switch, "
         "or before the channel exports", "fails",
         "the run report on disk names the new publication (`swap`, or `status: published`); the Parquet exports "
         "stay the last complete set until the next run", "run again",
         "test_run.py::test_a_run_killed_at_each_step_leaves_whole_versions_and_a_report_of_what_was_published[before-exports-switch]"),
    Case("kill_during_channel_export", "`kill -9` while a channel export is written", "fails",
         "no file appears in the vendor's folder; the next export puts a file the ledger recorded in place, and "
         "drops one it did not (its persons go in the next file): no one is sent twice or lost", "export again",
         "test_activation.py::test_an_export_killed_midway_is_settled_by_the_next_and_no_one_is_sent_twice[export-before-rename]"),
    Case("kill_during_swap", "`kill -9` between the final renames", "fails",
         "each file a complete version; the run report (`status: swapping`, `swap`) says which renames were done",
         "run again", "test_run.py::test_a_run_killed_between_the_two_swaps_leaves_each_file_a_complete_version"),
    Case("out_of_memory", "DuckDB runs out of memory in some nodes", "accepted",
         "the failed nodes are retried alone (`memory_retries` in the report)", "-",
         "test_run.py::test_nodes_that_ran_out_of_memory_are_retried_alone_and_the_run_publishes"),
]

OUTCOMES = {"fails", "quarantined", "accepted", "answered", "warned"}


def render_table() -> str:
    lines = ["| bad input | outcome | what you see | how to recover | test |", "|---|---|---|---|---|"]
    for case in CASES:
        lines.append(f"| {case.input} | **{case.outcome}** | {case.detail} | {case.recovery} | `{case.test}` |")
    return "\n".join(lines)


def render_into(text: str) -> str:
    """`text` (docs/operations.md) with the table between its markers replaced."""
    if START not in text or END not in text:
        raise ValueError(f"{DOC} lacks the markers {START!r} ... {END!r}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{render_table()}\n{END}{tail}"


def case(case_id: str) -> Case:
    return next(c for c in CASES if c.id == case_id)


if __name__ == "__main__":
    DOC.write_text(render_into(DOC.read_text()))
    print(f"wrote the bad-input table of {DOC}", file=sys.stderr)
