"""Every ```sql example in README.md and docs/ runs against the `tiny` publication.

Blocks are collected from the Markdown itself (test ids are `file:line` of the opening
fence). Each block runs read-only against the published file of the session's tiny
`portrait run` (`tiny_nightly`, shared with test_run.py: no build of its own), one
statement at a time; a statement that returns a result must return at least one row.
Leading comment lines of a block may carry markers:

    -- private file   run against the private warehouse (staging, intermediate, ...)
    -- may be empty   a result without rows is fine
    -- not run        not a runnable query (a template, a placeholder): skipped here,
                      still held to the `marts.` rule below

Mart tables must be written `marts.<table>` in every block: the published file still has
deprecated `main.<table>` views, so an unqualified name would run here and break once
they are gone; `test_sql_blocks_qualify_mart_tables` catches it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from portrait.paths import PROJECT_DIR
from portrait.publish import MARTS_SCHEMA, PUBLICATION_TABLE
from warehouse_fixtures import Nightly

MARKERS = {"private file", "may be empty", "not run"}
OPEN_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")


@dataclass(frozen=True)
class Block:
    file: str  # relative to the project
    line: int  # of the opening fence, 1-based
    sql: str
    markers: frozenset[str]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def doc_files() -> list[Path]:
    return [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").rglob("*.md"))]


def leading_markers(sql: str) -> frozenset[str]:
    """Markers named in the comment lines a block starts with (`-- private file`, ...)."""
    found = set()
    for line in sql.splitlines():
        text = line.strip()
        if not text:
            continue
        if not text.startswith("--"):
            break
        words = " ".join(text.lstrip("-").lower().replace(",", " ").split())
        found |= {marker for marker in MARKERS if marker in words}
    return frozenset(found)


def sql_blocks(path: Path) -> list[Block]:
    """The ```sql (or ~~~sql) fenced blocks of one Markdown file, in order."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = OPEN_FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, start = match["fence"], i
        close = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        i += 1
        body = []
        while i < len(lines) and not close.match(lines[i]):
            body.append(lines[i])
            i += 1
        i += 1  # past the closing fence (or the end of the file)
        if match["info"].lower() == "sql":
            sql = "\n".join(body)
            blocks.append(Block(str(path.relative_to(PROJECT_DIR)), start + 1, sql, leading_markers(sql)))
    return blocks


BLOCKS = [block for path in doc_files() for block in sql_blocks(path)]


def mart_names() -> set[str]:
    """Every table of the `marts` schema: the models under models/marts/ (SQL and Python)
    and the publication's own table."""
    models = [p for p in (PROJECT_DIR / "models" / "marts").rglob("*") if p.suffix in {".sql", ".py"}]
    return {p.stem.lower() for p in models} | {PUBLICATION_TABLE}


# A possibly dotted, possibly quoted name: `dim_person`, `marts.dim_person`, `"marts"."dim_person"`.
DOTTED_NAME = re.compile(r'(?<![\w".])"?\w+"?(?:\s*\.\s*"?\w+"?)*')


def strip_comments_and_strings(sql: str) -> str:
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    sql = re.sub(r"--[^\n]*", " ", sql)
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def unqualified_marts(sql: str, names: set[str]) -> list[str]:
    """References to a mart table not written as `marts.<table>` (comments and string
    literals ignored; `dim_person.city`, a column qualified by its table, is fine)."""
    found = []
    for match in DOTTED_NAME.finditer(strip_comments_and_strings(sql)):
        parts = [part.strip().strip('"').lower() for part in match.group().split(".")]
        if parts[-1] in names and (len(parts) < 2 or parts[-2] != MARTS_SCHEMA):
            found.append(match.group())
    return found


def test_blocks_are_found():
    """The collector sees the README's examples (a broken parser would run nothing)."""
    assert any(block.file == "README.md" for block in BLOCKS), "no ```sql block found in README.md"


def test_unqualified_marts_detector():
    names = {"dim_person", "fct_orders"}
    assert unqualified_marts("select count(*) from dim_person", names) == ["dim_person"]
    assert unqualified_marts("select * from main.fct_orders join x using (person_id)", names) == ["main.fct_orders"]
    assert unqualified_marts('select * from "dim_person"', names) == ['"dim_person"']
    assert unqualified_marts("select * from marts.dim_person p join marts.fct_orders o using (person_id)", names) == []
    assert unqualified_marts('select * from "marts"."dim_person"', names) == []
    assert unqualified_marts("select dim_person.city from marts.dim_person", names) == []
    assert unqualified_marts("-- from dim_person\nselect 'dim_person' /* fct_orders */ from marts.fct_orders", names) == []
    assert unqualified_marts("select * from my_dim_person_copy", names) == []


@pytest.mark.parametrize("block", BLOCKS, ids=[block.where for block in BLOCKS])
def test_sql_blocks_qualify_mart_tables(block: Block):
    found = unqualified_marts(block.sql, mart_names())
    assert not found, f"{block.where}: write mart tables as marts.<table>: {found}"


def test_mart_names_cover_the_publication(tiny_nightly: Nightly):
    """The names the check above knows include every table the publication's `marts` holds."""
    with duckdb.connect(str(tiny_nightly.publish), read_only=True) as con:
        published = {row[0].lower() for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = ?", [MARTS_SCHEMA]).fetchall()}
    assert published, "the publication has no marts tables"
    assert published <= mart_names(), f"published marts not under models/marts/: {sorted(published - mart_names())}"


def runnable(block: Block):
    marks = [pytest.mark.skip(reason="marked `-- not run`")] if "not run" in block.markers else []
    return pytest.param(block, id=block.where, marks=marks)


@pytest.mark.parametrize("block", [runnable(block) for block in BLOCKS])
def test_sql_block_runs(block: Block, tiny_nightly: Nightly):
    private = "private file" in block.markers
    path = tiny_nightly.private if private else tiny_nightly.publish
    label = f"{block.where} ({'private' if private else 'published'} file)"
    with duckdb.connect(str(path), read_only=True) as con:
        statements = con.extract_statements(block.sql)
        assert statements, f"{label}: no statement"
        for number, statement in enumerate(statements, 1):
            try:
                result = con.execute(statement)
                rows = result.fetchmany(1) if result.description is not None else None
            except duckdb.Error as error:
                pytest.fail(f"{label}, statement {number}:\n{statement.query.strip()}\n{error}")
            if rows is not None and "may be empty" not in block.markers:
                assert rows, (f"{label}, statement {number} returned no rows (mark the block "
                              f"`-- may be empty` if that is expected):\n{statement.query.strip()}")
