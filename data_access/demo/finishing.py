"""Finishing touches: closing spells and birth rows, names and 身份证号 (GB 11643)."""

from __future__ import annotations

import numpy as np

from dashboard.domain import idnumber
from data_access.demo.world import World, _day, _pick


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


_SURNAMES = [
    "李",
    "张",
    "罗",
    "杨",
    "陈",
    "王",
    "刀",
    "鲁",
    "普",
    "字",
    "刘",
    "周",
    "赵",
    "黄",
    "吴",
    "徐",
    "孙",
    "胡",
    "朱",
    "高",
    "何",
    "郭",
    "马",
    "梁",
    "宋",
    "郑",
    "谢",
    "韩",
    "唐",
    "冯",
    "董",
    "苏",
    "叶",
    "段",
    "施",
    "查",
    "毕",
    "陶",
    "龙",
    "左",
    "自",
    "起",
    "阿",
    "鲍",
    "邓",
    "曾",
    "彭",
    "余",
    "范",
    "田",
    "白",
    "许",
    "邱",
    "苟",
    "常",
    "熊",
    "番",
]


_SURNAME_W = np.array(
    [
        10,
        8,
        6,
        7,
        5,
        5,
        2,
        2.5,
        2,
        2,
        3,
        2,
        2.5,
        2,
        2,
        1.5,
        1.2,
        1.5,
        1.2,
        1.3,
        1.3,
        1.2,
        1.5,
        1,
        1,
        1,
        1,
        0.8,
        0.8,
        0.8,
        0.8,
        0.8,
        0.8,
        2,
        1.5,
        1.2,
        1.5,
        1,
        1,
        0.8,
        1.3,
        1,
        0.6,
        0.6,
        0.8,
        0.8,
        0.8,
        0.8,
        0.6,
        0.8,
        0.6,
        0.6,
        0.6,
        0.5,
        0.5,
        0.4,
        0.4,
    ]
)


_GIVEN_M = list(
    "伟强军平明勇华林春国建文福荣兴涛斌超杰辉刚海云龙发成德正贵祥志忠学永宏昌才宇浩俊鹏飞磊顺有金富家"
    "光红伦贤亮武元洪兵绍开朝庆"
)


_GIVEN_F = list(
    "芳秀英丽华敏燕琴梅兰红艳玲霞娟萍琼凤仙花云美蓉翠珍娥月莲春桂菊香芬娜婷雪静慧佳欣怡梦丹倩琳秋会林金粉巧"
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
    digits = (body[:, None] // 10 ** np.arange(16, -1, -1, dtype=np.int64)) % 10
    world.id_numbers = np.strings.add(body.astype(np.str_), idnumber.check_chars(digits))
