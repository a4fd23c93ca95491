"""`generate()`: simulate every chunk, write the raw files of the arrival window, and the truth."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from . import config as C
from . import ids as I
from . import junk as J
from . import vocab as V
from .contract import IDENTIFIER_TYPES, JUNK_REASONS, RAW_CONTRACT
from .render import EventWriter, _list, install_macros, select_sql
from .simulate import ChunkData, simulate_chunk
from .truth import PSEUDO_STORE, chunk_identity, person_key_sql
from .util import take
from .world import World, build_world, rng_for

STATE_FILE = "_generator_state.json"
COMPONENTS_PER_CHUNK = 10_000_000  # reachable_key = R + chunk * 10^7 + component in the chunk
STORE_COMPONENTS = 9_900_000_000  # reachable_key of store phones
LINE_TABLES = {"shop_order_items", "pos_lines"}
#: the raw column that tells when a row arrived (junk.parquet `raw_arrival`); lines: none
ARRIVAL_TEXT = {
    "crm_members": "updated_at", "shop_accounts": "updated_at", "shop_orders": "updated_at",
    "wechat_users": "updated_at", "service_tickets": "updated_at", "app_events": "received_at",
    "pos_transactions": "txn_ts", "campaign_touches": "sent_at", "survey_responses": "submitted_at",
    "privacy_requests": "requested_at", "campaigns": "start_at",
}


class GeneratorError(ValueError):
    """A refused generate call (bad until, seed/scale mismatch with the existing raw zone)."""


def _date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _day(d: dt.date) -> int:
    return (d - C.HISTORY_START).days


def n_chunks(scale: C.Scale) -> int:
    return (scale.persons + C.CHUNK_PERSONS - 1) // C.CHUNK_PERSONS


def _say(msg: str) -> None:
    print(f"portrait generate: {msg}", file=sys.stderr)


def finish_chunk(world: World, chunk: int, cd: ChunkData) -> ChunkData:
    """Dirt after the simulation: junk of every kind, duplicate deliveries, arrival order."""
    rng = rng_for(world.seed, chunk, 1)
    t = cd.tables
    base = chunk * 100_000_000 + 90_000_000  # never-issued serials for orphan lines
    for name in ("crm_members", "shop_accounts", "shop_orders", "wechat_users", "pos_transactions",
                 "service_tickets", "campaign_touches", "survey_responses", "privacy_requests"):
        if name in t:
            t[name] = J.inject(rng, name, t[name], base)
    t["pos_lines"] = J._init(t["pos_lines"])
    J.mark_orphans(t["pos_lines"], t["pos_transactions"]["_junk"])
    t["pos_lines"] = J.inject(rng, "pos_lines", t["pos_lines"], base + 5_000_000)
    t["shop_order_items"] = J.inject(rng, "shop_order_items", t["shop_order_items"], base)
    t["app_events"] = J.inject(rng, "app_events", t["app_events"], base)
    t["app_events"] = J.duplicate_events(rng, t["app_events"])
    for name in list(t):
        order = np.argsort(t[name]["_arr"], kind="stable")
        t[name] = take(t[name], order)
    return cd


def campaign_table(world: World) -> dict[str, np.ndarray]:
    cp = world.campaigns
    n = cp.n
    return {
        "campaign": np.arange(n, dtype=np.int16), "name": np.array(cp.names, dtype=object),
        "objective": cp.objective, "channel": cp.channel, "start_ms": cp.start_ms, "end_ms": cp.end_ms,
        "_arr": cp.start_ms, "_junk": np.zeros(n, np.int8), "_jcol": np.zeros(n, np.int8),
        "_jv": np.zeros(n, np.int8),
    }


def _arrow(t: dict[str, np.ndarray], idx: np.ndarray) -> pa.Table:
    cols = {}
    for k, v in t.items():
        if k.startswith("_") and k not in ("_junk", "_jcol", "_jv"):
            continue
        cols[k] = pa.array(v[idx]) if v.dtype != object else pa.array(list(v[idx]), pa.string())
    return pa.table(cols)


class Writer:
    """Renders internal tables with DuckDB and writes Parquet."""

    def __init__(self, world: World, threads: int = 2):
        self.world = world
        self.con = duckdb.connect()
        self.con.execute(f"SET threads={threads}")
        self.con.execute("SET preserve_insertion_order=true")
        self.con.execute("SET enable_progress_bar=false")
        install_macros(self.con, world.seed)
        self.sql = {name: select_sql(name, world) for name in RAW_CONTRACT}
        self.events = EventWriter(self.con, world)

    def write(self, name: str, t: dict, idx: np.ndarray, path: Path) -> int:
        if name == "app_events":
            table = self.events.table(t, idx, self.sql[name])
            dict_cols = [c for c in RAW_CONTRACT[name] if c not in ("event_id", "event_ts", "received_at")]
            # one chunk per column: the bytes written then never depend on how DuckDB batched its output
            pq.write_table(table.select(RAW_CONTRACT[name]).combine_chunks(), path, compression="zstd",
                           store_schema=False, use_dictionary=dict_cols, write_statistics=False)
            return len(idx)
        exprs = ", ".join(f'{self.sql[name][c]} AS "{c}"' for c in RAW_CONTRACT[name])
        self.con.register("src", _arrow(t, idx))
        try:
            self.con.execute(
                f"COPY (SELECT {exprs} FROM src) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"
            )
        finally:
            self.con.unregister("src")
        return len(idx)

    def junk_rows(self, name: str, t: dict, idx: np.ndarray) -> pa.Table:
        key_col = RAW_CONTRACT[name][0]
        key = self.sql[name][key_col]
        line = "CAST(line_no AS VARCHAR)" if name in LINE_TABLES else "CAST(NULL AS VARCHAR)"
        arrival = ARRIVAL_TEXT.get(name)
        arrival = self.sql[name][arrival] if arrival else "CAST(NULL AS VARCHAR)"
        reasons = _list(JUNK_REASONS)
        self.con.register("src", _arrow(t, idx))
        try:
            return self.con.sql(
                f"SELECT '{name}' AS source_table, {key} AS raw_key, {reasons}[_junk] AS reason, "
                f"{line} AS raw_line_no, {arrival} AS raw_arrival FROM src"
            ).to_arrow_table()
        finally:
            self.con.unregister("src")


def _read_state(raw: Path) -> dict | None:
    f = raw / STATE_FILE
    if not f.exists():
        return None
    return json.loads(f.read_text())


@dataclass
class Window:
    """The arrival window a call writes: rows with lo_ms <= arrival < hi_ms."""

    out: Path
    lo_ms: int
    hi_ms: int
    tag: str
    batches: list[dict]


@dataclass
class ChunkJob:
    seed: int
    scale: str
    chunk: int
    window: Window
    tmp: Path
    threads: int = 2


@dataclass
class ChunkResult:
    files: list[str] = field(default_factory=list)
    rows_written: dict[str, int] = field(default_factory=dict)
    rows_delivered: dict[str, int] = field(default_factory=dict)
    junk: pa.Table | None = None
    persons: dict = field(default_factory=dict)
    uplift: dict = field(default_factory=dict)
    counters: dict = field(default_factory=dict)
    store_seen: list[int] = field(default_factory=list)
    conflicts: int = 0


_CACHE: dict[tuple, tuple[World, Writer]] = {}


def _workers(n_jobs: int) -> int:
    """Worker processes: PORTRAIT_GENERATE_WORKERS, else up to 2 (never more than the CPUs)."""
    env = os.environ.get("PORTRAIT_GENERATE_WORKERS")
    cpus = os.cpu_count() or 1
    if env:
        want = int(env)
    else:
        # a second process only pays when a core is idle; the data never depends on it
        busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        want = min(2, cpus) if busy < cpus - 1 else 1
    return max(1, min(want, n_jobs))


def _emit(writer: Writer, name: str, t: dict, part: int, w: Window, res: ChunkResult | None = None) -> ChunkResult:
    """Write one table's rows of the window; list its delivered junk rows."""
    res = res or ChunkResult()
    arr = t["_arr"]
    delivered = arr < w.hi_ms
    res.rows_delivered[name] = res.rows_delivered.get(name, 0) + int(delivered.sum())
    res.rows_written.setdefault(name, 0)
    idx = np.flatnonzero(delivered & (arr >= w.lo_ms))
    if len(idx):
        path = w.out / "raw" / name / f"{name}__{w.tag}__part{part:03d}.parquet"
        res.rows_written[name] += writer.write(name, t, idx, path)
        res.files.append(str(path.relative_to(w.out)))
    jidx = np.flatnonzero(delivered & (t["_junk"] > 0))
    if len(jidx):
        jt = writer.junk_rows(name, t, jidx)
        day = np.floor_divide(arr[jidx], C.DAY_MS)
        to_days = np.array([_day(dt.date.fromisoformat(b["to"])) for b in w.batches])
        b = np.minimum(np.searchsorted(to_days, day), len(w.batches) - 1)
        fname = [f"{name}__{w.batches[i]['from']}__{w.batches[i]['to']}__part{part:03d}.parquet" for i in b]
        dates = np.datetime64(C.HISTORY_START.isoformat()) + day.astype("timedelta64[D]")
        jt = jt.append_column("arrival_date", pa.array(dates, pa.date32()))
        jt = jt.append_column("file", pa.array(fname, pa.string()))
        res.junk = jt if res.junk is None else pa.concat_tables([res.junk, jt])
    return res


