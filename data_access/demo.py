"""The deterministic demo registry: 景东县 with its real townships, simulated from 2019 (DESIGN.md §9).

``build_demo(engine)`` generates a county at ``scale`` × about 367,000 registered residents,
with every event from 2019-01-01 up to the last day of the last complete month before
``today`` (``as_of``), and bulk-loads it into the contract tables (``data_access.schema``).

How the data is made
--------------------
1. **Townships** come from ``reference/jingdong_townships.csv``. Each gets a *profile* (birth
   rate, death rate, policy compliance, sex ratio at birth, long-acting propensity): 锦屏镇 (the
   county seat) is urban and meets its targets, 龙街乡 has compliance below the 82 % veto line,
   and the other eleven draw, by the seed, four "meets every target" profiles and seven that
   miss one or two targets. Small seeded jitter makes every seed a little different.
2. **Villages**: all 170 at every scale (published names where known, generated ones
   otherwise; 锦屏镇 has four 社区). Each has random effects around its township's profile, and a
   lognormal share of the township's population; a few villages are very small.
3. **Initial population** on 2018-12-31: an age pyramid of rural Yunnan, sex, marital status
   and marriage date by age, parity and last birth of married women, households of 1–6, a
   contraceptive method in use, and floating persons (流入人口, about 4 %).
4. **Year by year** (vectorised over everybody): deaths (age-dependent, scaled to the village
   death rate), moves out, marriages, moves in, local births (mothers drawn among eligible
   married women weighted by age, parity and method, scaled to the village birth rate; the
   sex and compliance of births are balanced per township and year so township indicators
   follow the profile while villages stay noisy), contraception ending about ten months before
   a birth and a new method 3–8 months after it, uptake of long-acting methods, floating
   persons moving in and out, and floating births (not counted by the dashboard).
5. **Planted data-quality defects** (:data:`PLANTED_DEFECTS`, exact counts at any scale ≥ 0.01):
   one stale village, two villages whose year-to-date population does not balance, mothers
   recorded as too old, births missing fields, dates before birth; then **names and 身份证号**
   (GB 11643 check digit, unique) for everybody, and the ID defects on top (invalid,
   duplicate, disagreeing with sex or birth date). Every defect sits on records of its own.
6. **Service work** 2019..as_of: publicity visits to households, contraceptive operations
   (from the contraception records: insertions, sterilisations, some removals; a few
   abortions), supply services for women on short-acting methods, pregnancy checks and folic
   acid against ``task_quota`` (from the township's births), reward payments (奖/免/补) with a
   few late, short or unpaid ones, and demonstration sites. Each township gets a level per
   service indicator (the "good" ones rank high), villages add noise. Last, the two records
   dated after as_of (``event_future``).

The simulation (steps 1–4, names and ID numbers) draws from one ``numpy.random.default_rng(seed)``
in a fixed order; every later step has its own generator seeded by (seed, step), so the same
(scale, seed, today) gives the same database, and a later step never shifts an earlier one.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from data_access import schema

REFERENCE_CSV = Path(__file__).resolve().parent / "reference" / "jingdong_townships.csv"

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


@dataclass(frozen=True)
class DemoSummary:
    """What ``build_demo`` made: row counts of the main tables, time taken, last data day.

    ``persons`` and ``births`` count every row of ``person`` and ``birth`` (floating ones
    included); ``deaths`` counts persons with a death date.
    """

    persons: int
    births: int
    deaths: int
    villages: int
    townships: int
    seconds: float
    as_of: date


def as_of_for(today: date) -> date:
    """Last day of the last complete month before ``today``."""
    return today.replace(day=1) - timedelta(days=1)


# --------------------------------------------------------------------------- public entry


def build_demo(
    engine: sa.Engine,
    *,
    scale: float = 1.0,
    seed: int = 20240601,
    today: date | None = None,
    target_rows: Sequence[Mapping[str, object]] = (),
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Generate the demo county and load it into ``engine``'s database (tables created here).

    Raises ``ValueError`` (one line) when the database already has persons, the scale is not
    positive or ``today`` leaves no complete month since 2019-01.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _step: None)
    if not scale > 0:
        raise ValueError(f"demo scale must be positive, got {scale}")
    as_of = as_of_for(today or date.today())
    if as_of < date(2019, 1, 31):
        raise ValueError(f"demo data start in 2019-01; no complete month before {today}")
    _refuse_if_populated(engine)

    world = generate(scale=scale, seed=seed, as_of=as_of, progress=say)

    schema.create_tables(engine, with_indexes=False)
    with engine.begin() as conn:
        _load(conn, world, target_rows, say)
    say("indexes")
    with engine.begin() as conn:
        schema.create_indexes(conn)
    p = world.people
    return DemoSummary(
        persons=p.n,
        births=int(world.births_table["mother"].size),
        deaths=int(np.count_nonzero(p.col("death") < _NEVER)),
        villages=world.villages.n,
        townships=len(world.townships),
        seconds=time.perf_counter() - t0,
        as_of=as_of,
    )


def _refuse_if_populated(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(schema.person.name):
            return
        row = conn.execute(sa.select(schema.person.c.id).limit(1)).first()
    if row is not None:
        url = engine.url.render_as_string(hide_password=True)
        raise ValueError(f"数据库已有人口记录，不生成演示数据 (the database already holds persons): {url}")


# --------------------------------------------------------------------------- containers


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
        self.data = {k: np.full(max(capacity, 16), d, dtype=t) for k, (t, d) in self.spec.items()}

    def col(self, name: str) -> np.ndarray:
        return self.data[name][: self.n]

    def add(self, **cols: object) -> slice:
        m = len(next(iter(cols.values())))  # type: ignore[arg-type]
        need = self.n + m
        cap = len(next(iter(self.data.values())))
        if need > cap:
            new_cap = max(need, int(cap * 1.5))
            for k, (t, d) in self.spec.items():
                grown = np.full(new_cap, d, dtype=t)
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


# --------------------------------------------------------------------------- generation


def generate(*, scale: float, seed: int, as_of: date, progress: Callable[[str], None]) -> World:
    """Run every generation step in a fixed order (the order is part of determinism)."""
    rng = np.random.default_rng(seed)
    townships = _read_townships()
    progress("units")
    profiles = _township_profiles(rng, townships)
    villages = _make_villages(rng, townships, profiles, scale)
    est = int(villages.size.sum())
    world = World(
        rng=rng,
        scale=scale,
        as_of=as_of,
        townships=townships,
        profiles=profiles,
        villages=villages,
        people=_Columns(_PERSON_SPEC, int(est * 1.35) + 64),
        spells=_Columns(_SPELL_SPEC, int(est * 0.45) + 64),
        households=_Columns(_HOUSEHOLD_SPEC, int(est / 3.0) + 64),
        seed=seed,
    )
    progress("population")
    _gen_initial_population(world)
    _gen_initial_floating(world)
    _gen_initial_contraception(world)
    for year in range(FIRST_DAY.year, as_of.year + 1):
        progress(f"year {year}")
        _simulate_year(world, year)
    progress("names")
    _finish_spells(world)
    _finish_births(world)
    # Record-level defects that change who is who come before names and ID numbers, so
    # that every added or re-dated person gets a matching, unique number.
    _plant_registry_defects(world)
    _gen_names(world)
    _gen_id_numbers(world)
    _plant_id_defects(world)
    progress("services")
    quality = _service_quality(world)
    _gen_publicity_visits(world, quality)
    _gen_operations(world, quality)
    _gen_supply_services(world, quality)
    _gen_quota_services(world, quality)
    _gen_reward_payments(world, quality)
    _gen_demo_sites(world)
    _plant_future_events(world)
    _plant_service_before_birth(world)
    _finish_events(world)
    return world


def _read_townships() -> list[dict[str, str]]:
    with open(REFERENCE_CSV, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# Archetypes: the profile each kind of township starts from (2024 levels).
_ARCHETYPES: dict[str, dict[str, float]] = {
    #               CBR‰   CDR‰  compliance  SRB    long-acting
    "urban": dict(cbr=9.0, cdr=5.4, compliance=0.972, srb=105.0, long_acting=0.80),
    "good": dict(cbr=10.3, cdr=6.1, compliance=0.968, srb=105.0, long_acting=0.81),
    "high_births": dict(cbr=13.6, cdr=6.2, compliance=0.958, srb=105.0, long_acting=0.79),
    "mild_births": dict(cbr=12.6, cdr=6.0, compliance=0.963, srb=105.0, long_acting=0.80),
    "low_planned": dict(cbr=10.8, cdr=6.3, compliance=0.885, srb=105.5, long_acting=0.80),
    "high_srb": dict(cbr=10.6, cdr=6.4, compliance=0.955, srb=114.0, long_acting=0.80),
    "low_long_acting": dict(cbr=11.0, cdr=6.0, compliance=0.960, srb=105.0, long_acting=0.705),
    "srb_planned": dict(cbr=11.2, cdr=6.5, compliance=0.895, srb=112.0, long_acting=0.80),
    "veto": dict(cbr=11.4, cdr=6.6, compliance=0.800, srb=109.0, long_acting=0.79),
}
_SEAT_CODE = "530823101"  # 锦屏镇
_VETO_CODE = "530823205"  # 龙街乡
_SHUFFLED_KINDS = (
    "good",
    "good",
    "good",
    "good",
    "high_births",
    "mild_births",
    "low_planned",
    "high_srb",
    "low_long_acting",
    "srb_planned",
    "mild_births",
)


def _township_profiles(rng: np.random.Generator, townships: list[dict[str, str]]) -> list[Profile]:
    others = [i for i, t in enumerate(townships) if t["code"] not in (_SEAT_CODE, _VETO_CODE)]
    kinds = ["good"] * len(townships)
    order = rng.permutation(len(others))
    for slot, i in zip(order, others):
        kinds[i] = _SHUFFLED_KINDS[int(slot) % len(_SHUFFLED_KINDS)]
    for i, t in enumerate(townships):
        if t["code"] == _SEAT_CODE:
            kinds[i] = "urban"
        elif t["code"] == _VETO_CODE:
            kinds[i] = "veto"
    jitter = rng.normal(size=(len(townships), 7))
    profiles = []
    for i, kind in enumerate(kinds):
        a = _ARCHETYPES[kind]
        j = jitter[i]
        profiles.append(
            Profile(
                kind=kind,
                cbr=a["cbr"] + 0.25 * j[0],
                cdr=a["cdr"] + 0.25 * j[1],
                compliance=float(np.clip(a["compliance"] + 0.004 * j[2], 0.5, 0.99)),
                srb=a["srb"] + 0.15 * j[3],
                long_acting=float(np.clip(a["long_acting"] + 0.008 * j[4], 0.5, 0.97)),
                move_out=0.010 * math.exp(0.15 * j[5]) * (1.2 if kind == "urban" else 1.0),
                move_in=0.0078 * math.exp(0.15 * j[6]) * (1.4 if kind == "urban" else 1.0),
            )
        )
    return profiles


# Two-character (and a few longer) stems for generated village names; 村 is appended.
_VILLAGE_STEMS = (
    "新民 和平 大平掌 石门 龙潭 松林 河边 小村头 中山 团结 新华 大坪 小坪 坝头 坝尾 箐口 菜园 板桥 麦地 "
    "梨树 核桃箐 茶山 白沙 黄草坝 红星 东山 西山 南岭 北斗 长田 水井 新寨 老寨 上寨 下寨 大箐 小箐 山岗 "
    "芭蕉林 竹林 松山 清水 凤凰 青龙 金竹 银河 永平 太平 民福 光明 杨柳 木厂 碧溪 大丫口 小河 新田 营盘 "
    "马鞍山 平掌 杉木 桃园 石岩 花园 槽子 长岭 关山 羊街 大地 坡头 梁子 弯子 坪掌 丫口 干坝 平川 蒿枝坝 "
    "锡腊 密竹 岩头 青云 德胜 顺和 富民 兴隆 鹿鸣 龙洞 龙树 龙门 老苍坡 对门山 三合 四合 五一 联合 "
    "民主 新街 老街 文岗 景星 孟主 蛮线 黄家 罗家 杨家 陈家 李家 普家 大沟 小沟 象山 拉乌 磨腊 宝山 "
    "勐统 瓦房 三岔河 河底 箐门 平掌田 多依 小龙潭 大石头 松树 柏木 石洞 林场 安宁 兴福 永胜 元宝 "
    "长发坡 水磨 大寨 小寨 中寨 后山 前山 河头 里崴 外崴"
).split()
_COMMUNITIES = ("锦屏社区", "城区社区", "新城社区", "川河社区")
_SMALL_VILLAGES = 7  # villages of a few hundred people at scale 1


def _make_villages(
    rng: np.random.Generator, townships: list[dict[str, str]], profiles: list[Profile], scale: float
) -> Villages:
    published = {s for t in townships for s in t["village_names"].split(";") if s}
    pool = [s for s in dict.fromkeys(_VILLAGE_STEMS) if s not in published]
    pool_order = rng.permutation(len(pool))
    next_stem = 0
    tw, code, name, kind, lat, lon = [], [], [], [], [], []
    for ti, t in enumerate(townships):
        count = int(t["village_count"])
        stems = [s for s in t["village_names"].split(";") if s][:count]
        n_comm = len(_COMMUNITIES) if t["code"] == _SEAT_CODE else 0
        names: list[str] = list(_COMMUNITIES[:n_comm]) + [s + "村" for s in stems]
        while len(names) < count:
            names.append(pool[int(pool_order[next_stem])] + "村")
            next_stem += 1
        for k, nm in enumerate(names):
            is_comm = k < n_comm
            tw.append(ti)
            code.append(t["code"] + (f"{k + 1:03d}" if is_comm else f"{201 + k - n_comm:03d}"))
            name.append(nm)
            kind.append("社区" if is_comm else "村")
        seat_lat, seat_lon = float(t["seat_lat"]), float(t["seat_lon"])
        radius = np.where(np.arange(count) < n_comm, 0.012, 0.06) * np.sqrt(rng.uniform(0.05, 1.0, count))
        angle = rng.uniform(0, 2 * np.pi, count)
        lat.extend(np.round(seat_lat + radius * np.sin(angle), 5))
        lon.extend(np.round(seat_lon + radius * np.cos(angle) / math.cos(math.radians(seat_lat)), 5))
    n = len(tw)
    township = np.array(tw, dtype=np.int32)
    is_comm = np.array([k == "社区" for k in kind])

    # Sizes: lognormal shares of the township, communities larger, a few very small villages.
    weight = rng.lognormal(0.0, 0.5, n) * np.where(is_comm, 3.2, 1.0)
    small = rng.choice(np.flatnonzero(~is_comm), _SMALL_VILLAGES, replace=False)
    size = np.zeros(n)
    grow = 0.988  # the simulated years add about 1.2 %; start a little below the published figure
    for ti, t in enumerate(townships):
        idx = np.flatnonzero(township == ti)
        total = float(t["population_approx"]) * scale * grow
        s_idx = idx[np.isin(idx, small)]
        fixed = rng.uniform(180, 650, s_idx.size) * scale
        size[s_idx] = fixed
        rest = idx[~np.isin(idx, small)]
        size[rest] = (total - fixed.sum()) * weight[rest] / weight[rest].sum()
    size_int = _round_preserving(rng, size)

    p = profiles
    re_cbr = np.exp(rng.normal(0, 0.14, n))
    re_cdr = np.exp(rng.normal(0, 0.12, n))
    re_pc = rng.normal(0, 0.35, n)
    re_la = rng.normal(0, 0.30, n)
    cbr = np.array([p[t].cbr for t in township]) * re_cbr * np.where(is_comm, 0.9, 1.0)
    cdr = np.array([p[t].cdr for t in township]) * re_cdr * np.where(is_comm, 0.9, 1.0)
    for ti in range(len(townships)):  # the township's own rates are the population-weighted mean
        idx = township == ti
        wsum = max(float(size_int[idx].sum()), 1.0)
        cbr[idx] *= p[ti].cbr / max(float((cbr[idx] * size_int[idx]).sum()) / wsum, 1e-9)
        cdr[idx] *= p[ti].cdr / max(float((cdr[idx] * size_int[idx]).sum()) / wsum, 1e-9)
    compliance = _centred_shares(np.array([q.compliance for q in p]), township, re_pc, size_int)
    srb = np.array([p[t].srb for t in township])
    male_share = srb / (100 + srb)  # per township: births' sex is balanced per township
    long_acting = _centred_shares(np.array([q.long_acting for q in p]), township, re_la, size_int)
    floating_weight = np.where(is_comm, 3.5, np.where(township == 0, 1.6, 1.0)) * rng.lognormal(0, 0.4, n)
    return Villages(
        n=n,
        township=township,
        code=code,
        name=name,
        kind=kind,
        lat=np.array(lat),
        lon=np.array(lon),
        size=size_int,
        cbr=cbr,
        cdr=cdr,
        compliance=compliance,
        male_share=male_share,
        long_acting=long_acting,
        floating_weight=floating_weight,
    )


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


def _pick(rng: np.random.Generator, probs: Sequence[float], n: int) -> np.ndarray:
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


# Age pyramid of rural Yunnan at the end of 2018: shares of 5-year groups 0–4 … 80–84, 85+.
_PYRAMID = np.array(
    [6.0, 6.5, 6.3, 5.6, 5.8, 7.2, 8.0, 7.5, 8.3, 9.0, 8.0, 5.5, 5.0, 4.2, 2.9, 2.0, 1.2, 0.6]
)
_AGE_EDGES = np.array([0, 18, 20, 25, 30, 35, 50, 65, 75])
# (single, married, divorced, widowed) by the age bins above.
_MARITAL_F = np.array(
    [
        [1, 0, 0, 0],
        [0.90, 0.10, 0, 0],
        [0.55, 0.44, 0.01, 0],
        [0.20, 0.77, 0.025, 0.005],
        [0.08, 0.88, 0.03, 0.01],
        [0.03, 0.91, 0.035, 0.025],
        [0.02, 0.86, 0.03, 0.09],
        [0.01, 0.70, 0.02, 0.27],
        [0.01, 0.45, 0.01, 0.53],
    ]
)
_MARITAL_M = np.array(
    [
        [1, 0, 0, 0],
        [1, 0, 0, 0],
        [0.75, 0.25, 0, 0],
        [0.40, 0.58, 0.02, 0],
        [0.18, 0.78, 0.035, 0.005],
        [0.10, 0.84, 0.045, 0.015],
        [0.06, 0.86, 0.04, 0.04],
        [0.04, 0.80, 0.02, 0.14],
        [0.03, 0.67, 0.01, 0.29],
    ]
)
_HOUSEHOLD_SIZES = np.array([0.12, 0.20, 0.25, 0.23, 0.13, 0.07])  # 1..6, mean ≈ 3.26
_OTHER_REGIONS = np.array(
    [530802, 530821, 530822, 530824, 530825, 530826, 530827, 530828, 530829, 532901, 532923,
     532927, 530381, 530402, 530111, 532501, 510623, 522401, 430521, 532301],
    dtype=np.int32,
)


def _age_days(rng: np.random.Generator, n: int) -> np.ndarray:
    group = _pick(rng, _PYRAMID, n)
    years = group * 5 + rng.random(n) * 5
    old = group == len(_PYRAMID) - 1
    years[old] = 85 + np.minimum(rng.exponential(4.0, int(old.sum())), 19)
    return (years * _YEAR_DAYS).astype(np.int64)


def _marriage_dates(
    rng: np.random.Generator, birth: np.ndarray, male: np.ndarray, latest: np.ndarray
) -> np.ndarray:
    """Marriage dates: women at 18+ (mean 22), men at 20+ (mean 24.5), never after ``latest``."""
    low = np.where(male, 20.05, 18.05)
    age_at = np.where(male, rng.normal(24.6, 2.8, birth.size), rng.normal(22.3, 2.6, birth.size))
    age_at = np.maximum(age_at, low)
    max_age = (latest - birth) / _YEAR_DAYS - 0.02
    late = age_at > max_age
    age_at[late] = low[late] + rng.random(int(late.sum())) * np.maximum(max_age[late] - low[late], 0)
    return birth + np.ceil(age_at * _YEAR_DAYS).astype(np.int64)


def _marital_by_age(rng: np.random.Generator, age_years: np.ndarray, male: np.ndarray) -> np.ndarray:
    bins = np.searchsorted(_AGE_EDGES, age_years, side="right") - 1
    status = np.empty(age_years.size, dtype=np.int8)
    status[~male] = _pick_rows(rng, _MARITAL_F, bins[~male])
    status[male] = _pick_rows(rng, _MARITAL_M, bins[male])
    # Too young to have married at the legal age by now: single.
    status[(age_years < np.where(male, 20.1, 18.1))] = _SINGLE
    return status


def _gen_initial_population(world: World) -> None:
    rng, v, p = world.rng, world.villages, world.people
    end0 = _day(FIRST_DAY) - 1
    n = int(v.size.sum())
    village = np.repeat(np.arange(v.n, dtype=np.int32), v.size)
    age_d = _age_days(rng, n)
    birth = end0 - age_d
    age = age_d / _YEAR_DAYS
    male = rng.random(n) < np.where(age < 60, 0.524, np.where(age < 80, 0.50, 0.43))
    marital = _marital_by_age(rng, age, male)
    ever = marital != _SINGLE
    married_on = np.full(n, _NEVER, dtype=np.int64)
    married_on[ever] = _marriage_dates(rng, birth[ever], male[ever], np.full(int(ever.sum()), end0))

    # Registration: born here, or married in (women), or moved in as an adult.
    registered = birth.copy()
    region = np.full(n, COUNTY_REGION, dtype=np.int32)
    marry_in = ever & ~male & (rng.random(n) < 0.3)
    registered[marry_in] = np.minimum(married_on[marry_in] + rng.integers(0, 60, int(marry_in.sum())), end0)
    adult_in = ~marry_in & (age >= 18.5) & (rng.random(n) < 0.08)
    span = (age_d[adult_in] - _years(18)).clip(min=1)
    offset = (rng.random(int(adult_in.sum())) * span).astype(np.int64)
    registered[adult_in] = birth[adult_in] + _years(18) + offset
    moved = marry_in | adult_in
    region[moved] = rng.choice(_OTHER_REGIONS, int(moved.sum()))

    # Parity and last birth of ever-married women.
    parity = np.zeros(n, dtype=np.int8)
    last_birth = np.full(n, _PAST, dtype=np.int64)
    women = np.flatnonzero(ever & ~male)
    ym = (end0 - married_on[women]) / _YEAR_DAYS
    band = np.select([ym < 0.85, ym < 3, ym < 8, age[women] < 50], [0, 1, 2, 3], 4)
    table = np.array(
        [
            [1.0, 0, 0, 0],
            [0.30, 0.60, 0.10, 0],
            [0.08, 0.52, 0.36, 0.04],
            [0.04, 0.36, 0.52, 0.08],
            [0.02, 0.20, 0.50, 0.28],
        ]
    )
    par = _pick_rows(rng, table, band).astype(np.int8)
    parity[women] = par
    has = par > 0
    w_has = women[has]
    first = married_on[w_has] + 300
    latest = np.minimum(end0, first + (365 * (2 + 3 * (par[has].astype(np.int64) - 1))))
    latest = np.minimum(latest, birth[w_has] + _years(44))
    latest = np.maximum(latest, first)
    last_birth[w_has] = np.minimum(first + (rng.random(w_has.size) * (latest - first)).astype(np.int64), end0)

    sl = p.add(
        village=village,
        male=male,
        birth=birth,
        local=np.ones(n, dtype=bool),
        marital=marital,
        married_on=married_on,
        registered=registered,
        region=region,
        parity=parity,
        last_birth=last_birth,
    )
    # Households of 1–6 within each village (persons are contiguous per village).
    household = np.empty(n, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(v.size)])
    hh_village: list[np.ndarray] = []
    next_hh = 0
    for vi in range(v.n):
        a, b = int(starts[vi]), int(starts[vi + 1])
        m = b - a
        if m == 0:
            continue
        sizes = _pick(rng, _HOUSEHOLD_SIZES, m // 3 + 8) + 1
        while sizes.sum() < m:
            sizes = np.concatenate([sizes, _pick(rng, _HOUSEHOLD_SIZES, m // 3 + 8) + 1])
        bounds = np.cumsum(sizes)
        k = int(np.searchsorted(bounds, m)) + 1  # households used
        household[a + rng.permutation(m)] = next_hh + np.searchsorted(bounds, np.arange(m), side="right")
        hh_village.append(np.full(k, vi, dtype=np.int32))
        next_hh += k
    world.households.add(village=np.concatenate(hh_village) if hh_village else np.zeros(0, np.int32))
    p.col("household")[sl] = household


def _gen_initial_floating(world: World) -> None:
    rng, v = world.rng, world.villages
    end0 = _day(FIRST_DAY) - 1
    total = int(round(0.040 * v.size.sum()))
    share = v.floating_weight * np.maximum(v.size, 1)
    village = rng.choice(v.n, total, p=share / share.sum()).astype(np.int32)
    village.sort()
    _add_floating(world, village, registered_from=_day(date(2014, 1, 1)), registered_to=end0)


def _add_floating(world: World, village: np.ndarray, *, registered_from: int, registered_to: int) -> slice:
    """Floating persons (mostly working age) registered in [registered_from, registered_to]."""
    rng, p = world.rng, world.people
    n = village.size
    registered = registered_from + (rng.random(n) * (registered_to - registered_from + 1)).astype(np.int64)
    kid = rng.random(n) < 0.15
    age_years = np.where(kid, rng.uniform(0.3, 15, n), np.clip(rng.gamma(6.0, 5.2, n) + 12, 16.5, 62))
    birth = registered - (age_years * _YEAR_DAYS).astype(np.int64)
    male = rng.random(n) < np.where(kid, 0.52, 0.55)
    marital = _marital_by_age(rng, age_years, male)
    married_on = np.full(n, _NEVER, dtype=np.int64)
    ever = marital != _SINGLE
    married_on[ever] = _marriage_dates(rng, birth[ever], male[ever], registered[ever])
    parity = np.where(ever & ~male, _pick(rng, [0.3, 0.45, 0.22, 0.03], n), 0).astype(np.int8)
    return p.add(
        village=village,
        male=male,
        birth=birth,
        local=np.zeros(n, dtype=bool),
        marital=marital,
        married_on=married_on,
        registered=registered,
        region=rng.choice(_OTHER_REGIONS, n),
        parity=parity,
    )


# --------------------------------------------------------------------------- contraception

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


# --------------------------------------------------------------------------- the years

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


def _uniform_days(rng: np.random.Generator, lo: np.ndarray | int, hi: np.ndarray | int, n: int) -> np.ndarray:
    """Uniform whole days in [lo, hi] (element-wise)."""
    lo_a = np.broadcast_to(np.asarray(lo, dtype=np.int64), (n,))
    hi_a = np.broadcast_to(np.asarray(hi, dtype=np.int64), (n,))
    return lo_a + (rng.random(n) * (hi_a - lo_a + 1)).astype(np.int64).clip(min=0)


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
    ok = (
        (d >= b + np.where(m, _years(20.05), _years(18.05)))
        & (d < p.col("left")[cand])
        & (d < p.col("death")[cand])
    )
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


def _moves_in(
    world: World, y0: int, y1: int, frac: float, pop_start: np.ndarray, present_local: np.ndarray
) -> None:
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
    return np.flatnonzero(
        (p.col("local") == local) & ~p.col("male") & (p.col("marital") == _MARRIED)
    )


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
        dict(mother=mothers, child=children, village=vil, date=b, male=boys, parity=parity,
             compliant=compliant, local=np.ones(mothers.size, dtype=bool))
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


def _add_children(
    world: World, mothers: np.ndarray, b: np.ndarray, boys: np.ndarray, *, local: bool
) -> np.ndarray:
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
        dict(mother=mothers, child=children, village=p.col("village")[mothers], date=b, male=boys,
             parity=parity, compliant=rng.random(mothers.size) < np.where(parity <= 2, 0.9, 0.3),
             local=np.zeros(mothers.size, dtype=bool))
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
    methods = np.where(
        par >= 2, _pick(rng, _LONG_MIX_HIGH, women.size), _pick(rng, _LONG_MIX_LOW, women.size)
    ).astype(np.int8)
    _start_spells(world, women, methods, d)


# --------------------------------------------------------------------------- finishing


def _finish_spells(world: World) -> None:
    """Drop spells that never began (after death, moving out or as_of); close at death."""
    p, s = world.people, world.spells
    woman, start, end = s.col("woman"), s.col("start"), s.col("end")
    death, left = p.col("death")[woman], p.col("left")[woman]
    keep = (start <= _day(world.as_of)) & (start < death) & (start < left) & (end > start)
    end[(end >= death) & keep] = death[(end >= death) & keep]
    world.spell_keep = np.flatnonzero(keep)


def _finish_births(world: World) -> None:
    parts = world.births
    keys = ("mother", "child", "village", "date", "male", "parity", "compliant", "local")
    table = {k: np.concatenate([b[k] for b in parts]) if parts else np.zeros(0) for k in keys}
    order = np.lexsort((table["mother"], table["date"])) if parts else np.zeros(0, dtype=np.int64)
    world.births_table = {k: a[order] for k, a in table.items()}


_SURNAMES = (
    "李 张 罗 杨 陈 王 刀 鲁 普 字 刘 周 赵 黄 吴 徐 孙 胡 朱 高 何 郭 马 梁 宋 郑 谢 韩 唐 冯 董 苏 叶 "
    "段 施 查 毕 陶 龙 左 自 起 阿 鲍 邓 曾 彭 余 范 田 白 许 邱 苟 常 熊 番"
).split()
_SURNAME_W = np.array(
    [10, 8, 6, 7, 5, 5, 2, 2.5, 2, 2, 3, 2, 2.5, 2, 2, 1.5, 1.2, 1.5, 1.2, 1.3, 1.3, 1.2, 1.5, 1, 1, 1, 1,
     0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 2, 1.5, 1.2, 1.5, 1, 1, 0.8, 1.3, 1, 0.6, 0.6, 0.8, 0.8, 0.8, 0.8, 0.6,
     0.8, 0.6, 0.6, 0.6, 0.5, 0.5, 0.4, 0.4]
)
_GIVEN_M = list(
    "伟强军平明勇华林春国建文福荣兴涛斌超杰辉刚海云龙发成德正贵祥志忠学永宏昌才宇浩俊鹏飞磊顺有金富家"
    "光红伦贤亮武元洪兵绍开朝庆"
)
_GIVEN_F = list(
    "芳秀英丽华敏燕琴梅兰红艳玲霞娟萍琼凤仙花云美蓉翠珍娥月莲春桂菊香芬娜婷雪静慧佳欣怡梦丹倩琳秋"
    "会林金粉巧"
)


def _gen_names(world: World) -> None:
    rng, p = world.rng, world.people
    n = p.n
    male = p.col("male")
    surnames = np.array(_SURNAMES)[_pick(rng, _SURNAME_W, n)]
    gm, gf = np.array(_GIVEN_M), np.array(_GIVEN_F)
    first = np.where(male, gm[rng.integers(0, gm.size, n)], gf[rng.integers(0, gf.size, n)])
    second = np.where(male, gm[rng.integers(0, gm.size, n)], gf[rng.integers(0, gf.size, n)])
    two = (rng.random(n) < 0.68) & (second != first)
    world.names = np.strings.add(np.strings.add(surnames, first), np.where(two, second, ""))


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"))


def _gen_id_numbers(world: World) -> None:
    """18-character 身份证号: region + birth date + unique sequence (odd = male) + check digit."""
    rng, p = world.rng, world.people
    n = p.n
    birth = p.col("birth")
    male = p.col("male")
    region = p.col("region").astype(np.int64)
    d = birth.astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    # Unique sequence within (region, birth date, sex): rank in the group, spread by a stride.
    key = (region * 100_000 + (birth + 50_000)) * 2 + male
    tie = rng.random(n)
    order = np.lexsort((tie, key))
    ks = key[order]
    new_group = np.concatenate([[True], ks[1:] != ks[:-1]])
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    rank = np.arange(n) - group_start
    if n and rank.max() >= 499:
        raise ValueError("too many persons share a birth date for unique ID numbers")
    offset = rng.integers(0, 499, n)[group_start]  # one random offset per group
    k = np.empty(n, dtype=np.int64)
    k[order] = (offset + rank * 37) % 499 + 1  # 1..499, distinct within the group
    seq = 2 * k - male.astype(np.int64)  # male 1..997 odd, female 2..998 even
    body = region * 10**11 + (y * 10_000 + mo * 100 + dd) * 1000 + seq
    total = np.zeros(n, dtype=np.int64)
    rest = body.copy()
    for pos in range(16, -1, -1):
        total += (rest % 10) * _ID_WEIGHTS[pos]
        rest //= 10
    world.id_numbers = np.strings.add(body.astype(np.str_), _ID_CHECK[total % 11])


# --------------------------------------------------------------------------- planted defects

#: Data-quality defects planted in the local population, by check, with their exact counts
#: (the same at every scale ≥ 0.01 and every seed); the rest of the registry has none of them.
#:
#: * ``id_missing`` – one person without a 身份证号 (NULL).
#: * ``id_invalid`` – persons whose 身份证号 is not a valid 18-character number: 2 of a wrong
#:   length (17 and 19 characters), 2 with a wrong check digit, 2 with an
#:   impossible date part (month 13; 30 February, check digit right).
#: * ``id_duplicate`` – persons sharing a valid number: 3 numbers held by 2 persons each (same
#:   sex and birth date, so that the number agrees with both).
#: * ``id_sex_mismatch`` / ``id_birth_date_mismatch`` – valid, unique numbers whose 17th digit
#:   (odd = male) / date part disagrees with the person's ``sex`` / ``birth_date``.
#: * ``mother_age`` – local births whose mother (by her ``birth_date``) was 50 or older.
#: * ``event_future`` – one ``service_event`` and one ``contraception.start_date`` after as_of.
#: * ``event_before_birth`` – one ``married_on``, one ``contraception.start_date``, one
#:   ``death_date`` and one ``service_event.event_date`` before the person's own ``birth_date``.
#: * ``birth_missing_fields`` – local births: 2 without ``sex``, 2 without ``policy_compliant``.
#: * ``stale_village`` – villages with no registry change (birth, death, registration, move
#:   out, marriage) in the last 6 months before as_of (the one village has none in 7 months;
#:   every other village has one in the last 5).
#: * ``population_balance`` – villages where, for the current year to date, start + births +
#:   moves in − deaths − moves out ≠ end (a baby registered as a person without a birth row);
#:   every village balances in every other year.
PLANTED_DEFECTS: dict[str, int] = {
    "id_missing": 1,
    "id_invalid": 6,
    "id_duplicate": 6,
    "id_sex_mismatch": 4,
    "id_birth_date_mismatch": 5,
    "mother_age": 3,
    "event_future": 2,
    "event_before_birth": 4,
    "birth_missing_fields": 4,
    "stale_village": 1,
    "population_balance": 2,
}

_ACTIVE_DAYS = 150  # every village but the stale one has a registry change in the last 150 days
_STALE_DAYS = 214  # the stale village has none in the last 214 days (7 months)


def _sub_rng(world: World, stream: int) -> np.random.Generator:
    """An independent generator per later step, so that one step never shifts another."""
    return np.random.default_rng([world.seed, stream])


def _present_at(p: _Columns, d: int | np.ndarray) -> np.ndarray:
    """Persons registered, not gone and alive at the end of day ``d`` (local or not)."""
    return (p.col("registered") <= d) & (p.col("left") > d) & (p.col("death") > d)


def _free(world: World) -> np.ndarray:
    """Persons not yet used for a planted defect."""
    free = np.ones(world.people.n, dtype=bool)
    if world.reserved:
        free[np.fromiter(world.reserved, dtype=np.int64)] = False
    return free


def _reserve(world: World, persons: np.ndarray | Sequence[int] | range) -> None:
    world.reserved.update(int(i) for i in persons)


def _village_changes(world: World, lo: int, hi: int, *, local_only: bool) -> np.ndarray:
    """Registry changes per village dated in [lo, hi]: registrations (births and moves in),
    deaths, moves out, marriages and birth rows."""
    p, n_v = world.people, world.villages.n
    vil = p.col("village")
    who = p.col("local") if local_only else np.ones(p.n, dtype=bool)
    count = np.zeros(n_v, dtype=np.int64)
    for name in ("registered", "death", "left", "married_on"):
        d = p.col(name)
        count += np.bincount(vil[who & (d >= lo) & (d <= hi)], minlength=n_v)
    b = world.births_table
    if b["mother"].size:
        rows = (b["date"] >= lo) & (b["date"] <= hi)
        if local_only:
            rows &= b["local"].astype(bool)
        count += np.bincount(b["village"][rows].astype(np.int64), minlength=n_v)
    return count


def _plant_registry_defects(world: World) -> None:
    """The record-level defects of :data:`PLANTED_DEFECTS`, each on persons or rows of its own.

    Runs before names and ID numbers are made, so every person added or re-dated here gets a
    valid, unique number that agrees with the record (the ID defects come afterwards).
    """
    rng = _sub_rng(world, 1)
    as_day = _day(world.as_of)
    b = world.births_table
    b["sex_missing"] = np.zeros(b["mother"].size, dtype=bool)
    b["compliant_missing"] = np.zeros(b["mother"].size, dtype=bool)
    _make_stale_village(world, rng, as_day)
    _unrecorded_births(world, rng, as_day)
    _keep_villages_active(world, rng, as_day)
    _mothers_too_old(world, rng, as_day)
    _events_before_birth(world, rng, as_day)


def _make_stale_village(world: World, rng: np.random.Generator, as_day: int) -> None:
    """stale_village: a small village whose registry has not been updated for seven months.

    The village with the fewest recent changes is chosen; its households with a change in the
    last seven months, and its floating persons, belong with their whole history (persons,
    households, birth rows) to the largest other village of the township instead — as if they
    had always lived there — so that every count stays consistent.
    """
    p, v = world.people, world.villages
    lo = as_day - _STALE_DAYS
    vil, local, hh = p.col("village"), p.col("local"), p.col("household")
    changes = _village_changes(world, lo, as_day, local_only=False)
    pop = np.bincount(vil[local & _present_at(p, as_day)], minlength=v.n)
    per_township = np.bincount(v.township, minlength=len(world.townships))
    ok = (np.array(v.kind) == "村") & (pop >= 3) & (per_township[v.township] >= 2)
    cand = np.flatnonzero(ok)
    best = cand[changes[cand] == changes[cand].min()]
    stale = int(best[rng.integers(best.size)])
    others = np.flatnonzero((v.township == v.township[stale]) & (np.arange(v.n) != stale))
    target = int(others[np.argmax(pop[others])])

    here = vil == stale
    touched = np.zeros(p.n, dtype=bool)
    for name in ("registered", "death", "left", "married_on"):
        d = p.col(name)
        touched |= here & (d >= lo) & (d <= as_day)
    moved_hh = np.unique(hh[touched & local & (hh >= 0)])
    move = here & ((local & np.isin(hh, moved_hh)) | ~local)
    vil[move] = target
    world.households.col("village")[moved_hh] = target
    b = world.births_table
    if b["mother"].size:
        b["village"][move[b["mother"]]] = target
    world.stale_village = stale
    if _village_changes(world, lo, as_day, local_only=False)[stale]:
        raise RuntimeError("demo: the stale village still has recent registry changes")


def _unrecorded_births(world: World, rng: np.random.Generator, as_day: int) -> None:
    """population_balance: in two villages a baby born this year is registered as a person but
    has no birth row, so start + births + in − deaths − out ≠ end for the year to date."""
    p, v = world.people, world.villages
    vil, hh = p.col("village"), p.col("household")
    present = p.col("local") & _present_at(p, as_day)
    pop = np.bincount(vil[present], minlength=v.n)
    cand = np.flatnonzero((pop >= 3) & (np.arange(v.n) != world.stale_village))
    chosen = np.sort(rng.choice(cand, 2, replace=False)).astype(np.int32)
    lo = max(_day(date(world.as_of.year, 1, 1)), as_day - _ACTIVE_DAYS)
    born = _uniform_days(rng, lo, as_day, 2)
    mothers = present & ~p.col("male") & (p.col("marital") == _MARRIED)
    homes = np.empty(2, dtype=np.int64)
    for k, vi in enumerate(chosen):
        pool = np.flatnonzero(mothers & (vil == vi))
        if pool.size == 0:
            pool = np.flatnonzero(present & (vil == vi))
        homes[k] = hh[pool[rng.integers(pool.size)]]
    sl = p.add(village=chosen, household=homes, male=rng.random(2) < 0.52, birth=born, registered=born)
    _reserve(world, range(sl.start, sl.stop))


def _keep_villages_active(world: World, rng: np.random.Generator, as_day: int) -> None:
    """Every village but the stale one gets a registry change in the last 150 days: a single
    man of the village marries then, or (where there is none) an older person moves in."""
    p, v = world.people, world.villages
    lo = as_day - _ACTIVE_DAYS
    quiet = _village_changes(world, lo, as_day, local_only=True) == 0
    quiet[world.stale_village] = False
    need = np.flatnonzero(quiet)
    if need.size == 0:
        return
    d = _uniform_days(rng, lo, as_day, need.size)
    birth = p.col("birth")
    men = np.flatnonzero(
        p.col("local")
        & p.col("male")
        & (p.col("marital") == _SINGLE)
        & (p.col("registered") < lo)
        & (p.col("left") > as_day)
        & (p.col("death") > as_day)
        & (lo - birth >= _years(21))
        & (lo - birth < _years(45))
        & _free(world)
    )
    men = men[rng.permutation(men.size)]
    villages, first = np.unique(p.col("village")[men], return_index=True)
    groom_of = np.full(v.n, -1, dtype=np.int64)
    groom_of[villages] = men[first]
    groom = groom_of[need]
    has = groom >= 0
    p.col("marital")[groom[has]] = _MARRIED
    p.col("married_on")[groom[has]] = d[has]
    _reserve(world, groom[has])
    rest, day = need[~has].astype(np.int32), d[~has]
    m = rest.size
    if m:
        born = day - (rng.uniform(50, 66, m) * _YEAR_DAYS).astype(np.int64)
        sl = p.add(
            village=rest,
            household=_new_households(world, rest),
            male=rng.random(m) < 0.5,
            birth=born,
            marital=np.full(m, _MARRIED, dtype=np.int8),
            married_on=born + _years(25) + rng.integers(0, 1500, m),
            registered=day,
            region=rng.choice(_OTHER_REGIONS, m),
        )
        _reserve(world, range(sl.start, sl.stop))


def _mothers_too_old(world: World, rng: np.random.Generator, as_day: int) -> None:
    """mother_age: three mothers of one local birth each carry a birth date that makes them
    50–51 at the birth; birth_missing_fields: four other local births lack sex or compliance.

    (A registry of a month or two at the smallest scale may have fewer than seven local
    births; then the two share births, or fewer are planted.)
    """
    p, b = world.people, world.births_table
    mothers = b["mother"]
    local = b["local"].astype(bool)
    births_of = np.bincount(mothers, minlength=p.n)
    usable = local & (births_of[mothers] == 1) & (_present_at(p, as_day) & _free(world))[mothers]
    pool = np.flatnonzero(usable)
    rows = rng.choice(pool, min(3, pool.size), replace=False)
    old = mothers[rows]
    p.col("birth")[old] = b["date"][rows] - _years(50) - rng.integers(40, 700, rows.size)
    _reserve(world, old)
    usable[rows] = False
    usable &= _free(world)[b["child"]]
    pool = np.flatnonzero(usable)
    if pool.size < 4:
        pool = np.flatnonzero(local)
    rows = rng.choice(pool, min(4, pool.size), replace=False)
    b["sex_missing"][rows[:2]] = True
    b["compliant_missing"][rows[2:]] = True
    _reserve(world, mothers[rows])
    _reserve(world, b["child"][rows])


def _events_before_birth(world: World, rng: np.random.Generator, as_day: int) -> None:
    """event_before_birth: a marriage date, a contraception start and a death date, each of
    a different person, before that person's own birth date."""
    p, s, b = world.people, world.spells, world.births_table
    birth, marital = p.col("birth"), p.col("marital")
    first = _day(FIRST_DAY)
    resident = p.col("local") & _present_at(p, as_day) & _free(world)

    men = np.flatnonzero(
        resident & p.col("male") & (marital == _MARRIED) & (p.col("married_on") < first)
        & (birth < _day(date(1985, 1, 1)))
    )
    man = int(men[rng.integers(men.size)])
    p.col("married_on")[man] = birth[man] - int(rng.integers(200, 3000))

    keep = world.spell_keep
    assert keep is not None
    woman = s.col("woman")[keep]
    records = np.bincount(woman, minlength=p.n)
    only = keep[(s.col("start")[keep] < first) & (records[woman] == 1) & resident[woman]]
    spell = int(only[rng.integers(only.size)])
    w = int(s.col("woman")[spell])
    s.col("start")[spell] = birth[w] - int(rng.integers(30, 900))

    in_births = np.zeros(p.n, dtype=bool)
    in_births[b["mother"]] = True
    in_births[b["child"]] = True
    age = (as_day - birth) / _YEAR_DAYS
    loners = np.flatnonzero(
        resident & (marital == _SINGLE) & (records == 0) & ~in_births & (p.col("registered") < first)
        & (age >= 20) & (age < 70)
    )
    loners = loners[loners != w]
    x = int(loners[rng.integers(loners.size)])
    p.col("death")[x] = birth[x] - int(rng.integers(30, 2000))
    _reserve(world, (man, w, x))


