"""The generator's containers and shared helpers: column stores for persons, spells and
households, the townships' profiles, villages, the world being simulated, day numbers, and
the small random-draw helpers every step uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

REFERENCE_CSV = Path(__file__).resolve().parent.parent / "reference" / "jingdong_townships.csv"


FIRST_DAY = date(2019, 1, 1)


COUNTY_REGION = 530823


CHUNK_ROWS = 25_000


#: ``contraception.method`` codes; the first four are long-acting.
METHODS: tuple[str, ...] = (
    "iud",
    "female_sterilization",
    "male_sterilization",
    "implant",
    "oral",
    "injection",
    "condom",
    "topical",
    "other",
)


_IUD, _FSTER, _MSTER, _IMPLANT, _ORAL, _INJ, _CONDOM, _TOPICAL, _OTHER = range(9)


_NONE = -1


_N_LONG = 4


_EPOCH = date(1970, 1, 1)


_NEVER = 10**7  # "no date": far in the future, so that `x > d` is true for it


_PAST = -(10**7)  # "no date" for things that would block an event when recent


_YEAR_DAYS = 365.25


_MARITAL = np.array(["single", "married", "divorced", "widowed"])


_SINGLE, _MARRIED, _DIVORCED, _WIDOWED = range(4)


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _years(a: float) -> int:
    """Whole days that surely cover ``a`` years (rounded up)."""
    return int(math.ceil(a * _YEAR_DAYS))


class _Columns:
    """Growable struct-of-arrays: ``add`` appends rows, ``col`` gives the live view."""

    def __init__(self, spec: Mapping[str, tuple[type, object]], capacity: int) -> None:
        self.spec = dict(spec)
        self.n = 0
        self.data: dict[str, np.ndarray] = {
            k: np.full(max(capacity, 16), d, dtype=t) for k, (t, d) in self.spec.items()
        }

    def col(self, name: str) -> np.ndarray:
        return self.data[name][: self.n]

    def add(self, **cols: object) -> slice:
        m = len(next(iter(cols.values())))  # type: ignore[arg-type]
        need = self.n + m
        cap = len(next(iter(self.data.values())))
        if need > cap:
            new_cap = max(need, int(cap * 1.5))
            for k, (t, d) in self.spec.items():
                grown: np.ndarray = np.full(new_cap, d, dtype=t)
                grown[: self.n] = self.data[k][: self.n]
                self.data[k] = grown
        sl = slice(self.n, need)
        for k, v in cols.items():
            self.data[k][sl] = v
        self.n = need
        return sl


_PERSON_SPEC: dict[str, tuple[type, object]] = {
    "village": (np.int32, 0),
    "household": (np.int64, -1),  # index into households, -1 = none
    "male": (np.bool_, False),
    "birth": (np.int64, 0),
    "local": (np.bool_, True),
    "marital": (np.int8, _SINGLE),
    "married_on": (np.int64, _NEVER),
    "registered": (np.int64, 0),
    "left": (np.int64, _NEVER),
    "death": (np.int64, _NEVER),
    "region": (np.int32, COUNTY_REGION),
    # simulation state (not stored)
    "parity": (np.int8, 0),
    "last_birth": (np.int64, _PAST),
    "spell": (np.int64, -1),  # current contraception spell, index into spells
    "method": (np.int8, _NONE),
    "method_start": (np.int64, _PAST),
}


_SPELL_SPEC: dict[str, tuple[type, object]] = {
    "woman": (np.int64, 0),
    "method": (np.int8, 0),
    "start": (np.int64, 0),
    "end": (np.int64, _NEVER),
}


_HOUSEHOLD_SPEC: dict[str, tuple[type, object]] = {"village": (np.int32, 0)}


@dataclass
class Profile:
    """A township's demographic and family-planning character (one value per township)."""

    kind: str
    cbr: float  # crude birth rate ‰ (2024 level)
    cdr: float  # crude death rate ‰
    compliance: float  # probability a parity-1/2 birth is policy compliant
    srb: float  # sex ratio at birth (boys per 100 girls)
    long_acting: float  # propensity to choose a long-acting method (0–1)
    move_out: float  # annual share of residents moving out
    move_in: float  # annual moves in per resident


@dataclass
class Villages:
    n: int
    township: np.ndarray  # township index 0..12
    code: list[str]
    name: list[str]
    kind: list[str]
    lat: np.ndarray
    lon: np.ndarray
    size: np.ndarray  # initial local population
    cbr: np.ndarray
    cdr: np.ndarray
    compliance: np.ndarray
    male_share: np.ndarray
    long_acting: np.ndarray
    floating_weight: np.ndarray


