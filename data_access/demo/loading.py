"""Bulk-loading the generated county into the contract tables."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date

import numpy as np
import sqlalchemy as sa

from data_access import schema
from data_access.demo.world import (
    _MARITAL,
    _NEVER,
    _PAST,
    CHUNK_ROWS,
    METHODS,
    OPERATIONS,
    SERVICE_KINDS,
    World,
)


def _dates(days: np.ndarray) -> list[date | None]:
    """Python dates (None for "no date") from day numbers."""
    d = days.astype("datetime64[D]")
    d[(days >= _NEVER) | (days <= _PAST)] = np.datetime64("NaT")
    return d.tolist()


def _ints(a: np.ndarray) -> list[int]:
    return a.astype(np.int64).tolist()


def _nullable(values: np.ndarray, missing: np.ndarray) -> list[object]:
    """Python values (int, bool, str) with None where ``missing``."""
    out = values.astype(object)
    out[missing] = None
    return out.tolist()


def _insert(
    conn: sa.Connection, table: sa.Table, columns: Mapping[str, Sequence[object]], say: Callable[[str], None]
) -> None:
    keys = list(columns)
    values = list(columns.values())
    n = len(values[0]) if values else 0
    parts = max(1, math.ceil(n / CHUNK_ROWS))
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # The driver's own executemany: SQLAlchemy's per-row parameter processing would cost
        # twice the insert itself at county scale. The values are what SQLAlchemy would bind
        # there (dates as ISO text, booleans as 0/1, numbers as numbers).
        q = conn.dialect.identifier_preparer.quote
        sql = f"INSERT INTO {q(table.name)} ({', '.join(q(k) for k in keys)}) VALUES ({', '.join('?' * len(keys))})"
        values = [
            [None if d is None else d.isoformat() for d in col]  # type: ignore[attr-defined]
            if isinstance(table.c[k].type, (sa.Date, schema.RegistryDate))
            else col
            for k, col in zip(keys, values)
        ]
    stmt = table.insert()
    for i in range(parts):
        a, b = i * CHUNK_ROWS, min(n, (i + 1) * CHUNK_ROWS)
        if parts > 1:
            say(f"{table.name} {i + 1}/{parts}")
        if sqlite:
            tuples = list(zip(*(col[a:b] for col in values)))
            if tuples:
                conn.exec_driver_sql(sql, tuples)
            continue
        rows = [dict(zip(keys, row)) for row in zip(*(col[a:b] for col in values))]
        if rows:
            conn.execute(stmt, rows)


def _insert_slices(
    conn: sa.Connection,
    table: sa.Table,
    n: int,
    rows: Callable[[slice], Mapping[str, Sequence[object]]],
    say: Callable[[str], None],
) -> None:
    """:func:`_insert` for a large table, making the Python values of one slice at a time
    (``rows(slice)``), so that they never all exist at once."""
    step = 4 * CHUNK_ROWS
    parts = max(1, math.ceil(n / step))
    say(table.name)
    for i in range(parts):
        if parts > 1:
            say(f"{table.name} {i + 1}/{parts}")
        _insert(conn, table, rows(slice(i * step, min(n, (i + 1) * step))), lambda _step: None)


def _clean(value: object) -> object:
    """Plain Python values for a target row (numpy scalars and NaN become int/float/None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _load(
    conn: sa.Connection,
    world: World,
    target_rows: Sequence[Mapping[str, object]],
    say: Callable[[str], None],
) -> None:
    """Insert every table in foreign-key order."""
    t, v, p = world.townships, world.villages, world.people
    say("township")
    _insert(
        conn,
        schema.township,
        {
            "id": list(range(1, len(t) + 1)),
            "code": [r["code"] for r in t],
            "name": [r["name"] for r in t],
            "lat": [float(r["seat_lat"]) for r in t],
            "lon": [float(r["seat_lon"]) for r in t],
        },
        say,
    )
    say("village")
    _insert(
        conn,
        schema.village,
        {
            "id": list(range(1, v.n + 1)),
            "code": list(v.code),
            "township_id": _ints(v.township + 1),
            "name": list(v.name),
            "kind": list(v.kind),
            "lat": v.lat.tolist(),
            "lon": v.lon.tolist(),
        },
        say,
    )

    hv = world.households.col("village").astype(np.int64)
    order = np.argsort(hv, kind="stable")
    counts = np.bincount(hv, minlength=v.n)
    rank = np.empty(hv.size, dtype=np.int64)
    rank[order] = np.arange(hv.size) - np.repeat(np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    hcode = np.strings.add(np.array(v.code)[hv], np.strings.zfill((rank + 1).astype(np.str_), 4))
    say("household")
    _insert(
        conn,
        schema.household,
        {"id": _ints(np.arange(1, hv.size + 1)), "village_id": _ints(hv + 1), "code": hcode.tolist()},
        say,
    )

    hh = p.col("household")
    ids, names = world.id_numbers, world.names
    assert names is not None and ids is not None

    def person_rows(sl: slice) -> dict[str, list[object]]:
        return {
            "id": _ints(np.arange(sl.start + 1, sl.stop + 1)),
            "id_number": ids[sl].tolist(),  # str, or None for the planted missing one
            "name": names[sl].tolist(),
            "sex": np.where(p.col("male")[sl], "M", "F").tolist(),
            "birth_date": _dates(p.col("birth")[sl]),
            "village_id": _ints(p.col("village")[sl] + 1),
            "household_id": _nullable(hh[sl] + 1, hh[sl] < 0),
            "hukou": np.where(p.col("local")[sl], "local", "floating").tolist(),
            "marital_status": _MARITAL[p.col("marital")[sl]].tolist(),
            "married_on": _dates(p.col("married_on")[sl]),
            "registered_on": _dates(p.col("registered")[sl]),
            "left_on": _dates(p.col("left")[sl]),
            "death_date": _dates(p.col("death")[sl]),
        }

    _insert_slices(conn, schema.person, p.n, person_rows, say)

    b = world.births_table
    say("birth")
    _insert(
        conn,
        schema.birth,
        {
            "id": _ints(np.arange(1, b["mother"].size + 1)),
            "mother_id": _ints(b["mother"] + 1),
            "child_id": _ints(b["child"] + 1),
            "village_id": _ints(b["village"] + 1),
            "birth_date": _dates(b["date"]),
            "sex": _nullable(np.where(b["male"], "M", "F"), b["sex_missing"]),
            "parity": _ints(b["parity"]),
            "policy_compliant": _nullable(b["compliant"].astype(bool), b["compliant_missing"]),
            "hukou": np.where(b["local"], "local", "floating").tolist(),
        },
        say,
    )

    s = world.spells
    keep = world.spell_keep
    assert keep is not None
    woman = s.col("woman")[keep]
    order = np.lexsort((s.col("start")[keep], woman))
    keep = keep[order]
    say("contraception")
    _insert(
        conn,
        schema.contraception,
        {
            "id": _ints(np.arange(1, keep.size + 1)),
            "woman_id": _ints(s.col("woman")[keep] + 1),
            "method": np.array(METHODS)[s.col("method")[keep]].tolist(),
            "start_date": _dates(s.col("start")[keep]),
            "end_date": _dates(s.col("end")[keep]),
        },
        say,
    )

    e = world.events

    def event_rows(sl: slice) -> dict[str, list[object]]:
        operation = e["operation"][sl]
        return {
            "id": _ints(np.arange(sl.start + 1, sl.stop + 1)),
            "kind": np.array(SERVICE_KINDS)[e["kind"][sl]].tolist(),
            "event_date": _dates(e["date"][sl]),
            "village_id": _ints(e["village"][sl] + 1),
            "person_id": _nullable(e["person"][sl] + 1, e["person"][sl] < 0),
            "household_id": _nullable(e["household"][sl] + 1, e["household"][sl] < 0),
            "operation": _nullable(np.array(OPERATIONS)[np.maximum(operation, 0)], operation < 0),
            "informed_choice": _nullable(e["informed"][sl] == 1, e["informed"][sl] < 0),
        }

    _insert_slices(conn, schema.service_event, e["date"].size, event_rows, say)
    say("task_quota")
    _insert(
        conn,
        schema.task_quota,
        {
            "year": [q[0] for q in world.quotas],
            "township_id": [q[1] + 1 for q in world.quotas],
            "kind": [q[2] for q in world.quotas],
            "quota": [q[3] for q in world.quotas],
        },
        say,
    )
    r = world.rewards
    say("reward_payment")
    _insert(
        conn,
        schema.reward_payment,
        {
            "id": _ints(np.arange(1, r["due"].size + 1)),
            "person_id": _ints(r["person"] + 1),
            "scheme": np.array(["奖", "免", "补"])[r["scheme"]].tolist(),
            "amount_due": _ints(r["amount"]),
            "due_date": _dates(r["due"]),
            "amount_paid": _nullable(r["paid"], r["paid"] < 0),
            "paid_on": _dates(r["paid_on"]),
        },
        say,
    )
    d = world.sites
    say("demo_site")
    _insert(
        conn,
        schema.demo_site,
        {
            "id": _ints(np.arange(1, d["village"].size + 1)),
            "village_id": _ints(d["village"] + 1),
            "kind": d["kind"].tolist(),
            "level": d["level"].tolist(),
            "established_on": _dates(d["established"]),
        },
        say,
    )

    if target_rows:
        say("target")
        cols = ("year", "indicator", "township_id", "op", "value", "low", "high", "amber")
        conn.execute(schema.target.insert(), [{c: _clean(r.get(c)) for c in cols} for r in target_rows])