def _with_check(first17: str) -> str:
    """The 18-character number with its GB 11643 check character."""
    total = sum(int(c) * int(w) for c, w in zip(first17, _ID_WEIGHTS))
    return first17 + str(_ID_CHECK[total % 11])


def _plant_id_defects(world: World) -> None:
    """id_invalid, id_duplicate, id_sex_mismatch and id_birth_date_mismatch (see
    :data:`PLANTED_DEFECTS`), on present local persons not used for another defect."""
    rng = _sub_rng(world, 2)
    p = world.people
    assert world.id_numbers is not None
    ids = world.id_numbers.astype(object)
    taken = set(ids.tolist())
    cand = np.flatnonzero(p.col("local") & _present_at(p, _day(world.as_of)) & _free(world))

    # Duplicates: two persons of the same sex and birth date share the first one's number.
    key = p.col("birth")[cand] * 2 + p.col("male")[cand]
    order = np.lexsort((rng.random(cand.size), key))
    ks = key[order]
    starts = np.flatnonzero(np.concatenate([[True], ks[1:] != ks[:-1]]))
    sizes = np.diff(np.concatenate([starts, [ks.size]]))
    groups = starts[sizes >= 2]
    if groups.size < 3:
        raise RuntimeError("demo: too few persons share a birth date to plant duplicate ID numbers")
    g = rng.choice(groups, 3, replace=False)
    holder, copier = cand[order[g]], cand[order[g + 1]]
    ids[copier] = ids[holder]
    _reserve(world, holder)
    _reserve(world, copier)

    rest = cand[~np.isin(cand, np.concatenate([holder, copier]))]
    pick = rng.choice(rest, 16, replace=False)
    inv, sex_bad, date_bad = pick[:7], pick[7:11], pick[11:]
    _reserve(world, pick)

    n0, n1, n2, n3, n4, n5 = (str(ids[i]) for i in inv[:6])
    ids[inv[0]] = n0[:17]  # check character lost
    ids[inv[1]] = n1[:15] + n1[14:]  # a digit of the sequence keyed twice (19 characters)
    for i, n in ((inv[2], n2), (inv[3], n3)):
        wrong = [c for c in "10X98765432" if c != n[17]]
        ids[i] = n[:17] + wrong[int(rng.integers(len(wrong)))]
    ids[inv[4]] = _with_check(n4[:10] + "13" + n4[12:17])  # month 13
    ids[inv[5]] = _with_check(n5[:10] + "0230" + n5[14:17])  # 30 February
    ids[inv[6]] = None

    for i in sex_bad:  # the sequence's parity (17th digit) says the other sex
        head, seq = str(ids[i])[:14], int(str(ids[i])[14:17])
        for step in (1, -1, 3, -3, 5, -5, 7, -7, 9, -9):
            number = _with_check(f"{head}{seq + step:03d}") if 1 <= seq + step <= 999 else None
            if number is not None and number not in taken:
                break
        else:
            raise RuntimeError("demo: no free ID number for a sex mismatch")
        ids[i] = number
        taken.add(number)

    for i in date_bad:  # a clerical slip in the date part
        text = str(ids[i])
        born = _EPOCH + timedelta(days=int(p.col("birth")[i]))
        for shift in rng.permutation([1, -1, 10, -10, 30, -30, 365, -365, 3650, -3650]):
            d = born + timedelta(days=int(shift))
            number = _with_check(text[:6] + d.strftime("%Y%m%d") + text[14:17])
            if number not in taken:
                break
        else:
            raise RuntimeError("demo: no free ID number for a birth-date mismatch")
        ids[i] = number
        taken.add(number)
    world.id_numbers = ids


