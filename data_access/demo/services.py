"""Service work 2019..as_of: publicity visits, operations, supply services, quota work,
reward payments, demonstration sites.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from data_access.demo.world import (
    _CONDOM,
    _FSTER,
    _INJ,
    _IUD,
    _MARRIED,
    _NEVER,
    _ORAL,
    _PAST,
    _SINGLE,
    _TOPICAL,
    _YEAR_DAYS,
    FIRST_DAY,
    World,
    _add_events,
    _day,
    _logit,
    _pick,
    _present_at,
    _round_preserving,
    _sub_rng,
    _uniform_days,
    _weighted_sample,
    _years,
)
from data_access.demo.years import _BIRTH_TREND

_PUBLICITY, _PREG_CHECK, _FOLIC, _OPERATION, _SUPPLY = range(5)


_INSERTION, _REMOVAL, _STERILIZATION, _ABORTION = range(4)


_SHORT_ACTING = (_ORAL, _INJ, _CONDOM, _TOPICAL)


#: Reward schemes: who is due, with what chance a year, and the amounts (yuan).
_SCHEME_AMOUNTS = {"奖": (600, 720), "免": (300, 480), "补": (960, 1200)}


_SITE_KINDS = ("人口文化大院", "村民自治", "诚信计生")


_SUPPLY_SITE = "药具管理服务"


# Township levels, best first; townships are ranked per indicator by their profile ("good"
# and the county seat rank high, the veto township low) plus noise, then take these levels.
_LEVELS: dict[str, tuple[float, ...]] = {
    # share of households reached by publicity in a year
    "reach": (0.992, 0.988, 0.984, 0.979, 0.973, 0.966, 0.959, 0.952, 0.944, 0.935, 0.924, 0.907, 0.892),
    # chance that a woman on short-acting supplies is served in the year
    "supply": (0.99, 0.986, 0.982, 0.978, 0.974, 0.97, 0.966, 0.962, 0.957, 0.946, 0.935, 0.92, 0.906),
    # quota completion (events ÷ quota) of free pre-pregnancy checks and of folic acid
    "pregnancy_check": (1.09, 1.08, 1.07, 1.06, 1.05, 1.045, 1.04, 1.03, 1.02, 0.975, 0.955, 0.875, 0.83),
    "folic_acid": (1.09, 1.085, 1.075, 1.065, 1.055, 1.05, 1.04, 1.03, 1.02, 0.98, 0.96, 0.88, 0.835),
    # reward payments due that are paid in full by the due date
    "reward": (1.0, 1.0, 1.0, 1.0, 1.0, 0.99, 0.985, 0.98, 0.975, 0.97, 0.967, 0.963, 0.96),
    # operations with a recorded informed choice (the last three townships fall short)
    "informed": (1.0,) * 10 + (0.99, 0.985, 0.98),
}


def _service_years(world: World) -> list[tuple[int, int, int, float]]:
    """(year, first day, last day ≤ as_of, share of the year covered) from 2019 on."""
    out = []
    for year in range(FIRST_DAY.year, world.as_of.year + 1):
        y0 = _day(date(year, 1, 1))
        end = _day(date(year, 12, 31))
        y1 = min(end, _day(world.as_of))
        out.append((year, y0, y1, (y1 - y0 + 1) / (end - y0 + 1)))
    return out


def _service_quality(world: World) -> dict[str, np.ndarray]:
    """Each township's level per service indicator (see ``_LEVELS``)."""
    rng = _sub_rng(world, 3)
    n = len(world.townships)
    standing = np.array([{"urban": 1.0, "good": 1.0, "veto": -1.0}.get(pr.kind, 0.0) for pr in world.profiles])
    out = {}
    for name, levels in _LEVELS.items():
        order = np.argsort(-(standing + rng.normal(0, 0.8, n)), kind="stable")
        value = np.empty(n)
        value[order] = np.interp(np.linspace(0, 1, n), np.linspace(0, 1, len(levels)), levels)
        out[name] = value
    return out


