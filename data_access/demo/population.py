"""Townships, their profiles and villages, and the initial population on 2018-12-31 (age
pyramid, marital status, households, floating persons).
"""

from __future__ import annotations

import csv
import math
from datetime import date

import numpy as np

from data_access.demo.world import (
    _NEVER,
    _PAST,
    _SINGLE,
    _YEAR_DAYS,
    COUNTY_REGION,
    FIRST_DAY,
    REFERENCE_CSV,
    Profile,
    Villages,
    World,
    _centred_shares,
    _day,
    _pick,
    _pick_rows,
    _round_preserving,
    _years,
)


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
_VILLAGE_STEMS = [
    "新民",
    "和平",
    "大平掌",
    "石门",
    "龙潭",
    "松林",
    "河边",
    "小村头",
    "中山",
    "团结",
    "新华",
    "大坪",
    "小坪",
    "坝头",
    "坝尾",
    "箐口",
    "菜园",
    "板桥",
    "麦地",
    "梨树",
    "核桃箐",
    "茶山",
    "白沙",
    "黄草坝",
    "红星",
    "东山",
    "西山",
    "南岭",
    "北斗",
    "长田",
    "水井",
    "新寨",
    "老寨",
    "上寨",
    "下寨",
    "大箐",
    "小箐",
    "山岗",
    "芭蕉林",
    "竹林",
    "松山",
    "清水",
    "凤凰",
    "青龙",
    "金竹",
    "银河",
    "永平",
    "太平",
    "民福",
    "光明",
    "杨柳",
    "木厂",
    "碧溪",
    "大丫口",
    "小河",
    "新田",
    "营盘",
    "马鞍山",
    "平掌",
    "杉木",
    "桃园",
    "石岩",
    "花园",
    "槽子",
    "长岭",
    "关山",
    "羊街",
    "大地",
    "坡头",
    "梁子",
    "弯子",
    "坪掌",
    "丫口",
    "干坝",
    "平川",
    "蒿枝坝",
    "锡腊",
    "密竹",
    "岩头",
    "青云",
    "德胜",
    "顺和",
    "富民",
    "兴隆",
    "鹿鸣",
    "龙洞",
    "龙树",
    "龙门",
    "老苍坡",
    "对门山",
    "三合",
    "四合",
    "五一",
    "联合",
    "民主",
    "新街",
    "老街",
    "文岗",
    "景星",
    "孟主",
    "蛮线",
    "黄家",
    "罗家",
    "杨家",
    "陈家",
    "李家",
    "普家",
    "大沟",
    "小沟",
    "象山",
    "拉乌",
    "磨腊",
    "宝山",
    "勐统",
    "瓦房",
    "三岔河",
    "河底",
    "箐门",
    "平掌田",
    "多依",
    "小龙潭",
    "大石头",
    "松树",
    "柏木",
    "石洞",
    "林场",
    "安宁",
    "兴福",
    "永胜",
    "元宝",
    "长发坡",
    "水磨",
    "大寨",
    "小寨",
    "中寨",
    "后山",
    "前山",
    "河头",
    "里崴",
    "外崴",
]


_COMMUNITIES = ("锦屏社区", "城区社区", "新城社区", "川河社区")


_SMALL_VILLAGES = 7  # villages of a few hundred people at scale 1


def _make_villages(
    rng: np.random.Generator, townships: list[dict[str, str]], profiles: list[Profile], scale: float
) -> Villages:
    published = {s for t in townships for s in t["village_names"].split(";") if s}
    pool = [s for s in dict.fromkeys(_VILLAGE_STEMS) if s not in published]
    pool_order = rng.permutation(len(pool))
    next_stem = 0
    tw: list[int] = []
    code: list[str] = []
    name: list[str] = []
    kind: list[str] = []
    lat: list[float] = []
    lon: list[float] = []
    for ti, t in enumerate(townships):
        count = int(t["village_count"])
        stems = [s for s in t["village_names"].split(";") if s][:count]
        n_comm = len(_COMMUNITIES) if t["code"] == _SEAT_CODE else 0
        names: list[str] = list(_COMMUNITIES[:n_comm]) + [s + "村" for s in stems]
        while len(names) < count:
            names.append(pool[int(pool_order[next_stem])] + "村")
            next_stem += 1
        for k, nm in enumerate(names):
            community = k < n_comm
            tw.append(ti)
            code.append(t["code"] + (f"{k + 1:03d}" if community else f"{201 + k - n_comm:03d}"))
            name.append(nm)
            kind.append("社区" if community else "村")
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


# Age pyramid of rural Yunnan at the end of 2018: shares of 5-year groups 0–4 … 80–84, 85+.
_PYRAMID = np.array([6.0, 6.5, 6.3, 5.6, 5.8, 7.2, 8.0, 7.5, 8.3, 9.0, 8.0, 5.5, 5.0, 4.2, 2.9, 2.0, 1.2, 0.6])


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
    [
        530802,
        530821,
        530822,
        530824,
        530825,
        530826,
        530827,
        530828,
        530829,
        532901,
        532923,
        532927,
        530381,
        530402,
        530111,
        532501,
        510623,
        522401,
        430521,
        532301,
    ],
    dtype=np.int32,
)


def _age_days(rng: np.random.Generator, n: int) -> np.ndarray:
    group = _pick(rng, _PYRAMID, n)
    years = group * 5 + rng.random(n) * 5
    old = group == len(_PYRAMID) - 1
    years[old] = 85 + np.minimum(rng.exponential(4.0, int(old.sum())), 19)
    return (years * _YEAR_DAYS).astype(np.int64)


def _marriage_dates(rng: np.random.Generator, birth: np.ndarray, male: np.ndarray, latest: np.ndarray) -> np.ndarray:
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
