"""The years 2019..as_of, simulated one after the other: deaths, moves, marriages, births,
methods after a birth, long-acting uptake, floating arrivals and births.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from data_access.demo.contraception import (
    _LONG_MIX_HIGH,
    _LONG_MIX_LOW,
    _choose_methods,
    _end_spells,
    _p_long,
    _start_spells,
)
from data_access.demo.population import (
    _OTHER_REGIONS,
    _add_floating,
    _marital_by_age,
    _marriage_dates,
)
from data_access.demo.world import (
    _MARRIED,
    _NEVER,
    _NONE,
    _ORAL,
    _SINGLE,
    _YEAR_DAYS,
    COUNTY_REGION,
    World,
    _day,
    _pick,
    _uniform_days,
    _weighted_sample,
    _years,
)

_BIRTH_TREND = {2019: 1.10, 2020: 1.05, 2021: 1.02, 2022: 0.98, 2023: 0.95, 2024: 1.0, 2025: 0.94, 2026: 0.92}


_DEATH_TREND = {2019: 1.0, 2020: 0.98, 2021: 1.0, 2022: 1.02, 2023: 1.12, 2024: 1.0}


def _mortality(age: np.ndarray, male: np.ndarray) -> np.ndarray:
    q = np.where(age < 1, 0.004, np.where(age < 15, 0.0003, 0.00025 * np.exp(0.088 * (age - 15))))
    return np.minimum(q, 0.45) * np.where(male, 1.25, 0.85)


def _asfr(age: np.ndarray) -> np.ndarray:
    """Relative fertility of married women by age (years)."""
    return np.select(
        [age < 18.05, age < 20, age < 25, age < 30, age < 35, age < 40, age < 45.5],
        [0.0, 0.9, 1.2, 1.0, 0.6, 0.25, 0.06],
        0.0,
    )


_PARITY_FACTOR = np.array([3.0, 1.0, 0.22, 0.04, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01])


# Relative chance of a birth by the current method (a long-acting method is usually removed
# first, which is modelled as the method ending ten months before).
_METHOD_FACTOR = np.array([0.25, 0.0, 0.0, 0.25, 0.6, 0.6, 0.6, 0.6, 0.6, 1.0])  # index method+1 … none last


def _method_factor(method: np.ndarray) -> np.ndarray:
    return np.where(method == _NONE, 1.0, _METHOD_FACTOR[np.clip(method, 0, 8)])


def _scaled_probabilities(
    weight: np.ndarray, group: np.ndarray, want: np.ndarray, n_groups: int, cap: float = 0.9
) -> np.ndarray:
    """Probabilities ∝ weight within each group, capped, whose sum per group is ``want``.

    A few fixed-point rounds hand what the capped members cannot take to the others (at most
    tripling anyone's chance, so that a tiny village does not force events on unlikely people).
    """
    k0 = want / np.maximum(np.bincount(group, weights=weight, minlength=n_groups), 1e-12)
    k = k0.copy()
    prob = np.minimum(cap, k[group] * weight)
    for _ in range(6):
        got = np.bincount(group, weights=prob, minlength=n_groups)
        k = np.minimum(k * np.where(got > 0, want / np.maximum(got, 1e-12), 1.0), 3 * k0)
        prob = np.minimum(cap, k[group] * weight)
    return prob


def _controlled_draw(
    rng: np.random.Generator, prob: np.ndarray, township: np.ndarray, n_townships: int, noise: float = 0.3
) -> np.ndarray:
    """Bernoulli-like draws whose count per township stays close to its expectation.

    Each township gets round(Σp + a damped Poisson-like deviation) events, placed by weighted
    sampling without replacement (weight = odds), so villages keep their natural noise while
    townships follow their profile.
    """
    out = np.zeros(prob.size, dtype=bool)
    order = np.argsort(township, kind="stable")
    bounds = np.searchsorted(township[order], np.arange(n_townships + 1))
    for t in range(n_townships):
        idx = order[bounds[t] : bounds[t + 1]]
        if idx.size == 0:
            continue
        pt = prob[idx]
        expected = float(pt.sum())
        k = int(np.clip(round(expected + rng.normal(0, noise * math.sqrt(expected))), 0, idx.size))
        out[idx[_weighted_sample(rng, pt / np.maximum(1 - pt, 0.05), k)]] = True
    return out


def _simulate_year(world: World, year: int) -> None:
    rng, v, p = world.rng, world.villages, world.people
    y0 = _day(date(year, 1, 1))
    y1 = min(_day(date(year, 12, 31)), _day(world.as_of))
    frac = (y1 - y0 + 1) / (_day(date(year, 12, 31)) - y0 + 1)
    local, male, birth = p.col("local"), p.col("male"), p.col("birth")
    village = p.col("village")
    present = (p.col("registered") < y0) & (p.col("left") >= y0) & (p.col("death") >= y0)
    loc = np.flatnonzero(present & local)
    pop_start = np.bincount(village[loc], minlength=v.n).astype(float)
    tw = v.township

    # Deaths: age-dependent hazard scaled to the village death rate.
    age = (y0 - birth[loc]) / _YEAR_DAYS
    q = _mortality(age, male[loc])
    want = v.cdr * _DEATH_TREND.get(year, 1.01) * pop_start / 1000 * frac
    n_t = len(world.townships)
    want_t = np.bincount(tw, weights=want, minlength=n_t)
    prob = _scaled_probabilities(q * v.cdr[village[loc]], tw[village[loc]], want_t, n_t)
    dies = _controlled_draw(rng, prob, tw[village[loc]], n_t)
    dead = loc[dies]
    p.col("death")[dead] = _uniform_days(rng, y0, y1, dead.size)

    # Moves out: mostly young adults.
    alive = loc[~dies]
    age_a = (y0 - birth[alive]) / _YEAR_DAYS
    out_rate = np.array([world.profiles[t].move_out for t in tw])[village[alive]]
    f = np.select([age_a < 15, age_a < 18, age_a < 36, age_a < 60], [0.7, 1.0, 2.0, 0.7], 0.3)
    goes = rng.random(alive.size) < out_rate * f * frac
    p.col("left")[alive[goes]] = _uniform_days(rng, y0, y1, int(goes.sum()))

    # Floating persons present move on (about one in five a year).
    flo = np.flatnonzero(present & ~local)
    leaves = flo[rng.random(flo.size) < 0.2 * frac]
    p.col("left")[leaves] = _uniform_days(rng, y0, y1, leaves.size)

    _marriages(world, y0, y1, frac, present & local)
    _moves_in(world, y0, y1, frac, pop_start, loc[~dies][~goes])
    n_local = _local_births(world, year, y0, y1, frac, pop_start)
    _floating_births(world, year, y0, y1, n_local)
    _floating_arrivals(world, y0, y1, frac, flo.size)
    _uptake(world, y0, y1, frac)


def _marriages(world: World, y0: int, y1: int, frac: float, present_local: np.ndarray) -> None:
    rng, p = world.rng, world.people
    single = np.flatnonzero(present_local & (p.col("marital") == _SINGLE))
    male = p.col("male")[single]
    age = (y0 - p.col("birth")[single]) / _YEAR_DAYS
    rate = np.where(
        male,
        np.select([age < 20, age < 25, age < 30, age < 35, age < 40], [0.0, 0.07, 0.15, 0.11, 0.04], 0.0),
        np.select(
            [age < 18, age < 20, age < 25, age < 30, age < 35, age < 45], [0.0, 0.06, 0.17, 0.20, 0.10, 0.02], 0.0
        ),
    )
    cand = single[rng.random(single.size) < rate * frac]
    d = _uniform_days(rng, y0, y1, cand.size)
    b = p.col("birth")[cand]
    m = p.col("male")[cand]
    ok = (d >= b + np.where(m, _years(20.05), _years(18.05))) & (d < p.col("left")[cand]) & (d < p.col("death")[cand])
    cand, d = cand[ok], d[ok]
    p.col("marital")[cand] = _MARRIED
    p.col("married_on")[cand] = d
    wives = cand[~p.col("male")[cand]]
    dw = d[~p.col("male")[cand]]
    la = world.villages.long_acting[p.col("village")[wives]]
    zero = np.zeros(wives.size, dtype=np.int8)
    methods = _choose_methods(rng, _p_long(la, zero), np.full(wives.size, 0.7), zero > 0)
    _start_spells(world, wives, methods, dw + rng.integers(0, 30, wives.size))


def _household_of_village(world: World, village: np.ndarray, present: np.ndarray) -> np.ndarray:
    """A random existing household of 2–4 present members in each village (-1 if none)."""
    rng, p = world.rng, world.people
    hv = world.households.col("village")
    hh = p.col("household")[present]
    members = np.bincount(hh[hh >= 0], minlength=hv.size)
    open_hh = np.flatnonzero((members >= 2) & (members <= 4))
    order = open_hh[np.argsort(hv[open_hh], kind="stable")]
    counts = np.bincount(hv[open_hh], minlength=world.villages.n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    c = counts[village]
    pos = starts[village] + (rng.random(village.size) * c).astype(np.int64)
    return np.where(c > 0, order[np.minimum(pos, max(len(order) - 1, 0))] if len(order) else -1, -1)


def _new_households(world: World, village: np.ndarray) -> np.ndarray:
    sl = world.households.add(village=village.astype(np.int32))
    return np.arange(sl.start, sl.stop, dtype=np.int64)


def _moves_in(world: World, y0: int, y1: int, frac: float, pop_start: np.ndarray, present_local: np.ndarray) -> None:
    rng, v, p = world.rng, world.villages, world.people
    rate = np.array([world.profiles[t].move_in for t in v.township])
    counts = rng.poisson(rate * pop_start * frac)
    village = np.repeat(np.arange(v.n, dtype=np.int32), counts)
    n = village.size
    if n == 0:
        return
    registered = _uniform_days(rng, y0, y1, n)
    kind = _pick(rng, [0.42, 0.26, 0.20, 0.12], n)  # marry-in woman, man, child, older adult
    age_years = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.uniform(20, 32, n), rng.uniform(20, 45, n), rng.uniform(0.5, 15, n)],
        rng.uniform(45, 72, n),
    )
    birth = registered - (age_years * _YEAR_DAYS).astype(np.int64)
    male = np.where(kind == 0, False, np.where(kind == 1, True, rng.random(n) < 0.5))
    marital = np.where(kind == 0, _MARRIED, _marital_by_age(rng, age_years, male)).astype(np.int8)
    married_on = np.full(n, _NEVER, dtype=np.int64)
    ever = marital != _SINGLE
    married_on[ever] = _marriage_dates(rng, birth[ever], male[ever], registered[ever])
    bride = kind == 0
    married_on[bride] = np.maximum(
        registered[bride] - rng.integers(0, 90, int(bride.sum())), birth[bride] + _years(18.05)
    )
    household = _household_of_village(world, village, present_local)
    own = (kind == 1) | (kind == 3) | (household < 0)
    household[own] = _new_households(world, village[own])
    sl = p.add(
        village=village,
        household=household,
        male=male,
        birth=birth,
        marital=marital,
        married_on=married_on,
        registered=registered,
        region=rng.choice(_OTHER_REGIONS, n),
    )
    idx = np.arange(sl.start, sl.stop)
    wives = idx[(~male) & (marital == _MARRIED) & (age_years < 50)]
    la = v.long_acting[village[wives - sl.start]]
    par = np.where(bride[wives - sl.start], 0, rng.integers(1, 3, wives.size)).astype(np.int8)
    p.col("parity")[wives] = par
    methods = _choose_methods(rng, _p_long(la, par), np.where(par > 0, 0.25, 0.7), par >= 2)
    _start_spells(world, wives, methods, registered[wives - sl.start])


def _birth_candidates(world: World, local: bool) -> np.ndarray:
    p = world.people
    return np.flatnonzero((p.col("local") == local) & ~p.col("male") & (p.col("marital") == _MARRIED))


def _eligible_at(world: World, women: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Married, registered, alive, 18–45, ready for a child at ``b``."""
    p = world.people
    age_d = b - p.col("birth")[women]
    return (
        (p.col("married_on")[women] < b - 240)
        & (p.col("registered")[women] <= b)
        & (p.col("left")[women] > b)
        & (p.col("death")[women] > b)
        & (age_d >= _years(18.05))
        & (age_d < _years(45.5))
        & (p.col("last_birth")[women] < b - 450)
        & (p.col("method_start")[women] < b - 330)
    )


def _local_births(world: World, year: int, y0: int, y1: int, frac: float, pop_start: np.ndarray) -> int:
    rng, v, p = world.rng, world.villages, world.people
    women = _birth_candidates(world, True)
    b = _uniform_days(rng, y0, y1, women.size)
    ok = _eligible_at(world, women, b)
    women, b = women[ok], b[ok]
    age = (b - p.col("birth")[women]) / _YEAR_DAYS
    par = p.col("parity")[women]
    married_years = (b - p.col("married_on")[women]) / _YEAR_DAYS
    w = _asfr(age) * _PARITY_FACTOR[np.minimum(par, 9)] * _method_factor(p.col("method")[women])
    w *= np.where((par == 0) & (married_years > 4), 0.3, 1.0)
    vil = p.col("village")[women]
    want = v.cbr * _BIRTH_TREND.get(year, 0.9) * pop_start / 1000 * frac
    # Calibrated per township; villages differ by their rate and their women (age, parity, methods).
    n_t = len(world.townships)
    want_t = np.bincount(v.township, weights=want, minlength=n_t)
    prob = _scaled_probabilities(w * v.cbr[vil], v.township[vil], want_t, n_t)
    chosen = _controlled_draw(rng, prob, v.township[vil], n_t)
    mothers, b = women[chosen], b[chosen]
    if mothers.size == 0:
        return 0
    vil = p.col("village")[mothers]
    parity = (p.col("parity")[mothers] + 1).astype(np.int8)
    tw = v.township[vil]

    # Sex and compliance, balanced per township (villages keep their noise).
    boys = np.zeros(mothers.size, dtype=bool)
    compliant = np.zeros(mothers.size, dtype=bool)
    p_comp = np.where(parity <= 2, v.compliance[vil], 0.25 * v.compliance[vil])
    for t in range(len(world.townships)):
        idx = np.flatnonzero(tw == t)
        if idx.size == 0:
            continue
        m = float(v.male_share[vil[idx[0]]])
        sd = 0.05 * math.sqrt(idx.size * m * (1 - m))
        n_boys = int(np.clip(round(idx.size * m + rng.normal(0, sd)), 0, idx.size))
        boys[idx[rng.permutation(idx.size)[:n_boys]]] = True
        pc = p_comp[idx]
        expected = float(pc.sum())
        sd = 0.25 * math.sqrt(float((pc * (1 - pc)).sum()))
        n_comp = int(np.clip(round(expected + rng.normal(0, sd)), 0, idx.size))
        compliant[idx[_weighted_sample(rng, pc / np.maximum(1 - pc, 0.01), n_comp)]] = True

    children = _add_children(world, mothers, b, boys, local=True)
    world.births.append(
        dict(
            mother=mothers,
            child=children,
            village=vil,
            date=b,
            male=boys,
            parity=parity,
            compliant=compliant,
            local=np.ones(mothers.size, dtype=bool),
        )
    )
    # Contraception around the birth: the method in use stopped ~10 months before; a new one
    # starts 3–8 months after (long-acting more likely after the second child).
    _end_spells(world, mothers, b - rng.integers(270, 321, mothers.size))
    p.col("parity")[mothers] = parity
    p.col("last_birth")[mothers] = b
    start = b + rng.integers(90, 241, mothers.size)
    la = v.long_acting[vil]
    methods = _choose_methods(rng, _p_long(la, parity), np.full(mothers.size, 0.12), parity >= 2)
    _start_spells(world, mothers, methods, start)

    # A few infants die within weeks.
    infant = rng.random(mothers.size) < 0.005
    dd = b[infant] + rng.integers(1, 91, int(infant.sum()))
    keep = dd <= y1
    p.col("death")[children[infant][keep]] = dd[keep]
    return int(mothers.size)


def _add_children(world: World, mothers: np.ndarray, b: np.ndarray, boys: np.ndarray, *, local: bool) -> np.ndarray:
    p = world.people
    n = mothers.size
    sl = p.add(
        village=p.col("village")[mothers],
        household=p.col("household")[mothers],
        male=boys,
        birth=b,
        local=np.full(n, local),
        registered=b,
        left=np.full(n, _NEVER) if local else p.col("left")[mothers],
        region=np.full(n, COUNTY_REGION, dtype=np.int32) if local else p.col("region")[mothers],
    )
    return np.arange(sl.start, sl.stop)


def _floating_births(world: World, year: int, y0: int, y1: int, n_local: int) -> None:
    rng, p = world.rng, world.people
    want = rng.poisson(0.032 * n_local) if n_local else 0
    if want == 0:
        return
    women = _birth_candidates(world, False)
    b = _uniform_days(rng, y0, y1, women.size)
    age_d = b - p.col("birth")[women]
    ok = (
        (p.col("married_on")[women] < b - 240)
        & (p.col("registered")[women] <= b)
        & (p.col("left")[women] > b)
        & (p.col("death")[women] > b)
        & (age_d >= _years(18.05))
        & (age_d < _years(42))
        & (p.col("last_birth")[women] < b - 450)
    )
    women, b = women[ok], b[ok]
    w = _asfr(age_d[ok] / _YEAR_DAYS) * _PARITY_FACTOR[np.minimum(p.col("parity")[women], 9)]
    pick = _weighted_sample(rng, w, int(want))
    if pick.size == 0:
        return
    mothers, b = women[pick], b[pick]
    boys = rng.random(mothers.size) < 0.52
    parity = (p.col("parity")[mothers] + 1).astype(np.int8)
    children = _add_children(world, mothers, b, boys, local=False)
    p.col("parity")[mothers] = parity
    p.col("last_birth")[mothers] = b
    world.births.append(
        dict(
            mother=mothers,
            child=children,
            village=p.col("village")[mothers],
            date=b,
            male=boys,
            parity=parity,
            compliant=rng.random(mothers.size) < np.where(parity <= 2, 0.9, 0.3),
            local=np.zeros(mothers.size, dtype=bool),
        )
    )


def _floating_arrivals(world: World, y0: int, y1: int, frac: float, stock: int) -> None:
    rng, v = world.rng, world.villages
    total = rng.poisson(0.215 * stock * frac) if stock else 0
    if total == 0:
        return
    share = v.floating_weight * np.maximum(v.size, 1)
    village = np.sort(rng.choice(v.n, total, p=share / share.sum()).astype(np.int32))
    _add_floating(world, village, registered_from=y0, registered_to=y1)


def _uptake(world: World, y0: int, y1: int, frac: float) -> None:
    """Women with children who use a short-acting method or none take up a long-acting one."""
    rng, v, p = world.rng, world.villages, world.people
    women = np.flatnonzero(
        p.col("local")
        & ~p.col("male")
        & (p.col("marital") == _MARRIED)
        & (p.col("parity") > 0)
        & ((p.col("method") == _NONE) | (p.col("method") >= _ORAL))
    )
    d = _uniform_days(rng, y0, y1, women.size)
    age_d = d - p.col("birth")[women]
    ok = (
        (p.col("registered")[women] < d)
        & (p.col("left")[women] > d)
        & (p.col("death")[women] > d)
        & (age_d < _years(48))
        & (p.col("method_start")[women] < d - 60)
        & (p.col("last_birth")[women] < d - 240)
    )
    women, d = women[ok], d[ok]
    la = v.long_acting[p.col("village")[women]]
    par = p.col("parity")[women]
    rate = np.clip(0.035 + 1.0 * (la - 0.7), 0.02, 0.5) * np.where(par >= 2, 1.5, 1.0) * frac
    go = rng.random(women.size) < rate
    women, d, par = women[go], d[go], par[go]
    _end_spells(world, women, d)
    methods = np.where(par >= 2, _pick(rng, _LONG_MIX_HIGH, women.size), _pick(rng, _LONG_MIX_LOW, women.size)).astype(
        np.int8
    )
    _start_spells(world, women, methods, d)
