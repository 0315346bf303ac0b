"""The demo county: a deterministic registry of 景东县 with its real townships, simulated from 2019.

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

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import sqlalchemy as sa

from data_access import schema
from data_access.demo.contraception import _gen_initial_contraception
from data_access.demo.defects import (
    _plant_future_events,
    _plant_id_defects,
    _plant_registry_defects,
    _plant_service_before_birth,
)
from data_access.demo.finishing import (
    _finish_births,
    _finish_spells,
    _gen_id_numbers,
    _gen_names,
)
from data_access.demo.loading import _load
from data_access.demo.population import (
    _gen_initial_floating,
    _gen_initial_population,
    _make_villages,
    _read_townships,
    _township_profiles,
)
from data_access.demo.services import (
    _finish_events,
    _gen_demo_sites,
    _gen_operations,
    _gen_publicity_visits,
    _gen_quota_services,
    _gen_reward_payments,
    _gen_supply_services,
    _service_quality,
)
from data_access.demo.world import (
    _HOUSEHOLD_SPEC,
    _NEVER,
    _PERSON_SPEC,
    _SPELL_SPEC,
    FIRST_DAY,
    World,
    _Columns,
)
from data_access.demo.years import _simulate_year


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
