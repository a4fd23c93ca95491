"""Audiences as code: the one compiler from an audience's YAML to SQL.

A marketer declares each audience once, in `models/activation/audiences/*.yml` (a pull
request), under a top-level `audiences:` list. This module reads those files, checks them
against what the warehouse publishes, and turns each audience into one SQL query over the
published `marts.*` relations, the same text for the dbt models, the CLI and the
dashboard (docs/activation.md).

An audience:

```yaml
audiences:
  - code: win_back_high_value        # immutable; never reused (see _retired_codes.yml)
    name_zh: 高价值流失挽回
    name_en: Win back lapsing high-value buyers
    owner: crm@retailer.example
    description: ...
    extends: null                    # optional: the members of another audience, narrowed
    include:                         # every predicate must hold (in this order)
      - {segment: value_tier, op: in, value: [vip, high]}
      - {tag: lapsed_buyer}
      - {column: churn_probability, op: '>=', value: 0.5}
    exclude:                         # a person matching any of these is left out
      - {tag: complainer_365d}
    channels: [sms, wechat]          # where `portrait run` sends it after publishing
    cap: {size: 10000, order_by: churn_probability, direction: desc}
    control_share: 0.1               # held out of every export, by a sticky hash
```

Predicates: `{column: C, op: O, value: V}` over a person attribute (a column of
`marts.dim_person`, else of `marts.fct_person_metrics`); `{tag: T}` (the person carries
tag T) or `{tag: T, op: in, value: [...]}` (with one of these values); `{segment: S, op:
in, value: [...]}` (the person's segment in scheme S). Operators: `=`, `!=`, `<`, `<=`,
`>`, `>=`, `in`, `not_in`, `between` (a two-element list), `is_null`, `is_not_null`,
`is_true`, `is_false`. A NULL attribute never satisfies an include predicate and never
triggers an exclude one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from portrait.paths import PROJECT_DIR

AUDIENCE_DIR = PROJECT_DIR / "models" / "activation" / "audiences"
RETIRED_FILE_NAME = "_retired_codes.yml"
SCHEMES = ("rfm", "lifecycle", "aipl", "value_tier", "persona")
CHANNELS = ("sms", "email", "wechat", "ad_meta", "ad_google", "ad_tencent")
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between", "is_null", "is_not_null", "is_true",
             "is_false")
NO_VALUE = ("is_null", "is_not_null", "is_true", "is_false")
KEYS = {"code", "name_zh", "name_en", "owner", "description", "extends", "include", "exclude", "channels", "cap",
        "control_share", "lookalike"}
REQUIRED = ("code", "name_zh", "name_en", "owner", "description")
CODE_PATTERN = r"[a-z][a-z0-9_]{2,62}"


class AudienceError(ValueError):
    """An audience that cannot compile; the message names the audience, its file and the problem."""

    def __init__(self, code: str | None, problem: str, source: Path | None = None) -> None:
        where = f" ({source.relative_to(PROJECT_DIR) if source and source.is_relative_to(PROJECT_DIR) else source})" \
            if source else ""
        super().__init__(f"audience {code or '?'}{where}: {problem}")
        self.code = code
        self.problem = problem


@dataclass(frozen=True)
class Predicate:
    kind: str       # column, tag or segment
    name: str       # the column, tag code or scheme
    op: str | None
    value: object = None


@dataclass(frozen=True)
class Cap:
    size: int
    order_by: str
    direction: str = "desc"


@dataclass(frozen=True)
class Lookalike:
    seed: str
    size: int


@dataclass(frozen=True)
class Audience:
    code: str
    name_zh: str
    name_en: str
    owner: str
    description: str
    source: Path
    extends: str | None = None
    include: tuple[Predicate, ...] = ()
    exclude: tuple[Predicate, ...] = ()
    channels: tuple[str, ...] = ()
    cap: Cap | None = None
    control_share: float = 0.0
    lookalike: Lookalike | None = None

    def definition(self) -> str:
        """The definition as text, as `dim_audience` shows it."""
        parts = [f"extends {self.extends}"] if self.extends else []
        if self.lookalike:
            parts.append(f"lookalike of {self.lookalike.seed}, the {self.lookalike.size} most similar")
        parts += [f"include {describe(p)}" for p in self.include]
        parts += [f"exclude {describe(p)}" for p in self.exclude]
        if self.cap:
            parts.append(f"cap {self.cap.size} by {self.cap.order_by} {self.cap.direction}")
        if self.control_share:
            parts.append(f"control {self.control_share:.0%}")
        return "; ".join(parts)


@dataclass
class Catalog:
    """What the warehouse publishes about persons: attribute columns with their DuckDB
    types and the relation holding each, tag codes, and segment codes per scheme."""
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (relation alias, type)
    tags: set[str] = field(default_factory=set)
    segments: dict[str, set[str]] = field(default_factory=dict)


def describe(predicate: Predicate) -> str:
    if predicate.kind == "tag" and predicate.op is None:
        return f"tag {predicate.name}"
    subject = f"{predicate.kind} {predicate.name}" if predicate.kind != "column" else predicate.name
    if predicate.op in NO_VALUE:
        return f"{subject} {predicate.op}"
    return f"{subject} {predicate.op} {predicate.value!r}"


# ----------------------------------------------------------------------------- reading the files
def _predicate(code: str, raw: object, source: Path) -> Predicate:
    if not isinstance(raw, dict):
        raise AudienceError(code, f"a predicate must be a mapping, not {raw!r}", source)
    kinds = [k for k in ("column", "tag", "segment") if k in raw]
    if len(kinds) != 1:
        raise AudienceError(code, f"a predicate names exactly one of column, tag or segment: {raw!r}", source)
    unknown = set(raw) - {kinds[0], "op", "value"}
    if unknown:
        raise AudienceError(code, f"unknown predicate key(s) {sorted(unknown)} in {raw!r}", source)
    kind = kinds[0]
    op = raw.get("op")
    if kind == "tag" and op is None:
        if "value" in raw:
            raise AudienceError(code, f"a tag predicate with a value needs an op: {raw!r}", source)
    elif op not in OPERATORS:
        raise AudienceError(code, f"unknown operator {op!r} in {raw!r} (operators: {', '.join(OPERATORS)})", source)
    if op in NO_VALUE and "value" in raw:
        raise AudienceError(code, f"operator {op} takes no value: {raw!r}", source)
    if op is not None and op not in NO_VALUE and "value" not in raw:
        raise AudienceError(code, f"operator {op} needs a value: {raw!r}", source)
    value = raw.get("value")
    if op in ("in", "not_in") and (not isinstance(value, list) or not value):
        raise AudienceError(code, f"operator {op} needs a non-empty list: {raw!r}", source)
    if op == "between" and (not isinstance(value, list) or len(value) != 2):
        raise AudienceError(code, f"operator between needs [low, high]: {raw!r}", source)
    if kind == "segment" and op not in ("=", "!=", "in", "not_in"):
        raise AudienceError(code, f"a segment predicate takes =, !=, in or not_in: {raw!r}", source)
    return Predicate(kind=kind, name=str(raw[kind]), op=op, value=tuple(value) if isinstance(value, list) else value)


def _audience(raw: object, source: Path) -> Audience:
    import re

    if not isinstance(raw, dict):
        raise AudienceError(None, f"an audience must be a mapping, not {raw!r}", source)
    code = raw.get("code")
    if not isinstance(code, str) or not re.fullmatch(CODE_PATTERN, code):
        raise AudienceError(str(code), f"code must match {CODE_PATTERN} (lower case, digits, underscores)", source)
    unknown = set(raw) - KEYS
    if unknown:
        raise AudienceError(code, f"unknown key(s) {sorted(unknown)} (keys: {', '.join(sorted(KEYS))})", source)
    missing = [key for key in REQUIRED if not raw.get(key)]
    if missing:
        raise AudienceError(code, f"missing {', '.join(missing)}", source)
    channels = tuple(raw.get("channels") or ())
    bad = [c for c in channels if c not in CHANNELS]
    if bad:
        raise AudienceError(code, f"unknown channel(s) {bad} (channels: {', '.join(CHANNELS)})", source)
    cap = None
    if raw.get("cap") is not None:
        spec = raw["cap"]
        if not isinstance(spec, dict) or not isinstance(spec.get("size"), int) or spec["size"] < 1 \
                or not spec.get("order_by") or spec.get("direction", "desc") not in ("asc", "desc"):
            raise AudienceError(code, f"cap needs size (a positive integer), order_by (a column) and "
                                      f"direction asc or desc: {spec!r}", source)
        cap = Cap(size=spec["size"], order_by=spec["order_by"], direction=spec.get("direction", "desc"))
    share = raw.get("control_share") or 0.0
    if not isinstance(share, (int, float)) or not 0 <= share < 1:
        raise AudienceError(code, f"control_share must be a share in [0, 1), not {share!r}", source)
    include = tuple(_predicate(code, p, source) for p in raw.get("include") or ())
    exclude = tuple(_predicate(code, p, source) for p in raw.get("exclude") or ())
    lookalike = None
    if raw.get("lookalike") is not None:
        spec = raw["lookalike"]
        if not isinstance(spec, dict) or not isinstance(spec.get("seed"), str) \
                or not isinstance(spec.get("size"), int) or spec["size"] < 1 or set(spec) - {"seed", "size"}:
            raise AudienceError(code, f"lookalike needs seed (an audience code) and size (a positive integer): "
                                      f"{spec!r}", source)
        if include or exclude or raw.get("extends") or cap:
            raise AudienceError(code, "a lookalike audience is the top `size` of its seed's lookalike scores: "
                                      "it takes no include, exclude, extends or cap", source)
        lookalike = Lookalike(seed=spec["seed"], size=spec["size"])
    elif not include and not raw.get("extends"):
        raise AudienceError(code, "needs at least one include predicate or an extends (everyone is not an audience)",
                            source)
    return Audience(code=code, name_zh=str(raw["name_zh"]), name_en=str(raw["name_en"]), owner=str(raw["owner"]),
                    description=" ".join(str(raw["description"]).split()), source=source,
                    extends=raw.get("extends"), include=include, exclude=exclude, channels=channels, cap=cap,
                    control_share=float(share), lookalike=lookalike)


def retired_codes(folder: Path = AUDIENCE_DIR) -> set[str]:
    path = folder / RETIRED_FILE_NAME
    if not path.exists():
        return set()
    data = yaml.safe_load(path.read_text()) or {}
    return {str(entry["code"] if isinstance(entry, dict) else entry) for entry in data.get("retired") or ()}


def load(folder: Path = AUDIENCE_DIR) -> dict[str, Audience]:
    """Every audience of `folder`, checked for what needs no warehouse: the shape of each,
    duplicate codes, retired codes and `extends` (unknown base, cycles)."""
    retired = retired_codes(folder)
    audiences: dict[str, Audience] = {}
    for path in sorted(folder.glob("*.yml")):
        if path.name == RETIRED_FILE_NAME:
            continue
        data = yaml.safe_load(path.read_text()) or {}
        for raw in data.get("audiences") or ():
            audience = _audience(raw, path)
            if audience.code in audiences:
                raise AudienceError(audience.code, f"duplicate code: also declared in "
                                                   f"{audiences[audience.code].source.name}", path)
            if audience.code in retired:
                raise AudienceError(audience.code, f"the code is retired ({RETIRED_FILE_NAME}): a code is never "
                                                   "reused; choose a new one", path)
            audiences[audience.code] = audience
    for audience in audiences.values():
        if audience.lookalike:
            seed = audiences.get(audience.lookalike.seed)
            if seed is None:
                raise AudienceError(audience.code, f"lookalike of unknown audience {audience.lookalike.seed!r}",
                                    audience.source)
            if seed.lookalike:
                raise AudienceError(audience.code, f"the seed {seed.code} is itself a lookalike", audience.source)
        seen = [audience.code]
        base = audience.extends
        while base is not None:
            if base not in audiences:
                raise AudienceError(audience.code, f"extends unknown audience {base!r}", audience.source)
            if base in seen:
                raise AudienceError(audience.code, f"extends cycle: {' -> '.join([*seen, base])}", audience.source)
            seen.append(base)
            base = audiences[base].extends
    return audiences


# ----------------------------------------------------------------------------- the warehouse's catalogue
PERSON_RELATIONS = (("person", "dim_person"), ("metrics", "fct_person_metrics"))


def catalog_from(con, schema: str = "marts") -> Catalog:
    """The catalogue of a warehouse or publication (a DuckDB connection)."""
    catalog = Catalog()
    for alias, relation in PERSON_RELATIONS:
        rows = con.execute("select column_name, data_type from information_schema.columns "
                           "where table_schema = ? and table_name = ? order by ordinal_position",
                           [schema, relation]).fetchall()
        for name, data_type in rows:
            catalog.columns.setdefault(name, (alias, data_type))
    catalog.tags = {r[0] for r in con.execute(f"select tag_code from {schema}.dim_tag").fetchall()}
    for scheme, segment in con.execute(f"select distinct scheme, segment_code from {schema}.agg_segment_summary"
                                       ).fetchall():
        catalog.segments.setdefault(scheme, set()).add(segment)
    return catalog


def load_checked(con, folder: Path = AUDIENCE_DIR) -> tuple[dict[str, Audience], Catalog]:
    """The audiences of `folder` and the catalogue of the warehouse `con` connects to, the
    audiences checked against it (what the dbt models and the CLI start from)."""
    audiences = load(folder)
    catalog = catalog_from(con)
    validate(audiences, catalog)
    return audiences, catalog


def validate(audiences: dict[str, Audience], catalog: Catalog) -> None:
    """Every name an audience uses exists in `catalog`; raises AudienceError otherwise."""
    for audience in audiences.values():
        for predicate in (*audience.include, *audience.exclude):
            if predicate.kind == "column" and predicate.name not in catalog.columns:
                raise AudienceError(audience.code, f"unknown column {predicate.name!r}: not a column of "
                                                   "marts.dim_person or marts.fct_person_metrics", audience.source)
            if predicate.kind == "column" and predicate.op in ("is_true", "is_false") \
                    and catalog.columns[predicate.name][1].upper() != "BOOLEAN":
                raise AudienceError(audience.code, f"{predicate.op} needs a boolean column; {predicate.name} is "
                                                   f"{catalog.columns[predicate.name][1]}", audience.source)
            if predicate.kind == "tag" and predicate.name not in catalog.tags:
                raise AudienceError(audience.code, f"unknown tag {predicate.name!r}: not in marts.dim_tag",
                                    audience.source)
            if predicate.kind == "segment":
                if predicate.name not in SCHEMES:
                    raise AudienceError(audience.code, f"unknown segment scheme {predicate.name!r} (schemes: "
                                                       f"{', '.join(SCHEMES)})", audience.source)
                values = predicate.value if isinstance(predicate.value, tuple) else (predicate.value,)
                known = catalog.segments.get(predicate.name)
                unknown = [v for v in values if known is not None and v not in known]
                if unknown and predicate.name != "persona":  # persona codes depend on the fit
                    raise AudienceError(audience.code, f"unknown {predicate.name} segment(s) {unknown} (known: "
                                                       f"{', '.join(sorted(known))})", audience.source)
        if audience.cap and audience.cap.order_by not in catalog.columns:
            raise AudienceError(audience.code, f"cap orders by unknown column {audience.cap.order_by!r}",
                                audience.source)


# ----------------------------------------------------------------------------- SQL
def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _condition(subject: str, predicate: Predicate) -> str:
    op, value = predicate.op, predicate.value
    if op == "is_null":
        return f"{subject} is null"
    if op == "is_not_null":
        return f"{subject} is not null"
    if op == "is_true":
        return f"{subject} = true"
    if op == "is_false":
        return f"{subject} = false"
    if op in ("in", "not_in"):
        items = ", ".join(_literal(v) for v in value)
        return f"{subject} {'in' if op == 'in' else 'not in'} ({items})"
    if op == "between":
        return f"{subject} between {_literal(value[0])} and {_literal(value[1])}"
    return f"{subject} {op} {_literal(value)}"


def _predicate_sql(predicate: Predicate, catalog: Catalog, schema: str) -> str:
    if predicate.kind == "column":
        alias = catalog.columns[predicate.name][0]
        return _condition(f'{alias}."{predicate.name}"', predicate)
    if predicate.kind == "segment":
        return _condition(f'person."{predicate.name}_segment"', predicate)
    tag_value = "" if predicate.op is None else " and " + _condition("tags.tag_value", predicate)
    return (f"exists (select 1 from {schema}.fct_person_tags as tags where tags.person_id = person.person_id "
            f"and tags.tag_code = {_literal(predicate.name)}{tag_value})")


def compile_sql(code: str, audiences: dict[str, Audience], catalog: Catalog, schema: str = "marts") -> str:
    """The members of audience `code` as SQL (one column, `person_id`), over `schema`."""
    audience = audiences[code]
    if audience.lookalike:
        return "\n".join([f"-- audience {code}: {audience.name_en}", "select scores.person_id",
                           f"from {schema}.fct_lookalike_scores as scores",
                           f"where scores.audience_code = {_literal(code)} and scores.rank <= {audience.lookalike.size}"])
    uses_metrics = any(p.kind == "column" and catalog.columns[p.name][0] == "metrics"
                       for p in (*audience.include, *audience.exclude)) \
        or (audience.cap is not None and catalog.columns[audience.cap.order_by][0] == "metrics")
    lines = [f"-- audience {code}: {audience.name_en}", "select person.person_id",
             f"from {schema}.dim_person as person"]
    if uses_metrics:
        lines.append(f"left join {schema}.fct_person_metrics as metrics on metrics.person_id = person.person_id")
    conditions = [f"({_predicate_sql(p, catalog, schema)})" for p in audience.include]
    conditions += [f"not coalesce(({_predicate_sql(p, catalog, schema)}), false)" for p in audience.exclude]
    if audience.extends:
        base = compile_sql(audience.extends, audiences, catalog, schema).replace("\n", "\n    ")
        conditions.append(f"person.person_id in (\n    {base}\n)")
    lines.append("where " + "\n    and ".join(conditions))
    if audience.cap:
        alias = catalog.columns[audience.cap.order_by][0]
        lines.append(f'order by {alias}."{audience.cap.order_by}" {audience.cap.direction} nulls last, '
                     "person.person_id")
        lines.append(f"limit {audience.cap.size}")
    return "\n".join(lines)


def control_sql(code_sql: str, person_sql: str, share_sql: str) -> str:
    """SQL true when a person is in an audience's control group: a sticky hash of audience
    and person (the first 32 bits of sha256("<code>:<person id>") below the share), so a
    person stays in or out of control across runs and exports; `is_control` in Python."""
    return (f"(('0x' || left(sha256({code_sql} || ':' || {person_sql}), 8))::ubigint "
            f"< {share_sql} * 4294967296)")


def is_control(code: str, person_id: str, share: float) -> bool:
    """The control draw of `control_sql`, in Python (exports and tests)."""
    import hashlib

    return int(hashlib.sha256(f"{code}:{person_id}".encode()).hexdigest()[:8], 16) < share * 4294967296


def members_sql(audiences: dict[str, Audience], catalog: Catalog, schema: str = "marts") -> str:
    """Every audience's members with their control flag: `audience_code`, `person_id`,
    `is_control`, one query (a union of each audience's compiled SQL)."""
    parts = []
    for code in sorted(audiences):
        if audiences[code].lookalike:
            continue  # its members come from the lookalike scores (int_lookalike__scores)
        share = audiences[code].control_share
        parts.append(f"select {_literal(code)} as audience_code, members.person_id, "
                     f"{control_sql(_literal(code), 'members.person_id', repr(share))} as is_control\n"
                     f"from (\n{compile_sql(code, audiences, catalog, schema)}\n) as members")
    return "\nunion all\n".join(parts)


__all__ = ["Audience", "AudienceError", "Lookalike", "Catalog", "Predicate", "load", "validate", "catalog_from", "compile_sql",
           "members_sql", "control_sql", "is_control", "retired_codes", "load_checked", "AUDIENCE_DIR"]
