"""Service-work base counts per village (publicity, operations, supply service, quota work,
rewards, demonstration sites) and the year's task quotas."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from data_access.db import relations
from data_access.filters import Bounds, DayRange
from data_access.queries.common import (
    SHORT_ACTING_METHODS,
    as_dates,
    count_if,
    grouped,
    is_local,
    married_wcba_condition,
    method_in_use,
    present_at,
    rows_frame,
    wcba_bind_params,
)
from data_access.queries.validity import code, usable_date, valid_date
from data_access.schema import demo_site, household, person, reward_payment, service_event, task_quota, village

#: Additive service counts per village (DESIGN.md §2 rows 6–11).
SERVICE_COUNT_COLUMNS: tuple[str, ...] = (
    "households",  # households with a local member present at b
    "households_reached",  # … reached by a publicity visit in the period
    "operations",  # contraceptive operations in the period
    "operations_informed",  # … with recorded informed choice
    "short_acting_users",  # married women 15–49 using a short-acting method at b
    "supply_served",  # … who received supply service in the period
    "pregnancy_checks",  # free pre-pregnancy check events in the period (shown, not judged)
    "pregnancy_check_persons",  # distinct persons checked in the period (quota completion)
    "folic_acid",  # folic-acid hand-outs in the period (several batches per woman)
    "folic_acid_persons",  # distinct women given folic acid in the period (quota completion)
    "rewards_due",  # reward payments due in the period
    "rewards_ok",  # … paid in full by the due date
    "new_sites_county",  # county-level demonstration sites established in the period
    "new_sites_township",  # township-level demonstration sites established in the period
    "new_supply_sites",  # contraceptive-supply standard sites established in the period
)

SERVICE_TABLES = ("household", "service_event", "reward_payment", "demo_site")

SUPPLY_SITE_KIND = "药具管理服务"


def reward_paid_in_full_on_time() -> sa.ColumnElement[bool]:
    """A reward payment paid in full (amount_paid ≥ amount_due) on or before its due date."""
    return sa.and_(
        reward_payment.c.amount_paid.is_not(None),
        reward_payment.c.amount_paid >= reward_payment.c.amount_due,
        reward_payment.c.paid_on.is_not(None),
        reward_payment.c.paid_on <= reward_payment.c.due_date,
    )


def service_counts(conn: sa.Connection, period: DayRange) -> pd.DataFrame:
    """Service-work base counts per village for ``period`` (see :data:`SERVICE_COUNT_COLUMNS`).

    Indexed by village id, every village present; a service table the registry lacks
    contributes zeros (its indicators then have no denominator: no data).
    """
    bounds = Bounds.of(period)
    start, end_next = bounds.start, bounds.end_next
    present = relations(conn)
    village_ids = pd.Index(
        conn.execute(sa.select(village.c.id).order_by(village.c.id)).scalars().all(), name="village_id"
    )
    out = pd.DataFrame(0, index=village_ids, columns=list(SERVICE_COUNT_COLUMNS), dtype="int64")
    parts: list[pd.DataFrame] = []
    in_period = lambda col: sa.and_(valid_date(col), col >= start, col < end_next)  # noqa: E731
    if "household" in present:
        # A household counts when a local member is registered and present at the period's end:
        # emptied households and ones created later are not publicity's denominator.
        # Three narrow id lists joined in pandas: predictable on every engine, with or without
        # an index on person.household_id.
        homes = rows_frame(
            conn.execute(sa.select(household.c.id, household.c.village_id)), ["household_id", "village_id"]
        )
        occupied = rows_frame(
            conn.execute(
                sa.select(person.c.household_id)
                .where(
                    person.c.household_id.is_not(None),
                    is_local(),
                    present_at(sa.bindparam("hh_end_next", end_next, type_=sa.Date)),
                )
                .distinct()
            ),
            ["household_id"],
        )
        lived_in = homes[homes["household_id"].isin(occupied["household_id"])]
        parts.append(lived_in.groupby("village_id").size().rename("households").to_frame())
        if "service_event" in present:
            reached = rows_frame(
                conn.execute(
                    sa.select(service_event.c.household_id)
                    .where(
                        code(service_event.c.kind) == "publicity_visit",
                        in_period(service_event.c.event_date),
                        service_event.c.household_id.is_not(None),
                    )
                    .distinct()
                ),
                ["household_id"],
            )
            hit = lived_in[lived_in["household_id"].isin(reached["household_id"])]
            parts.append(hit.groupby("village_id").size().rename("households_reached").to_frame())
    if "service_event" in present:
        kind = code(service_event.c.kind)
        parts.append(
            grouped(
                conn,
                sa.select(
                    service_event.c.village_id,
                    count_if(kind == "operation", "operations"),
                    count_if(
                        sa.and_(kind == "operation", service_event.c.informed_choice == sa.true()),
                        "operations_informed",
                    ),
                    count_if(kind == "pregnancy_check", "pregnancy_checks"),
                    count_if(kind == "folic_acid", "folic_acid"),
                )
                .where(
                    kind.in_(("operation", "pregnancy_check", "folic_acid")),
                    in_period(service_event.c.event_date),
                    service_event.c.village_id.is_not(None),
                )
                .group_by(service_event.c.village_id),
            )
        )
        parts.append(_quota_persons(conn, start, end_next))
        # Women on short-acting supplies at b (an index range scan) and who of them had supply
        # service in the period (a distinct id list), matched in pandas.
        p = wcba_bind_params(period.end)
        e_next = sa.bindparam("end_next", type_=sa.Date)
        wcba = married_wcba_condition(
            e_next, sa.bindparam("born_on_or_before", type_=sa.Date), sa.bindparam("born_after", type_=sa.Date)
        )
        users = rows_frame(
            conn.execute(
                sa.select(person.c.id, person.c.village_id).where(
                    wcba, method_in_use(SHORT_ACTING_METHODS, e_next), person.c.village_id.is_not(None)
                ),
                p,
            ),
            ["person_id", "village_id"],
        )
        served = rows_frame(
            conn.execute(
                sa.select(service_event.c.person_id)
                .where(
                    code(service_event.c.kind) == "supply_service",
                    in_period(service_event.c.event_date),
                    service_event.c.person_id.is_not(None),
                )
                .distinct()
            ),
            ["person_id"],
        )
        users = users.assign(served=users["person_id"].isin(served["person_id"]).astype("int64"))
        parts.append(
            users.groupby("village_id").agg(short_acting_users=("person_id", "size"), supply_served=("served", "sum"))
        )
    if "reward_payment" in present:
        ok = reward_paid_in_full_on_time()
        parts.append(
            grouped(
                conn,
                sa.select(
                    person.c.village_id,
                    sa.func.count().label("rewards_due"),
                    count_if(ok, "rewards_ok"),
                )
                .select_from(reward_payment.join(person, reward_payment.c.person_id == person.c.id))
                .where(
                    in_period(reward_payment.c.due_date),
                    usable_date(reward_payment.c.paid_on),
                    person.c.village_id.is_not(None),
                )
                .group_by(person.c.village_id),
            )
        )
    if "demo_site" in present:
        parts.append(
            grouped(
                conn,
                sa.select(
                    demo_site.c.village_id,
                    count_if(code(demo_site.c.level) == "county", "new_sites_county"),
                    count_if(code(demo_site.c.level) == "township", "new_sites_township"),
                    count_if(code(demo_site.c.kind) == SUPPLY_SITE_KIND, "new_supply_sites"),
                )
                .where(in_period(demo_site.c.established_on), demo_site.c.village_id.is_not(None))
                .group_by(demo_site.c.village_id),
            )
        )
    for part in parts:
        if part.empty:
            continue
        part.index = part.index.astype("int64")
        part = part[part.index.isin(village_ids)]
        out.loc[part.index, part.columns] = part.astype("int64").to_numpy()
    return out


QUOTA_PERSON_COLUMNS = {"pregnancy_check": "pregnancy_check_persons", "folic_acid": "folic_acid_persons"}


def _quota_persons(conn: sa.Connection, start: date, end_next: date) -> pd.DataFrame:
    """Distinct persons with at least one pregnancy check / folic-acid event in [start, end_next).

    A person is counted once, in the village of her first such event in the period (ties:
    the lower event id), so that villages add up to townships and the county without counting
    anyone twice. Events without a person do not count toward completion.
    """
    rows = rows_frame(
        conn.execute(
            sa.select(
                code(service_event.c.kind),
                service_event.c.person_id,
                service_event.c.village_id,
                service_event.c.event_date,
                service_event.c.id,
            ).where(
                code(service_event.c.kind).in_(tuple(QUOTA_PERSON_COLUMNS)),
                valid_date(service_event.c.event_date),
                service_event.c.event_date >= start,
                service_event.c.event_date < end_next,
                service_event.c.person_id.is_not(None),
                service_event.c.village_id.is_not(None),
            )
        ),
        ["kind", "person_id", "village_id", "event_date", "id"],
    )
    columns = list(QUOTA_PERSON_COLUMNS.values())
    if rows.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="village_id"))
    rows["event_date"] = as_dates(rows["event_date"])
    first = rows.sort_values(["event_date", "id"], kind="stable").drop_duplicates(["kind", "person_id"])
    counted = first.groupby(["village_id", "kind"]).size().unstack("kind", fill_value=0)
    counted = counted.rename(columns=QUOTA_PERSON_COLUMNS).reindex(columns=columns, fill_value=0)
    counted.index = counted.index.astype("int64")
    return counted


def load_quotas(conn: sa.Connection, year: int) -> pd.DataFrame:
    """task_quota rows of ``year``: township_id, kind, quota (empty if the table is absent)."""
    return quotas_of_years(conn, year, year).drop(columns="year")


def quotas_of_years(conn: sa.Connection, first: int, last: int) -> pd.DataFrame:
    """task_quota rows of the years ``first``..``last``: year, township_id, kind, quota (empty
    if the table is absent) — one statement for the summary refresh's horizon."""
    columns = ["year", "township_id", "kind", "quota"]
    if not sa.inspect(conn).has_table("task_quota"):
        return pd.DataFrame(columns=columns)
    stmt = sa.select(task_quota.c.year, task_quota.c.township_id, task_quota.c.kind, task_quota.c.quota).where(
        task_quota.c.year >= first, task_quota.c.year <= last
    )
    rows = rows_frame(conn.execute(stmt), columns)
    # A quota that is no whole number ≥ 0 is not used (the quality checks count it).
    number = pd.to_numeric(rows["quota"], errors="coerce")
    usable = number.notna() & (number >= 0) & (number == number.round())
    kind = rows["kind"].astype("string").str.strip().str.lower()
    return pd.DataFrame(
        {"year": pd.to_numeric(rows.loc[usable, "year"]).astype("int64"),
         "township_id": rows.loc[usable, "township_id"], "kind": kind[usable].astype(object),
         "quota": number[usable].astype("int64")},
        columns=columns,
    ).reset_index(drop=True)  # fmt: skip