def run_chunk(job: ChunkJob) -> ChunkResult:
    """Simulate, dirty and write one chunk of persons (runs in a worker process or inline)."""
    key = (job.seed, job.scale, job.threads)
    if key not in _CACHE:
        world = build_world(job.seed, C.SCALES[job.scale])
        _CACHE.clear()
        _CACHE[key] = (world, Writer(world, threads=job.threads))
    world, writer = _CACHE[key]
    w = job.window
    cd = finish_chunk(world, job.chunk, simulate_chunk(world, job.chunk))
    writer.events.prepare(cd)
    res = ChunkResult()
    for name, t in cd.tables.items():
        _emit(writer, name, t, job.chunk, w, res)
    ident = chunk_identity(cd.tables, w.hi_ms, cd.shared_nodes, cd.shared_owner, world.store_phone)
    res.conflicts = int(ident["conflicts"])
    is_store = (ident["person"] <= PSEUDO_STORE) & (ident["person"] > PSEUDO_STORE - 100_000)
    res.store_seen = (PSEUDO_STORE - ident["person"][is_store]).tolist()
    keep = ~is_store
    _, comp = np.unique(ident["comp"][keep], return_inverse=True)
    _write_identity(writer, job.tmp / f"identity_{job.chunk:04d}.parquet", ident["node"][keep],
                    ident["person"][keep], comp + job.chunk * COMPONENTS_PER_CHUNK, ident["shared"][keep])
    res.persons = _person_rows(cd, w.hi_ms)
    res.uplift = cd.uplift
    res.counters = _chunk_counters(cd, w.hi_ms)
    return res


