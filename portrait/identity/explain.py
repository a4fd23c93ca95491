"""`portrait explain`: why identifiers are one person, or why they are apart."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from portrait.db import first_row, scalar
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

from portrait.identity.canonical import canonical

EDGE_COLUMNS = (
    "identifier_type_a, identifier_value_a, identifier_type_b, identifier_value_b, "
    "source_table, rule, is_used, drop_reason, supporting_rows, first_seen_at, last_seen_at"
)


@dataclass(frozen=True)
class Identifier:
    type: str
    value: str

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


def parse_identifier(text: str) -> Identifier:
    if ":" not in text:
        raise ValueError(f"expected TYPE:VALUE (e.g. phone:13812345678), got {text!r}")
    identifier_type, raw = text.split(":", 1)
    value = canonical(identifier_type.strip(), raw)
    if value is None:
        raise ValueError(f"{raw!r} is not a valid {identifier_type}")
    return Identifier(identifier_type.strip(), value)


def _person_of(con: duckdb.DuckDBPyConnection, ident: Identifier) -> str | None:
    row = first_row(
        con,
        "select person_id from intermediate.int_identity__person_map "
        "where identifier_type = ? and identifier_value = ?",
        [ident.type, ident.value],
    )
    return row[0] if row else None


def _path(edges: list[tuple], start: Identifier, goal: Identifier) -> list[tuple] | None:
    """Shortest path of edges from start to goal (breadth-first), or None."""
    keys: dict[tuple[str, str], int] = {}
    for e in edges:
        keys.setdefault((e[0], e[1]), len(keys))
        keys.setdefault((e[2], e[3]), len(keys))
    s, g = keys.get((start.type, start.value)), keys.get((goal.type, goal.value))
    if s is None or g is None:
        return None
    a = np.array([keys[(e[0], e[1])] for e in edges])
    b = np.array([keys[(e[2], e[3])] for e in edges])
    graph = coo_matrix((np.ones(len(edges)), (a, b)), shape=(len(keys), len(keys))).tocsr()
    _, predecessors = breadth_first_order(graph, s, directed=False, return_predecessors=True)
    if g != s and predecessors[g] < 0:
        return None
    by_pair: dict[frozenset, tuple] = {}
    for e, i, j in zip(edges, a, b):
        by_pair.setdefault(frozenset((int(i), int(j))), e)
    hops, node = [], g
    while node != s:
        previous = int(predecessors[node])
        hops.append(by_pair[frozenset((previous, int(node)))])
        node = previous
    return hops[::-1]


def _neighbourhood(con: duckdb.DuckDBPyConnection, start: Identifier, goal: Identifier,
                   max_hops: int = 8, max_edges: int = 200_000) -> list[tuple]:
    """Edges (used or not) reachable from `start` within `max_hops`, stopping at `goal`."""
    con.execute("create or replace temp table frontier as select ? as t, ? as v", [start.type, start.value])
    con.execute("create or replace temp table seen_nodes as select * from frontier")
    con.execute(f"create or replace temp table found as select {EDGE_COLUMNS} "
                "from intermediate.int_identity__edges where false")
    for _ in range(max_hops):
        con.execute(f"""
            create or replace temp table step as
            select {EDGE_COLUMNS} from intermediate.int_identity__edges e
            where exists (select 1 from frontier f where (f.t = e.identifier_type_a and f.v = e.identifier_value_a)
                                                     or (f.t = e.identifier_type_b and f.v = e.identifier_value_b))""")
        con.execute("insert into found select * from step except select * from found")
        con.execute("""
            create or replace temp table frontier as
            select identifier_type_a as t, identifier_value_a as v from step
            union select identifier_type_b, identifier_value_b from step
            except select t, v from seen_nodes""")
        con.execute("insert into seen_nodes select * from frontier")
        reached = scalar(con, "select count(*) from seen_nodes where t = ? and v = ?", [goal.type, goal.value])
        size = scalar(con, "select count(*) from found")
        if reached or size > max_edges or scalar(con, "select count(*) from frontier") == 0:
            break
    return con.execute("select * from found").fetchall()


def _format_edge(e: tuple) -> str:
    verdict = "used" if e[6] else f"DROPPED ({e[7]})"
    seen = f"{e[9]:%Y-%m-%d} .. {e[10]:%Y-%m-%d}" if e[9] is not None else "steward override"
    return (f"  {e[0]}:{e[1]}  <->  {e[2]}:{e[3]}\n"
            f"      from {e[4]} by rule {e[5]}, {e[8]} supporting row(s), seen {seen}: {verdict}")


def explain(db_path: str, identifiers: list[str]) -> tuple[int, str]:
    """Return (exit code, text) explaining one or two identifiers."""
    idents = [parse_identifier(t) for t in identifiers]
    con = duckdb.connect(db_path, read_only=True)
    try:
        lines: list[str] = []
        persons = [_person_of(con, i) for i in idents]
        for ident, person in zip(idents, persons):
            lines.append(f"{ident}: " + (f"person {person}" if person else "not a person's identifier "
                                         "(never seen in a staged row, or a placeholder)"))
        if len(idents) == 1:
            ident, person = idents[0], persons[0]
            rows = con.execute(
                f"select {EDGE_COLUMNS} from intermediate.int_identity__edges "
                "where (identifier_type_a = ? and identifier_value_a = ?) "
                "or (identifier_type_b = ? and identifier_value_b = ?) order by is_used desc, source_table",
                [ident.type, ident.value, ident.type, ident.value],
            ).fetchall()
            if person:
                members = con.execute(
                    "select identifier_type, identifier_value from intermediate.int_identity__person_map "
                    "where person_id = ? order by identifier_type, identifier_value", [person]).fetchall()
                lines.append(f"person {person} has {len(members)} identifier(s): "
                             + ", ".join(f"{t}:{v}" for t, v in members[:30]) + (" ..." if len(members) > 30 else ""))
            lines.append(f"edges touching {ident} ({len(rows)}):")
            lines.extend(_format_edge(e) for e in rows[:50])
            return (0 if person else 1), "\n".join(lines)

        if len(idents) != 2:
            raise ValueError("give one identifier, or two to compare")
        first, second = idents
        if persons[0] and persons[0] == persons[1]:
            used = con.execute(
                f"select {EDGE_COLUMNS} from intermediate.int_identity__edges e "
                "where is_used and exists (select 1 from intermediate.int_identity__person_map m "
                "where m.person_id = ? and m.identifier_type = e.identifier_type_a "
                "and m.identifier_value = e.identifier_value_a)", [persons[0]]).fetchall()
            hops = _path(used, first, second) or []
            lines.append(f"ONE PERSON: {first} and {second} are linked by {len(hops)} edge(s):")
            lines.extend(_format_edge(e) for e in hops)
            return 0, "\n".join(lines)

        lines.append(f"TWO PERSONS: {first} and {second} are not linked.")
        hops = _path(_neighbourhood(con, first, second), first, second)
        if hops is None:
            lines.append("No staged row links them, directly or through other identifiers (no path).")
        else:
            dropped = [e for e in hops if not e[6]]
            lines.append(f"A path of {len(hops)} edge(s) exists, but {len(dropped)} of them were dropped:")
            lines.extend(_format_edge(e) for e in hops)
        return 0, "\n".join(lines)
    finally:
        con.close()
