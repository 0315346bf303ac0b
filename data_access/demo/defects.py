"""The planted data-quality defects, with their exact counts (:data:`PLANTED_DEFECTS`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from dashboard.domain import idnumber
from data_access.demo.population import _OTHER_REGIONS
from data_access.demo.world import (
    _EPOCH,
    _IUD,
    _MARRIED,
    _PAST,
    _SINGLE,
    _YEAR_DAYS,
    FIRST_DAY,
    World,
    _add_events,
    _day,
    _present_at,
    _sub_rng,
    _uniform_days,
    _years,
)
from data_access.demo.years import _new_households

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
    # A bulk-loaded registry has typed dates, contract codes and complete references: the
    # defects a hand-kept one has are in the test suite's catalogue, not in the demo.
    "date_invalid": 0,
    "date_time_part": 0,
    "code_unreadable": 0,
    "code_normalised": 0,
    "reference_missing": 0,
    "target_invalid": 0,
    "quota_invalid": 0,
}


_ACTIVE_DAYS = 150  # every village but the stale one has a registry change in the last 150 days


_STALE_DAYS = 214  # the stale village has none in the last 214 days (7 months)


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
        resident
        & p.col("male")
        & (marital == _MARRIED)
        & (p.col("married_on") < first)
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
        resident
        & (marital == _SINGLE)
        & (records == 0)
        & ~in_births
        & (p.col("registered") < first)
        & (age >= 20)
        & (age < 70)
    )
    loners = loners[loners != w]
    x = int(loners[rng.integers(loners.size)])
    p.col("death")[x] = birth[x] - int(rng.integers(30, 2000))
    _reserve(world, (man, w, x))


def _with_check(first17: str) -> str:
    """The 18-character number with its GB 11643 check character."""
    return first17 + idnumber.check_char(first17)


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
        resident & ~p.col("male") & (p.col("marital") == _MARRIED) & (age >= 22) & (age < 40) & (latest_end <= as_day)
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