def generate(
    scale: str,
    seed: int,
    out: Path,
    until: dt.date | None = None,
    progress: bool = True,
) -> dict:
    """Generate the raw landing zone and the ground truth (see docs/generator.md).

    Writes `out/raw/<table>/<table>__<from>__<to>__partNNN.parquet` with the rows whose
    arrival local date lies in (previous until, until], and `out/truth/*.parquet` for
    everything delivered so far. Returns a summary dict.
    """
    t_start = time.time()
    if scale not in C.SCALES:
        raise GeneratorError(f"unknown scale {scale!r}; choose one of {', '.join(C.SCALES)}")
    until = _date(until) or C.AS_OF_DATE
    if until > C.AS_OF_DATE:
        raise GeneratorError(
            f"--until {until} is after the dataset's as-of date {C.AS_OF_DATE}: "
            "the days after it are the truth's future window and are never delivered"
        )
    if until < C.DATA_START:
        raise GeneratorError(f"--until {until} is before the first data ({C.DATA_START})")
    out = Path(out)
    raw, truth = out / "raw", out / "truth"
    state = _read_state(raw)
    if state is not None:
        if state["seed"] != seed or state["scale"] != scale:
            raise GeneratorError(
                f"{raw} holds data of seed {state['seed']} scale {state['scale']!r}; refusing to add "
                f"seed {seed} scale {scale!r} to it (use another --out or delete it)"
            )
        last = dt.date.fromisoformat(state["until"])
        if until <= last:
            msg = f"nothing to do: {raw} already holds everything received up to {last} (asked {until})"
            _say(msg)
            return {"noop": True, "message": msg, "scale": scale, "seed": seed, "until": str(last),
                    "files": [], "rows": {}}
        batches = state["batches"]
        frm = last + dt.timedelta(days=1)
    else:
        if raw.exists() and any(raw.glob("*/*.parquet")):
            raise GeneratorError(
                f"{raw} already holds raw files but no {STATE_FILE}: refusing to mix generated data "
                "into it (use another --out or empty it)"
            )
        batches = []
        frm = C.DATA_START
    batches = batches + [{"from": str(frm), "to": str(until)}]
    lo_ms = (_day(frm)) * C.DAY_MS if state is not None else -(2**62)
    hi_ms = (_day(until) + 1) * C.DAY_MS  # arrival < hi_ms  <=>  arrival local date <= until

    world = build_world(seed, C.SCALES[scale])
    writer = Writer(world)
    tmp = truth / ".parts"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name in RAW_CONTRACT:
        (raw / name).mkdir(parents=True, exist_ok=True)

    files: list[str] = []
    rows_written = {name: 0 for name in RAW_CONTRACT}
    rows_delivered = {name: 0 for name in RAW_CONTRACT}
    junk_parts: list[pa.Table] = []
    person_parts: list[dict] = []
    store_seen: set[int] = set()
    uplift_tot: dict[str, np.ndarray] | None = None
    conflicts = 0
    counters: dict[str, float] = {}
    tag = f"{frm}__{until}"
    window = Window(out=out, lo_ms=lo_ms, hi_ms=hi_ms, tag=tag, batches=batches)

    def collect(res: ChunkResult) -> None:
        nonlocal uplift_tot, conflicts
        files.extend(res.files)
        for k, v in res.rows_written.items():
            rows_written[k] += v
        for k, v in res.rows_delivered.items():
            rows_delivered[k] += v
        if res.junk is not None:
            junk_parts.append(res.junk)
        person_parts.append(res.persons)
        store_seen.update(res.store_seen)
        uplift_tot = res.uplift if uplift_tot is None else {k: uplift_tot[k] + v for k, v in res.uplift.items()}
        conflicts += res.conflicts
        for k, v in res.counters.items():
            counters[k] = counters.get(k, 0.0) + v

    jobs = [ChunkJob(seed=seed, scale=scale, chunk=c, window=window, tmp=tmp)
            for c in range(n_chunks(world.scale))]
    workers = _workers(len(jobs))
    bar = tqdm(total=len(jobs), desc=f"generate {scale}", unit="chunk", disable=not progress, file=sys.stderr)
    if workers <= 1:
        results = map(run_chunk, jobs)
        pool = None
    else:
        for job in jobs:
            job.threads = 1
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))
        results = pool.map(run_chunk, jobs)
    try:
        for res in results:  # in chunk order: the summary never depends on scheduling
            collect(res)
            bar.update(1)
            bar.set_postfix(events=rows_delivered["app_events"])
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        bar.close()
    camp = _emit(writer, "campaigns", campaign_table(world), 0, window)
    files.extend(camp.files)
    rows_written["campaigns"] += camp.rows_written["campaigns"]
    rows_delivered["campaigns"] += camp.rows_delivered["campaigns"]
    # store phones (shared, one singleton component each)
    st = np.array(sorted(store_seen), dtype=np.int64)
    _write_identity(writer, tmp / "identity_stores.parquet", I.node(I.PHONE, world.store_phone[st]),
                    PSEUDO_STORE - st, STORE_COMPONENTS + st, np.ones(len(st), bool))

    # empty files so every table folder holds at least one parquet file
    for name in RAW_CONTRACT:
        if not any((raw / name).glob("*.parquet")):
            path = raw / name / f"{name}__{tag}__part000.parquet"
            _write_empty(writer, name, path)
            files.append(str(path.relative_to(out)))

    summary = _write_truth(writer, world, truth, tmp, junk_parts, person_parts, uplift_tot)
    shutil.rmtree(tmp)
    state = {"generator": "portrait.generate", "version": 1, "seed": seed, "scale": scale,
             "as_of": str(C.AS_OF_DATE), "until": str(until), "batches": batches}
    (raw / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")
    rates = _rates(counters)
    rates["identity_conflicts"] = conflicts
    result = {
        "noop": False, "scale": scale, "seed": seed, "from": str(frm), "until": str(until),
        "as_of": str(C.AS_OF_DATE), "files": files, "rows": rows_written, "rows_delivered": rows_delivered,
        "truth": summary, "rates": rates, "seconds": round(time.time() - t_start, 1),
    }
    (truth / "stats.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return result


def _write_empty(writer: Writer, name: str, path: Path) -> None:
    cols = ", ".join(f'CAST(NULL AS VARCHAR) AS "{c}"' for c in RAW_CONTRACT[name])
    writer.con.execute(f"COPY (SELECT {cols} LIMIT 0) TO '{path}' (FORMAT parquet)")


def _write_identity(writer: Writer, path: Path, node, person, comp, shared) -> None:
    mask = (np.int64(1) << I.TYPE_SHIFT) - 1
    tbl = pa.table({"kind": node >> I.TYPE_SHIFT, "value": node & mask, "person": person, "comp": comp,
                    "shared": shared})
    writer.con.register("ident", tbl)
    try:
        writer.con.execute(f"""
            COPY (SELECT {_list(IDENTIFIER_TYPES)}[kind + 1] AS identifier_type,
                         ident_canon(kind, value) AS identifier_value,
                         {person_key_sql('person')} AS person_key,
                         'R' || lpad(CAST(comp AS VARCHAR), 10, '0') AS reachable_key,
                         shared AS is_shared
                  FROM ident) TO '{path}' (FORMAT parquet)""")
    finally:
        writer.con.unregister("ident")


def _person_rows(cd: ChunkData, hi_ms: int) -> dict[str, np.ndarray]:
    P, M, cl = cd.persons, cd.membership, cd.clients
    asof = float(C.AS_OF_DAY)
    n_dev = np.bincount(cl.person[(cl.device >= 0) & ~cl.shared], minlength=P.n)
    tablet = np.zeros(P.n, bool)
    tablet[cl.person[cl.shared]] = True
    pr = cd.tables["privacy_requests"]
    er = (pr["rtype"] == V.REQUEST_TYPE.code("erasure")) & (pr["_junk"] == 0) & (pr["_arr"] < hi_ms)
    erased = np.zeros(P.n, bool)
    erased[pr["_actor"][er] - P.lo] = True
    age = C.AS_OF_DATE.year - P.birth_year.astype(np.int64)
    band = np.searchsorted(np.array([18, 25, 35, 45, 55]), age, side="right")
    out = {
        "pid": P.pid, "persona": P.persona, "female": P.female, "birth_year": P.birth_year,
        "age_band": band, "city": P.city, "start": P.start, "death": P.death, "rate": P.rate,
        "lines_mean": P.lines_mean, "price_q": P.price_q, "discount_affinity": P.discount_affinity,
        "sessions": P.sessions, "top_category": np.argmax(P.cat_pref, 1),
        "store_share": P.channel[:, 3], "is_member": P.is_member & (M.reg <= asof),
        "has_account": P.has_account & (P.start <= asof), "is_digital": P.is_digital,
        "is_wechat": P.is_wechat, "has_email": P.has_email, "phone_changed": P.phone_change <= asof,
        "duplicate_member": M.dup_reg <= asof, "family_tablet": tablet, "n_devices": n_dev,
        "erasure_requested": erased,
    }
    out.update({k: v for k, v in cd.future.items() if k != "person"})
    return out


def _write_truth(writer: Writer, world: World, truth: Path, tmp: Path, junk_parts, person_parts, uplift) -> dict:
    con = writer.con
    truth.mkdir(parents=True, exist_ok=True)
    con.execute(f"""COPY (SELECT * FROM read_parquet('{tmp}/identity_*.parquet'))
                    TO '{truth}/identity.parquet' (FORMAT parquet, COMPRESSION zstd)""")
    n_ident = con.execute(f"SELECT count(*) FROM '{truth}/identity.parquet'").fetchone()[0]
    schema = pa.schema([("source_table", pa.string()), ("raw_key", pa.string()), ("reason", pa.string()),
                        ("raw_line_no", pa.string()), ("raw_arrival", pa.string()), ("arrival_date", pa.date32()),
                        ("file", pa.string())])
    jt = pa.concat_tables(junk_parts) if junk_parts else schema.empty_table()
    pq.write_table(jt, truth / "junk.parquet", compression="zstd")

    P = {k: np.concatenate([p[k] for p in person_parts]) for k in person_parts[0]}
    d0 = np.datetime64(C.HISTORY_START.isoformat())
    def to_date(days):  # noqa: E306
        return (d0 + np.floor(days).astype("timedelta64[D]"))
    death = P["death"]
    persons = pa.table({
        "person_key": pa.array([f"P{p:07d}" for p in P["pid"]]),
        "persona": pa.array(np.array(C.PERSONA_NAMES, dtype=object)[P["persona"]].tolist(), pa.string()),
        "gender": pa.array(np.where(P["female"], "female", "male").tolist(), pa.string()),
        "birth_year": P["birth_year"].astype(np.int32),
        "age_band": pa.array(np.array(["<18", "18-24", "25-34", "35-44", "45-54", "55+"], dtype=object)[P["age_band"]].tolist()),
        "city": pa.array(np.array(C.CITY_NAMES, dtype=object)[P["city"]].tolist(), pa.string()),
        "city_tier": C.CITY_TIER[P["city"]].astype(np.int32),
        "signup_date": pa.array(to_date(P["start"]), pa.date32()),
        "churn_date": pa.array(to_date(np.minimum(death, C.END_DAY + 1)), pa.date32(),
                               mask=death > C.END_DAY),
        "alive_at_as_of": death > C.AS_OF_DAY + 1,
        "purchase_rate_per_year": np.round(P["rate"] * 365.0, 4),
        "basket_lines_mean": np.round(P["lines_mean"], 3),
        "price_level": np.round(P["price_q"], 4),
        "discount_affinity": np.round(P["discount_affinity"], 4),
        "sessions_per_week": np.round(P["sessions"] * 7.0, 4),
        "store_share": np.round(P["store_share"], 4),
        "top_category": pa.array(np.array(C.CATEGORY_L1, dtype=object)[P["top_category"]].tolist()),
        "is_member": P["is_member"], "has_account": P["has_account"], "is_digital": P["is_digital"],
        "is_wechat": P["is_wechat"], "has_email": P["has_email"], "phone_changed": P["phone_changed"],
        "duplicate_member": P["duplicate_member"], "family_tablet": P["family_tablet"],
        "n_devices": P["n_devices"].astype(np.int32), "erasure_requested": P["erasure_requested"],
        "orders_history": P["orders_history"],
    })
    pq.write_table(persons, truth / "persons.parquet", compression="zstd")
    future = pa.table({
        "person_key": persons["person_key"],
        "orders_90d": P["orders_90d"], "spend_90d": P["spend_90d"],
        "orders_365d": P["orders_365d"], "spend_365d": P["spend_365d"],
        "churned_90d": P["churned_90d"],
    })
    pq.write_table(future, truth / "future.parquet", compression="zstd")
    # campaign uplift: the generator's parameter, the expected conversion uplift over the
    # persons touched (from their conversion probabilities) and the realised rates
    cp = world.campaigns
    response = C.persona_array("uplift")
    rows = []
    for j in range(cp.n):
        w0 = C.HISTORY_START + dt.timedelta(days=int(cp.window_day[j]))
        for k, name in enumerate(C.PERSONA_NAMES):
            nt, nc = int(uplift["n_t"][j, k]), int(uplift["n_c"][j, k])
            n_all = nt + nc
            et = uplift["p_treat"][j, k] / n_all if n_all else None
            ec = uplift["p_control"][j, k] / n_all if n_all else None
            rt = uplift["buy_t"][j, k] / nt if nt else None
            rc = uplift["buy_c"][j, k] / nc if nc else None
            tau = float(np.clip(response[k, cp.channel[j]] * cp.strength[j], -C.MAX_RESPONSE, C.MAX_RESPONSE))
            rows.append({
                "campaign_id": f"CMP{j + 1:03d}", "persona": name,
                "n_treatment": nt, "n_control": nc,
                "true_uplift": round(tau, 6),
                "expected_conversion_uplift": (et - ec) if n_all else None,
                "channel": V.TOUCH_CHANNEL.canonical[cp.channel[j]],
                "window_start": w0, "window_end": w0 + dt.timedelta(days=C.ATTRIBUTION_DAYS - 1),
                "window_days": C.ATTRIBUTION_DAYS,
                "expected_conversion_treatment": et, "expected_conversion_control": ec,
                "realised_conversion_treatment": rt, "realised_conversion_control": rc,
                "realised_uplift": (rt - rc) if (rt is not None and rc is not None) else None,
            })
    pq.write_table(pa.Table.from_pylist(rows), truth / "campaign_uplift.parquet", compression="zstd")
    return {"identity_rows": int(n_ident), "junk_rows": jt.num_rows, "persons": persons.num_rows}


def _chunk_counters(cd: ChunkData, hi_ms: int) -> dict[str, float]:
    """Generator-side counts behind stats.json rates (the tests recompute rates from raw + truth)."""
    c: dict[str, float] = {}
    ev = cd.tables["app_events"]
    d = ev["_arr"] < hi_ms
    c["events"] = d.sum()
    lag = ev["rcv_ms"][d] - ev["ts_ms"][d]
    ok = ev["_junk"][d] == 0
    c["late_1d"] = ((lag > C.DAY_MS) & ok).sum()
    c["late_3d"] = ((lag > 3 * C.DAY_MS) & ok).sum()
    _, cnt = np.unique(ev["event"][d], return_counts=True)
    c["dup_rows"] = (cnt - 1).sum()
    total = junk = 0
    for t in cd.tables.values():
        dd = t["_arr"] < hi_ms
        total += dd.sum()
        junk += ((t["_junk"] > 0) & dd).sum()
    c["rows"], c["junk"] = total, junk
    pos = cd.tables["pos_transactions"]
    dp = (pos["_arr"] < hi_ms) & (pos["_junk"] == 0)
    c["pos"] = dp.sum()
    c["pos_placeholder"] = (np.isin(pos["phone"], I.PLACEHOLDER_PHONES) & dp).sum()
    cl = cd.clients
    dig = np.bincount(cl.person[(cl.device >= 0) & ~cl.shared], minlength=cd.persons.n)
    c["device_users"] = (dig >= 1).sum()
    c["multi_device_users"] = (dig >= 2).sum()
    return {k: float(v) for k, v in c.items()}


def _rates(c: dict[str, float]) -> dict[str, float]:
    f = lambda a, b: round(c.get(a, 0) / c[b], 5) if c.get(b) else None  # noqa: E731
    return {
        "event_duplicate_rows_share": f("dup_rows", "events"),
        "event_late_over_1d_share": f("late_1d", "events"),
        "event_late_over_3d_share": f("late_3d", "events"),
        "junk_share": f("junk", "rows"),
        "pos_placeholder_phone_share": f("pos_placeholder", "pos"),
        "multi_device_share_of_device_users": f("multi_device_users", "device_users"),
        "rows_delivered": int(c.get("rows", 0)),
    }