def _plant_future_events(world: World) -> None:
    """event_future: one publicity visit and one contraception record dated after as_of — a
    year too late (a date of the last month keyed with the next year), so that they are still
    in the future for the dashboard's "after today" check for about a year."""
    rng = _sub_rng(world, 10)
    p, s = world.people, world.spells
    as_day = _day(world.as_of)
    next_year = as_day + 365 - rng.integers(0, 28, 2)
    vil, hh = p.col("village"), p.col("household")
    resident = p.col("local") & _present_at(p, as_day) & (vil != world.stale_village) & _free(world)

    homes = np.unique(hh[resident & (hh >= 0)])
    home = int(homes[rng.integers(homes.size)])
    hv = world.households.col("village")
    _add_events(world, "publicity_visit", next_year[:1], hv[[home]].astype(np.int64), household=np.array([home]))

    keep = world.spell_keep
    assert keep is not None
    latest_end = np.full(p.n, _PAST, dtype=np.int64)
    np.maximum.at(latest_end, s.col("woman")[keep], s.col("end")[keep])
    age = (as_day - p.col("birth")) / _YEAR_DAYS
    women = np.flatnonzero(
        resident & ~p.col("male") & (p.col("marital") == _MARRIED) & (age >= 22) & (age < 40)
        & (latest_end <= as_day)
    )
    w = int(women[rng.integers(women.size)])
    sl = s.add(woman=np.array([w]), method=np.array([_IUD], dtype=np.int8), start=next_year[1:])
    world.spell_keep = np.concatenate([keep, np.arange(sl.start, sl.stop)])
    _reserve(world, (w,))