def _by_township(rng: np.random.Generator, township: np.ndarray, weight: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Positions chosen so that each township t gets round(share[t] × its members), the
    members drawn with probability rising with ``weight`` (villages keep their noise)."""
    chosen = []
    for t in range(share.size):
        idx = np.flatnonzero(township == t)
        k = int(round(float(share[t]) * idx.size))
        chosen.append(idx[_weighted_sample(rng, weight[idx], k)])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def _gen_publicity_visits(world: World, quality: dict[str, np.ndarray]) -> None:
    """publicity_visit: each year 88–99.5 % of the households with a present local member are
    visited (in the current year proportionally fewer so far), some twice."""
    rng = _sub_rng(world, 4)
    p, v = world.people, world.villages
    n_t = len(world.townships)
    hv = world.households.col("village").astype(np.int64)
    n_h = hv.size
    hh, reg = p.col("household"), p.col("registered")
    with_home = p.col("local") & (hh >= 0)
    village_effect = rng.normal(0, 0.7, v.n)
    for _year, y0, y1, frac in _service_years(world):
        present = with_home & _present_at(p, y1)
        since = np.full(n_h, _NEVER, dtype=np.int64)
        np.minimum.at(since, hh[present], reg[present])  # a member present at y1 lives there since
        live = np.flatnonzero(since < _NEVER)
        vil = hv[live]
        reach = np.clip(quality["reach"] + rng.normal(0, 0.004, n_t), 0.88, 0.995) * frac
        tw = v.township[vil]
        weight = np.exp(_logit(reach)[tw] + village_effect[vil] + rng.normal(0, 0.3, v.n)[vil])
        homes = live[_by_township(rng, tw, weight, reach)]
        again = homes[rng.random(homes.size) < 0.1]
        homes = np.concatenate([homes, again])
        day = _uniform_days(rng, np.maximum(since[homes], y0), y1, homes.size)
        _add_events(world, "publicity_visit", day, hv[homes], household=homes)


def _gen_operations(world: World, quality: dict[str, np.ndarray]) -> None:
    """operation: an IUD insertion or sterilisation on the start date of every such record
    since 2019, a removal at the end of some IUD records, a few abortions; informed choice
    recorded for all but a few operations in the townships whose level is below 100 %."""
    rng = _sub_rng(world, 5)
    p, s, v = world.people, world.spells, world.villages
    keep = world.spell_keep
    assert keep is not None
    first, last = _day(FIRST_DAY), _day(world.as_of)
    woman, method = s.col("woman")[keep], s.col("method")[keep]
    start, end = s.col("start")[keep], s.col("end")[keep]
    ins = np.isin(method, (_IUD, _FSTER)) & (start >= first) & (start <= last)
    rem = (
        (method == _IUD)
        & (end >= first)
        & (end <= last)
        & (end < p.col("death")[woman])
        & (end < p.col("left")[woman])
        & (rng.random(keep.size) < 0.3)
    )
    who = [woman[ins], woman[rem]]
    day = [start[ins], end[rem]]
    op = [np.where(method[ins] == _IUD, _INSERTION, _STERILIZATION), np.full(int(rem.sum()), _REMOVAL)]
    birth = p.col("birth")
    married = p.col("local") & ~p.col("male") & (p.col("marital") == _MARRIED)
    for _year, y0, y1, frac in _service_years(world):
        age = (y0 - birth) / _YEAR_DAYS
        pool = np.flatnonzero(
            married
            & (p.col("married_on") < y0)
            & (p.col("registered") < y0)
            & (p.col("left") > y1)
            & (p.col("death") > y1)
            & (age >= 20)
            & (age < 44)
        )
        k = min(pool.size, int(rng.poisson(0.0012 * pool.size * frac)))
        chosen = rng.choice(pool, k, replace=False)
        who.append(chosen)
        day.append(_uniform_days(rng, y0, y1, k))
        op.append(np.full(k, _ABORTION))
    who_a, day_a, op_a = np.concatenate(who), np.concatenate(day), np.concatenate(op)
    vil = p.col("village")[who_a].astype(np.int64)

    informed = np.ones(who_a.size, dtype=np.int64)
    tw = v.township[vil]
    year = day_a.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    for t in np.flatnonzero(quality["informed"] < 1.0):
        for y in np.unique(year[tw == t]):
            idx = np.flatnonzero((tw == t) & (year == y))
            rate = float(np.clip(quality["informed"][t] + rng.normal(0, 0.004), 0.975, 0.993))
            bad = idx[rng.permutation(idx.size)[: int(round((1 - rate) * idx.size))]]
            informed[bad] = np.where(rng.random(bad.size) < 0.65, 0, -1)  # not recorded: False or NULL
    _add_events(world, "operation", day_a, vil, person=who_a, operation=op_a, informed=informed)


def _gen_supply_services(world: World, quality: dict[str, np.ndarray]) -> None:
    """supply_service: 1–4 services a year for most married women 15–49 on a short-acting
    method at some time in the year (90–99 % of them, by township), dated while in use."""
    rng = _sub_rng(world, 6)
    p, s, v = world.people, world.spells, world.villages
    keep = world.spell_keep
    assert keep is not None
    n_t = len(world.townships)
    short = keep[np.isin(s.col("method")[keep], _SHORT_ACTING)]
    w = s.col("woman")[short]
    ok_w = p.col("local")[w] & (p.col("marital")[w] == _MARRIED)
    short, w = short[ok_w], w[ok_w]
    birth = p.col("birth")[w]
    lo_w = np.maximum.reduce(
        [s.col("start")[short], p.col("married_on")[w], p.col("registered")[w], birth + _years(15)]
    )
    hi_w = np.minimum.reduce(
        [s.col("end")[short] - 1, p.col("left")[w] - 1, p.col("death")[w] - 1, birth + _years(50) - 2]
    )
    village_effect = rng.normal(0, 0.5, v.n)
    for _year, y0, y1, _frac in _service_years(world):
        lo, hi = np.maximum(lo_w, y0), np.minimum(hi_w, y1)
        use = lo <= hi
        women, inv = np.unique(w[use], return_inverse=True)
        first = np.full(women.size, _NEVER, dtype=np.int64)
        np.minimum.at(first, inv, lo[use])
        last = np.full(women.size, _PAST, dtype=np.int64)
        np.maximum.at(last, inv, hi[use])
        vil = p.col("village")[women].astype(np.int64)
        tw = v.township[vil]
        rate = np.clip(quality["supply"] + rng.normal(0, 0.004, n_t), 0.90, 0.99)
        weight = np.exp(_logit(rate)[tw] + village_effect[vil])
        served = _by_township(rng, tw, weight, rate)
        times = _pick(rng, [0.45, 0.3, 0.15, 0.1], served.size) + 1
        rep = np.repeat(served, times)
        day = _uniform_days(rng, first[rep], last[rep], rep.size)
        _add_events(world, "supply_service", day, vil[rep], person=women[rep])


#: Events per person: folic acid is handed out in batches (1–3 a year), a check is sometimes
#: repeated, so that counting events would overstate quota completion.
_QUOTA_EVENTS_PER_PERSON = {"pregnancy_check": (0.9, 0.1), "folic_acid": (0.45, 0.35, 0.2)}


def _gen_quota_services(world: World, quality: dict[str, np.ndarray]) -> None:
    """pregnancy_check and folic_acid events for married women 20–35, and their task_quota:
    the township's births that year × 0.9 (checks) and × 1.1 (folic acid), completed 80–110 %
    over the year (a partial year about proportionally) — in distinct persons; each person
    then has one or more events (:data:`_QUOTA_EVENTS_PER_PERSON`)."""
    rng = _sub_rng(world, 7)
    p, v, b = world.people, world.villages, world.births_table
    n_t = len(world.townships)
    birth = p.col("birth")
    pool = np.flatnonzero(p.col("local") & ~p.col("male") & (p.col("marital") == _MARRIED))
    lo_w = np.maximum.reduce([p.col("married_on")[pool], p.col("registered")[pool], birth[pool] + _years(20)])
    hi_w = np.minimum.reduce([p.col("left")[pool] - 1, p.col("death")[pool] - 1, birth[pool] + _years(36) - 2])
    tw_w = v.township[p.col("village")[pool]]
    local_births = b["local"].astype(bool)
    b_year = b["date"][local_births].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    b_tw = v.township[b["village"][local_births].astype(np.int64)]
    for year, y0, y1, frac in _service_years(world):
        births = np.bincount(b_tw[b_year == year], minlength=n_t).astype(float)
        if frac < 1:  # the year's expected births: last year's, moved with the trend
            before = np.bincount(b_tw[b_year == year - 1], minlength=n_t).astype(float)
            trend = _BIRTH_TREND.get(year, 0.9) / _BIRTH_TREND.get(year - 1, 0.9)
            births = before * trend if year > FIRST_DAY.year else births / frac
        lo, hi = np.maximum(lo_w, y0), np.minimum(hi_w, y1)
        active = lo <= hi
        for kind, factor in (("pregnancy_check", 0.9), ("folic_acid", 1.1)):
            quota = np.maximum(1, np.round(births * factor)).astype(np.int64)
            done = np.clip(quality[kind] + rng.normal(0, 0.01, n_t), 0.80, 1.10)
            for t in range(n_t):
                world.quotas.append((year, t, kind, int(quota[t])))
                cand = np.flatnonzero(active & (tw_w == t))
                k = min(int(round(float(done[t]) * quota[t] * frac)), cand.size)
                if k == 0:
                    continue
                pick = cand[rng.choice(cand.size, k, replace=False)]
                pick = np.repeat(pick, _pick(rng, _QUOTA_EVENTS_PER_PERSON[kind], k) + 1)
                day = _uniform_days(rng, lo[pick], hi[pick], pick.size)
                women = pool[pick]
                _add_events(world, kind, day, p.col("village")[women].astype(np.int64), person=women)


def _gen_reward_payments(world: World, quality: dict[str, np.ndarray]) -> None:
    """reward_payment: 奖 for mothers of one child, 补 for older people of planned families,
    免 for school-age children — a few % of local persons a year. Most are paid in full by the
    due date; some townships pay a few late, short or not at all."""
    rng = _sub_rng(world, 8)
    p, v = world.people, world.villages
    n_t = len(world.townships)
    local = np.flatnonzero(p.col("local"))
    birth, male = p.col("birth")[local], p.col("male")[local]
    marital, parity = p.col("marital")[local], p.col("parity")[local]
    parts: list[dict[str, np.ndarray]] = []
    for year, y0, y1, _frac in _service_years(world):
        days = _day(date(year, 12, 31)) - y0 + 1
        due = _uniform_days(rng, y0, y0 + days - 1, local.size)
        age = (due - birth) / _YEAR_DAYS
        present = (
            (due <= y1)
            & (p.col("registered")[local] <= due)
            & (p.col("left")[local] > due)
            & (p.col("death")[local] > due)
        )
        bu = present & (age >= 60) & (marital != _SINGLE)
        jiang = present & ~bu & ~male & (marital == _MARRIED) & (parity == 1) & (age >= 20) & (age < 60)
        mian = present & (age >= 6) & (age < 18)
        u = rng.random(local.size)
        scheme = np.select([bu & (u < 0.16), jiang & (u < 0.10), mian & (u < 0.02)], [2, 0, 1], -1)
        pick = np.flatnonzero(scheme >= 0)
        sch = scheme[pick]
        amount = np.array([_SCHEME_AMOUNTS[k] for k in ("奖", "免", "补")])[
            sch, (rng.random(pick.size) < 0.3).astype(int)
        ]
        person = local[pick]
        d = due[pick]
        # Outcome: 0 in full by the due date, 1 late, 2 short, 3 unpaid.
        outcome = np.zeros(pick.size, dtype=np.int64)
        tw = v.township[p.col("village")[person]]
        for t in range(n_t):
            level = float(quality["reward"][t])
            if level >= 1:
                continue
            rate = float(np.clip(level + rng.normal(0, 0.003), 0.96, 0.995))
            idx = np.flatnonzero(tw == t)
            n_bad = int(_round_preserving(rng, np.array([(1 - rate) * idx.size]))[0])
            bad = idx[rng.permutation(idx.size)[:n_bad]]
            outcome[bad] = 1 + _pick(rng, [0.55, 0.33, 0.12], bad.size)
        parts.append(dict(person=person, scheme=sch, amount=amount, due=d, outcome=outcome, township=tw))
    r = {k: np.concatenate([x[k] for x in parts]) for k in parts[0]}
    # Every kind of failure occurs somewhere, also in a small county: where one is missing, a
    # payment in full in a township that does not pay everything on time becomes one.
    for kind in (1, 2, 3):
        donors = np.flatnonzero(
            (quality["reward"][r["township"]] < 1) & (r["outcome"] == 0) & (r["due"] < _day(world.as_of) - 90)
        )
        if not np.any(r["outcome"] == kind) and donors.size:
            r["outcome"][donors[rng.integers(donors.size)]] = kind
    as_day = _day(world.as_of)
    due, outcome, amount = r["due"], r["outcome"], r["amount"]
    y_start = (due.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    early = np.maximum(due - rng.integers(0, 21, due.size), y_start)
    late = np.minimum(due + rng.integers(3, 76, due.size), as_day)
    outcome[(outcome == 1) & (late <= due)] = 3  # not yet paid at as_of
    paid_on = np.select([outcome == 1, outcome == 3], [late, _NEVER], early)
    short_by = np.array([60, 120, 240])[rng.integers(0, 3, due.size)]
    paid = np.select([outcome == 2, outcome == 3], [amount - short_by, -1], amount)
    world.rewards = dict(person=r["person"], scheme=r["scheme"], amount=amount, due=due, paid=paid, paid_on=paid_on)


def _gen_demo_sites(world: World) -> None:
    """demo_site: sites from before 2019, then each year 2 county-level sites, one township
    site in most townships and 2 supply-standard sites; in a partial current year 1
    county-level site, all but three townships and both supply sites so far.

    Supply-standard sites (kind 药具管理服务) carry no level (NULL): they are a third category,
    counted by kind, so that counting sites by level gives the county- and township-level
    sites alone.
    """
    rng = _sub_rng(world, 9)
    v = world.villages
    n_t = len(world.townships)
    rows: list[tuple[int, str, str | None, int]] = []  # village, kind, level, established day

    def add(villages: np.ndarray, kinds: Sequence[str], level: str | None, lo: int, hi: int) -> None:
        days = _uniform_days(rng, lo, hi, len(villages))
        rows.extend(zip((int(x) for x in villages), kinds, [level] * len(villages), (int(d) for d in days)))

    def in_township(t: int) -> int:
        return int(rng.choice(np.flatnonzero(v.township == t)))

    def cultural(k: int) -> list[str]:
        return [_SITE_KINDS[int(i)] for i in rng.integers(0, len(_SITE_KINDS), k)]

    old_lo, old_hi = _day(date(2012, 1, 1)), _day(FIRST_DAY) - 1
    add(rng.choice(v.n, 8, replace=False), cultural(8), "county", old_lo, old_hi)
    towns = np.repeat(np.arange(n_t), rng.integers(1, 4, n_t))
    add(np.array([in_township(int(t)) for t in towns]), cultural(towns.size), "township", old_lo, old_hi)
    add(rng.choice(v.n, 5, replace=False), [_SUPPLY_SITE] * 5, None, _day(date(2015, 1, 1)), old_hi)
    for _year, y0, y1, frac in _service_years(world):
        partial = frac < 1
        n_county = 1 if partial else 2
        n_towns = max(n_t - 3, 0) if partial else int(rng.choice([n_t - 2, n_t - 1, n_t - 1, n_t, n_t]))
        add(rng.choice(v.n, n_county, replace=False), cultural(n_county), "county", y0, y1)
        towns = np.sort(rng.choice(n_t, n_towns, replace=False))
        add(np.array([in_township(int(t)) for t in towns], dtype=np.int64), cultural(n_towns), "township", y0, y1)
        add(rng.choice(v.n, 2, replace=False), [_SUPPLY_SITE] * 2, None, y0, y1)
    rows.sort(key=lambda r: (r[3], r[2] or "", r[0]))
    world.sites = dict(
        village=np.array([r[0] for r in rows], dtype=np.int64),
        kind=np.array([r[1] for r in rows]),
        level=np.array([r[2] for r in rows], dtype=object),
        established=np.array([r[3] for r in rows], dtype=np.int64),
    )


def _finish_events(world: World) -> None:
    parts = world.event_parts
    e = {k: np.concatenate([x[k] for x in parts]) for k in parts[0]}
    order = np.lexsort((e["person"], e["household"], e["kind"], e["date"]))
    world.events = {k: a[order] for k, a in e.items()}
    world.event_parts = []