@dataclass
class World:
    """Everything generated, before loading."""

    rng: np.random.Generator
    scale: float
    as_of: date
    townships: list[dict[str, str]]
    profiles: list[Profile]
    villages: Villages
    people: _Columns
    spells: _Columns
    households: _Columns
    births: list[dict[str, np.ndarray]] = field(default_factory=list)
    births_table: dict[str, np.ndarray] = field(default_factory=dict)
    spell_keep: np.ndarray | None = None  # spells to store (set by _finish_spells)
    names: np.ndarray | None = None
    id_numbers: np.ndarray | None = None
    seed: int = 0  # seeds the independent generators of the service and defect steps
    reserved: set[int] = field(default_factory=set)  # persons already carrying a planted defect
    stale_village: int = -1
    event_parts: list[dict[str, np.ndarray]] = field(default_factory=list)
    events: dict[str, np.ndarray] = field(default_factory=dict)  # service_event columns
    quotas: list[tuple[int, int, str, int]] = field(default_factory=list)  # year, township, kind, quota
    rewards: dict[str, np.ndarray] = field(default_factory=dict)
    sites: dict[str, np.ndarray] = field(default_factory=dict)


def _centred_shares(target: np.ndarray, township: np.ndarray, effect: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Village shares = township share with a logit-scale random effect, re-centred so that the
    population-weighted mean over the township's villages is the township's share."""
    shift = np.zeros(target.size)
    w = np.maximum(size, 1).astype(float)
    for _ in range(8):
        share = _expit(_logit(target[township]) + shift[township] + effect)
        mean = np.bincount(township, weights=share * w, minlength=target.size) / np.bincount(
            township, weights=w, minlength=target.size
        )
        shift += _logit(target) - _logit(mean)
    return _expit(_logit(target[township]) + shift[township] + effect)


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _round_preserving(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Round to integers with a random remainder so that small values are not always 0."""
    base = np.floor(x)
    return (base + (rng.random(x.size) < (x - base))).astype(np.int64)


def _pick(rng: np.random.Generator, probs: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    """n draws of category indices with the given probabilities."""
    cum = np.cumsum(probs)
    cum /= cum[-1]
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)


def _pick_rows(rng: np.random.Generator, table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One category per element, with element i drawing from ``table[rows[i]]``."""
    cum = np.cumsum(table, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(rows.size)
    return (u[:, None] >= cum[rows]).sum(axis=1).clip(max=table.shape[1] - 1)


def _weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Positions of k items drawn without replacement with probability ∝ weight."""
    k = min(k, int(np.count_nonzero(weights > 0)))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(divide="ignore"):
        keys = np.log(rng.random(weights.size)) / weights  # Efraimidis–Spirakis
    return np.argpartition(-keys, k - 1)[:k]


def _uniform_days(rng: np.random.Generator, lo: np.ndarray | int, hi: np.ndarray | int, n: int) -> np.ndarray:
    """Uniform whole days in [lo, hi] (element-wise)."""
    lo_a = np.broadcast_to(np.asarray(lo, dtype=np.int64), (n,))
    hi_a = np.broadcast_to(np.asarray(hi, dtype=np.int64), (n,))
    return lo_a + (rng.random(n) * (hi_a - lo_a + 1)).astype(np.int64).clip(min=0)


def _sub_rng(world: World, stream: int) -> np.random.Generator:
    """An independent generator per later step, so that one step never shifts another."""
    return np.random.default_rng([world.seed, stream])


def _present_at(p: _Columns, d: int | np.ndarray) -> np.ndarray:
    """Persons registered, not gone and alive at the end of day ``d`` (local or not)."""
    return (p.col("registered") <= d) & (p.col("left") > d) & (p.col("death") > d)


#: ``service_event.kind`` and ``service_event.operation`` codes.
SERVICE_KINDS: tuple[str, ...] = ("publicity_visit", "pregnancy_check", "folic_acid", "operation", "supply_service")


OPERATIONS: tuple[str, ...] = ("iud_insertion", "iud_removal", "sterilization", "abortion")


def _add_events(
    world: World,
    kind: str,
    day: np.ndarray,
    village: np.ndarray,
    *,
    person: np.ndarray | None = None,
    household: np.ndarray | None = None,
    operation: np.ndarray | None = None,
    informed: np.ndarray | None = None,
) -> None:
    n = day.size
    none = np.full(n, -1, dtype=np.int64)
    world.event_parts.append(
        dict(
            kind=np.full(n, SERVICE_KINDS.index(kind), dtype=np.int8),
            date=day.astype(np.int64),
            village=village.astype(np.int64),
            person=none if person is None else person.astype(np.int64),
            household=none if household is None else household.astype(np.int64),
            operation=none if operation is None else operation.astype(np.int64),
            informed=none if informed is None else informed.astype(np.int64),  # 1 / 0 / -1 = NULL
        )
    )
