"""Contraceptive methods: the initial methods in use, spells started and ended."""

from __future__ import annotations

import numpy as np

from data_access.demo.world import (
    _MARRIED,
    _NEVER,
    _NONE,
    _ORAL,
    _PAST,
    FIRST_DAY,
    World,
    _day,
    _pick,
    _years,
)

_LONG_MIX_LOW = np.array([0.80, 0.03, 0.0, 0.17])  # after the first child: iud, f-ster, m-ster, implant


_LONG_MIX_HIGH = np.array([0.42, 0.42, 0.05, 0.11])  # after the second


_SHORT_MIX = np.array([0.26, 0.20, 0.44, 0.05, 0.05])  # oral, injection, condom, topical, other


def _choose_methods(
    rng: np.random.Generator, p_long: np.ndarray, p_none: np.ndarray, high_parity: np.ndarray
) -> np.ndarray:
    """Method codes (``_NONE`` for none) given per-woman probabilities."""
    n = p_long.size
    u = rng.random(n)
    out = np.full(n, _NONE, dtype=np.int8)
    long = u < p_long
    short = ~long & (u >= p_long + (1 - p_long) * p_none)
    lo = long & ~high_parity
    hi = long & high_parity
    out[lo] = _pick(rng, _LONG_MIX_LOW, int(lo.sum()))
    out[hi] = _pick(rng, _LONG_MIX_HIGH, int(hi.sum()))
    out[short] = _ORAL + _pick(rng, _SHORT_MIX, int(short.sum()))
    return out


def _p_long(la: np.ndarray, parity: np.ndarray) -> np.ndarray:
    """Probability of choosing a long-acting method by propensity and parity."""
    return np.select(
        [parity <= 0, parity == 1],
        [0.04 * la / 0.8, np.clip(la - 0.12, 0.05, 0.95)],
        np.clip(la + 0.12, 0.05, 0.985),
    )


def _start_spells(world: World, women: np.ndarray, methods: np.ndarray, start: np.ndarray) -> None:
    """Make ``methods`` (``_NONE`` skipped) the current method of ``women`` from ``start``."""
    p, s = world.people, world.spells
    use = methods != _NONE
    w, m, st = women[use], methods[use], start[use]
    sl = s.add(woman=w, method=m, start=st)
    spell = p.col("spell")
    method = p.col("method")
    mstart = p.col("method_start")
    spell[women] = -1
    method[women] = _NONE
    mstart[women] = np.where(use, start, _PAST)
    spell[w] = np.arange(sl.start, sl.stop)
    method[w] = m


def _end_spells(world: World, women: np.ndarray, end: np.ndarray) -> None:
    """End the current method (if any) of ``women`` on ``end``."""
    p, s = world.people, world.spells
    spell = p.col("spell")[women]
    has = spell >= 0
    s.col("end")[spell[has]] = end[has]
    p.col("spell")[women] = -1
    p.col("method")[women] = _NONE


def _gen_initial_contraception(world: World) -> None:
    rng, p, v = world.rng, world.people, world.villages
    end0 = _day(FIRST_DAY) - 1
    local, male, marital = p.col("local"), p.col("male"), p.col("marital")
    birth, parity = p.col("birth"), p.col("parity")
    last_birth, married_on = p.col("last_birth"), p.col("married_on")
    women = np.flatnonzero(local & ~male & (marital == _MARRIED) & (end0 - birth < _years(60)))
    par = parity[women]
    la = v.long_acting[p.col("village")[women]]
    postpartum_start = last_birth[women] + rng.integers(90, 241, women.size)
    pending = (par > 0) & (postpartum_start > end0)
    # Current method: the choice after the last child (or at marriage for childless women).
    methods = _choose_methods(rng, _p_long(la + 0.05, par), np.where(par > 0, 0.25, 0.7), par >= 2)
    since = np.where(par > 0, postpartum_start, married_on[women] + rng.integers(0, 60, women.size))
    since = np.minimum(since, np.where(pending, _NEVER, end0))
    since_then = since + (rng.random(women.size) * (end0 - since).clip(min=0)).astype(np.int64)
    start = np.where(pending, postpartum_start, since_then)
    _start_spells(world, women, methods, start)