def _plant_service_before_birth(world: World) -> None:
    """event_before_birth: one supply service recorded for a woman more than a year before
    her own birth (a date keyed with the wrong decade), in her village."""
    rng = _sub_rng(world, 11)
    p = world.people
    as_day = _day(world.as_of)
    age = (as_day - p.col("birth")) / _YEAR_DAYS
    resident = p.col("local") & _present_at(p, as_day) & (p.col("village") != world.stale_village) & _free(world)
    women = np.flatnonzero(resident & ~p.col("male") & (p.col("marital") == _MARRIED) & (age >= 25) & (age < 45))
    w = int(women[rng.integers(women.size)])
    day = np.array([p.col("birth")[w] - int(rng.integers(400, 3000))])
    _add_events(world, "supply_service", day, p.col("village")[[w]].astype(np.int64), person=np.array([w]))
    _reserve(world, (w,))


# --------------------------------------------------------------------------- service work

#: ``service_event.kind`` and ``service_event.operation`` codes.
SERVICE_KINDS: tuple[str, ...] = ("publicity_visit", "pregnancy_check", "folic_acid", "operation", "supply_service")
OPERATIONS: tuple[str, ...] = ("iud_insertion", "iud_removal", "sterilization", "abortion")
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


def _by_township(
    rng: np.random.Generator, township: np.ndarray, weight: np.ndarray, share: np.ndarray
) -> np.ndarray:
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
        (method == _IUD) & (end >= first) & (end <= last) & (end < p.col("death")[woman])
        & (end < p.col("left")[woman]) & (rng.random(keep.size) < 0.3)
    )
    who = [woman[ins], woman[rem]]
    day = [start[ins], end[rem]]
    op = [np.where(method[ins] == _IUD, _INSERTION, _STERILIZATION), np.full(int(rem.sum()), _REMOVAL)]
    birth = p.col("birth")
    married = p.col("local") & ~p.col("male") & (p.col("marital") == _MARRIED)
    for _year, y0, y1, frac in _service_years(world):
        age = (y0 - birth) / _YEAR_DAYS
        pool = np.flatnonzero(
            married & (p.col("married_on") < y0) & (p.col("registered") < y0) & (p.col("left") > y1)
            & (p.col("death") > y1) & (age >= 20) & (age < 44)
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
    lo_w = np.maximum.reduce([s.col("start")[short], p.col("married_on")[w], p.col("registered")[w], birth + _years(15)])
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
        present = (due <= y1) & (p.col("registered")[local] <= due) & (p.col("left")[local] > due) & (
            p.col("death")[local] > due
        )
        bu = present & (age >= 60) & (marital != _SINGLE)
        jiang = present & ~bu & ~male & (marital == _MARRIED) & (parity == 1) & (age >= 20) & (age < 60)
        mian = present & (age >= 6) & (age < 18)
        u = rng.random(local.size)
        scheme = np.select([bu & (u < 0.16), jiang & (u < 0.10), mian & (u < 0.02)], [2, 0, 1], -1)
        pick = np.flatnonzero(scheme >= 0)
        sch = scheme[pick]
        amount = np.array([_SCHEME_AMOUNTS[k] for k in ("奖", "免", "补")])[sch, (rng.random(pick.size) < 0.3).astype(int)]
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
        donors = np.flatnonzero((quality["reward"][r["township"]] < 1) & (r["outcome"] == 0) & (r["due"] < _day(world.as_of) - 90))
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
    for year, y0, y1, frac in _service_years(world):
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


# --------------------------------------------------------------------------- loading


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
    conn: sa.Connection, table: sa.Table, columns: Mapping[str, list[object]], say: Callable[[str], None]
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
            [None if d is None else d.isoformat() for d in col] if isinstance(table.c[k].type, sa.Date) else col
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
    rows: Callable[[slice], Mapping[str, list[object]]],
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
