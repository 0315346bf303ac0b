"""A day of registry work on a built demo: what an incremental summary refresh is measured
and tested on (``bench``, ``tests/data_access/test_summaries.py``).

Per day (scaled by ``scale``): births registered (one of them 200 days late), deaths and moves
out recorded (one death entered in March of last year, a recent death date corrected), methods
ended, publicity visits, and the latest operation deleted (recorded twice).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from data_access.schema import birth, contraception, household, person, service_event


def apply_a_day(engine: sa.Engine, today: date, scale: float = 1.0) -> int:
    """Apply the day's changes dated up to ``today``; returns the earliest year they touch."""
    n = max(1, round(10 * scale))  # ~10 births a day in a county of 370,000
    touched = [(today - timedelta(days=200)).year, today.year - 1, today.year]
    with engine.begin() as conn:

        def top(table: sa.Table) -> int:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar() or 0)

        def present() -> list[sa.ColumnElement[bool]]:
            return [person.c.hukou == "local", person.c.death_date.is_(None), person.c.left_on.is_(None)]

        first_person, first_birth, first_event = top(person), top(birth), top(service_event)
        mothers = conn.execute(
            sa.select(person.c.id, person.c.village_id)
            .where(person.c.sex == "F", person.c.marital_status == "married", *present())
            .order_by(person.c.id)
            .limit(n)
        ).all()
        people: list[dict[str, Any]] = []
        births: list[dict[str, Any]] = []
        for i, (mother, village) in enumerate(mothers):
            born = today - timedelta(days=2) if i else today - timedelta(days=200)  # the first: registered late
            child = first_person + 1 + i
            people.append(
                {
                    "id": child,
                    "id_number": None,
                    "name": "新生儿",
                    "sex": "MF"[i % 2],
                    "birth_date": born,
                    "village_id": village,
                    "hukou": "local",
                    "marital_status": "single",
                    "registered_on": born,
                }
            )
            births.append(
                {
                    "id": first_birth + 1 + i,
                    "mother_id": mother,
                    "child_id": child,
                    "village_id": village,
                    "birth_date": born,
                    "sex": "MF"[i % 2],
                    "parity": 1,
                    "policy_compliant": i % 7 != 3,
                    "hukou": "local",
                }
            )
        conn.execute(sa.insert(person), people)
        conn.execute(sa.insert(birth), births)
        oldest = (
            conn.execute(sa.select(person.c.id).where(*present()).order_by(person.c.birth_date, person.c.id).limit(n))
            .scalars()
            .all()
        )
        for pid in oldest[:-1]:
            conn.execute(sa.update(person).where(person.c.id == pid).values(death_date=today - timedelta(days=1)))
        conn.execute(sa.update(person).where(person.c.id == oldest[-1]).values(death_date=date(today.year - 1, 3, 3)))
        movers = (
            conn.execute(
                sa.select(person.c.id)
                .where(*present(), person.c.birth_date > date(today.year - 35, 1, 1))
                .order_by(person.c.id.desc())
                .limit(max(1, n // 2))
            )
            .scalars()
            .all()
        )
        conn.execute(sa.update(person).where(person.c.id.in_(movers)).values(left_on=today - timedelta(days=3)))
        corrected = conn.execute(  # a death entered last month, its date corrected
            sa.select(person.c.id, person.c.death_date)
            .where(person.c.death_date < today - timedelta(days=30))
            .order_by(person.c.death_date.desc(), person.c.id)
            .limit(1)
        ).first()
        if corrected is not None:
            touched.append(int(str(corrected[1])[:4]))
            conn.execute(
                sa.update(person).where(person.c.id == corrected[0]).values(death_date=today - timedelta(days=40))
            )
        gone = conn.execute(  # an operation recorded twice last week: one deleted
            sa.select(service_event.c.id, service_event.c.event_date)
            .where(service_event.c.kind == "operation", service_event.c.event_date < today)
            .order_by(service_event.c.event_date.desc(), service_event.c.id)
            .limit(1)
        ).first()
        if gone is not None:
            touched.append(int(str(gone[1])[:4]))
            conn.execute(sa.delete(service_event).where(service_event.c.id == gone[0]))
        spells = (
            conn.execute(
                sa.select(contraception.c.id)
                .where(contraception.c.end_date.is_(None))
                .order_by(contraception.c.id.desc())
                .limit(n)
            )
            .scalars()
            .all()
        )
        conn.execute(
            sa.update(contraception).where(contraception.c.id.in_(spells)).values(end_date=today - timedelta(days=5))
        )
        homes = conn.execute(
            sa.select(household.c.id, household.c.village_id).order_by(household.c.id).limit(30 * n)
        ).all()
        visits = [
            {
                "id": first_event + 1 + i,
                "kind": "publicity_visit",
                "event_date": today - timedelta(days=1),
                "village_id": village,
                "household_id": home,
                "person_id": None,
            }
            for i, (home, village) in enumerate(homes)
        ]
        if visits:
            conn.execute(sa.insert(service_event), visits)
    return min(touched)
