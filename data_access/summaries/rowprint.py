"""Which villages' registry rows changed since the last refresh: per table and village, the
rows counted, Σ id and Σ a digest of every contract column the summaries and the data-quality
checks read — one grouped scan per table (``scan``), compared with the last refresh's
(``compare``).

A row inserted, deleted, edited or moved to another village changes the sums of the village it
leaves and of the one it enters. A row's digest mixes each column's value with the row's id
(``_mixed``), so two rows of a village swapping values move it too. Rows are
placed as the counts place them: by their own ``village_id``, contraception and reward
payments by their person's; rows without a village, or with one the village list lacks, are
"unplaced" (``UNPLACED``).

Persons also get Σ a digest of the birth date alone: other villages' findings read it (a mother
of a birth elsewhere, the person of an event elsewhere), the rest of a person's row they do not.

The digest is a digest, not the rows: PostgreSQL's ``hashtext`` and MySQL's ``CRC32`` of each
value; SQLite has no hash built in (one registered from Python holds the interpreter lock for
every row), so there a date is its day number and length and a text its leading number, length
and first character — an edit that keeps all of those (a text changed in its middle only, a
'2019-02-30' corrected to the '2019-03-02' SQLite reads it as) is not seen until a full
refresh, which the scheduled refresh runs once a night (``DASHBOARD_FULL_REFRESH_HOUR``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from data_access.queries.common import rows_frame
from data_access.queries.quality import CODES
from data_access.schema import birth, contraception, demo_site, household, person, reward_payment, service_event

UNPLACED = -1  # the village key of rows without a known village
NULL_DIGEST = 16_777_216  # a missing value (above every 24-bit digest)
_MODULUS = 1_000_000_007  # a row's digest stays below it: Σ over 10⁸ rows fits in 64 bits


class value_digest(sa.sql.functions.FunctionElement[int]):
    """A digest of one value as an integer (missing: ``NULL_DIGEST``): ``hashtext`` of its text
    on PostgreSQL, ``CRC32`` on MySQL (both byte-exact, 24 bits); on SQLite a date's day
    number (in quarter days: a time of day moves it) and length, a text's leading number,
    length and first character."""

    type = sa.BigInteger()
    inherit_cache = True

    def __init__(self, column: sa.ColumnElement[Any], *, is_date: bool = False) -> None:
        self.is_date = is_date
        super().__init__(column)


@compiles(value_digest, "postgresql")
def _digest_postgresql(element: value_digest, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"COALESCE(CAST(hashtext(CAST({x} AS TEXT)) AS BIGINT) & 16777215, {NULL_DIGEST})"


@compiles(value_digest, "mysql")
def _digest_mysql(element: value_digest, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"COALESCE(CRC32({x}) & 16777215, {NULL_DIGEST})"


@compiles(value_digest, "sqlite")
def _digest_sqlite(element: value_digest, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    # NULL first: most optional dates and codes are empty, and a CASE skips the rest for them.
    if element.is_date:  # quarter days (a time of day moves it) and the length ('' is no NULL)
        value = f"IFNULL(CAST(julianday({x}) * 4 AS INTEGER), 7) * 64 + length({x})"
    else:
        value = f"CAST({x} AS INTEGER) % 16777213 + 7 * length({x}) + 131 * IFNULL(unicode({x}), 0)"
    return f"(CASE WHEN {x} IS NULL THEN {NULL_DIGEST} ELSE {value} END)"


def _code_digest(column: sa.ColumnElement[Any], allowed: tuple[str, ...]) -> sa.ColumnElement[int]:
    """A coded value: the allowed values as they are written numbered (a CASE costs less than
    a digest on SQLite), anything else digested. MySQL compares text without case: there the
    digest alone, which tells 'LOCAL' from 'local'."""
    return sa.case({v: k + 1 for k, v in enumerate(allowed)}, value=column, else_=value_digest(column) + 100)


class _code_or_digest(sa.sql.functions.FunctionElement[int]):
    type = sa.BigInteger()
    inherit_cache = True

    def __init__(self, column: sa.ColumnElement[Any], allowed: tuple[str, ...]) -> None:
        self.allowed = allowed
        super().__init__(column)


@compiles(_code_or_digest)
def _code_default(element: _code_or_digest, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return str(compiler.process(_code_digest(column, element.allowed), **kw))


@compiles(_code_or_digest, "mysql")
def _code_mysql(element: _code_or_digest, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return str(compiler.process(value_digest(column), **kw))


@dataclass(frozen=True)
class Part:
    """A column read into a row's digest: ``kind`` 'int', 'bool', 'money', 'date', 'text', or
    the allowed values of a coded column."""

    column: str
    kind: str | tuple[str, ...]


_OPERATIONS = ("iud_insertion", "iud_removal", "sterilization", "abortion")
_SCHEMES = ("奖", "免", "补")
_SITE_KINDS = ("人口文化大院", "村民自治", "诚信计生", "药具管理服务")


@dataclass(frozen=True)
class Source:
    """A table's rows as placed in villages: the columns digested, and the village a row counts
    in (``None``: its own ``village_id``; else its person's, through ``person_column``)."""

    table: sa.Table
    parts: tuple[Part, ...]
    person_column: str | None = None

    def village(self) -> sa.ColumnElement[Any]:
        return person.c.village_id if self.person_column else self.table.c.village_id

    def source(self) -> sa.FromClause:
        if self.person_column is None:
            return self.table
        return self.table.outerjoin(person, self.table.c[self.person_column] == person.c.id)


SOURCES: tuple[Source, ...] = (
    Source(
        person,
        (
            Part("id_number", "text"),
            Part("sex", CODES[("person", "sex")]),
            Part("birth_date", "date"),
            Part("household_id", "int"),
            Part("hukou", CODES[("person", "hukou")]),
            Part("marital_status", CODES[("person", "marital_status")]),
            Part("married_on", "date"),
            Part("registered_on", "date"),
            Part("left_on", "date"),
            Part("death_date", "date"),
        ),
    ),
    Source(
        birth,
        (
            Part("mother_id", "int"),
            Part("child_id", "int"),
            Part("birth_date", "date"),
            Part("sex", CODES[("birth", "sex")]),
            Part("parity", "int"),
            Part("policy_compliant", "bool"),
            Part("hukou", CODES[("birth", "hukou")]),
        ),
    ),
    Source(
        contraception,
        (
            Part("woman_id", "int"),
            Part("method", CODES[("contraception", "method")]),
            Part("start_date", "date"),
            Part("end_date", "date"),
        ),
        person_column="woman_id",
    ),
    Source(
        service_event,
        (
            Part("kind", CODES[("service_event", "kind")]),
            Part("event_date", "date"),
            Part("person_id", "int"),
            Part("household_id", "int"),
            Part("operation", _OPERATIONS),
            Part("informed_choice", "bool"),
        ),
    ),
    Source(
        reward_payment,
        (
            Part("person_id", "int"),
            Part("scheme", _SCHEMES),
            Part("amount_due", "money"),
            Part("due_date", "date"),
            Part("amount_paid", "money"),
            Part("paid_on", "date"),
        ),
        person_column="person_id",
    ),
    Source(
        demo_site,
        (Part("kind", _SITE_KINDS), Part("level", CODES[("demo_site", "level")]), Part("established_on", "date")),
    ),
    Source(household, (Part("code", "text"),)),
)
TABLE_NAMES: tuple[str, ...] = tuple(s.table.name for s in SOURCES)
COLUMNS = ["tbl", "village_id", "n", "s_id", "s_digest", "s_born"]
SUMS = ["n", "s_id", "s_digest", "s_born"]


def _part(table: sa.Table, part: Part) -> sa.ColumnElement[int]:
    column = table.c[part.column]
    if part.kind == "int":
        return sa.func.coalesce(column, -7)
    if part.kind == "bool":
        return sa.func.coalesce(sa.cast(column, sa.Integer), -7)
    if part.kind == "money":
        return sa.func.coalesce(sa.cast(column * 100, sa.BigInteger), -7)
    if part.kind in ("date", "text"):
        return value_digest(column, is_date=part.kind == "date")
    assert isinstance(part.kind, tuple)
    return _code_or_digest(column, part.kind)


def _mixed(table: sa.Table, parts: list[sa.ColumnElement[int]]) -> sa.ColumnElement[int]:
    """(Σ (k + 1) × part_k) × (id mod 1009 + 1), below ``_MODULUS``: the weights tell the
    columns apart, the id factor the rows (a value moved to another row moves the sum)."""
    total: sa.ColumnElement[int] | None = None
    for k, part in enumerate(parts):
        term = part * (k + 1) if k else part
        total = term if total is None else total + term
    assert total is not None
    return (total * (table.c.id % 1009 + 1)) % _MODULUS


def statement(src: Source) -> sa.Select[Any]:
    """Per village the table's rows: count, Σ id, Σ digest (and Σ birth-date digest of persons)."""
    table = src.table
    digest = _mixed(table, [_part(table, p) for p in src.parts])
    born: sa.ColumnElement[Any] = (
        _mixed(table, [value_digest(person.c.birth_date, is_date=True)]) if table is person else sa.literal(0)
    )
    village = src.village()
    return (
        sa.select(
            village.label("village_id"),
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(table.c.id), 0).label("s_id"),
            sa.func.coalesce(sa.func.sum(digest), 0).label("s_digest"),
            sa.func.coalesce(sa.func.sum(born), 0).label("s_born"),
        )
        .select_from(src.source())
        .group_by(village)
    )


def scan(
    conn: sa.Connection,
    tables: set[str],
    known_villages: set[int],
    above_ids: dict[str, int] | None = None,
    only: set[str] | None = None,
) -> pd.DataFrame:
    """The prints of every present table (``only``: of those of them) now: ``COLUMNS``, one
    row per table and village, unplaced rows under ``UNPLACED``. ``above_ids``: only rows with
    ids above the given one per table (the rows added since; a primary-key range)."""
    frames = []
    for src in SOURCES:
        name = src.table.name
        if name not in tables or (src.person_column is not None and "person" not in tables):
            continue
        if only is not None and name not in only:
            continue
        stmt = statement(src)
        if above_ids is not None:
            stmt = stmt.where(src.table.c.id > above_ids.get(name, 0))
        rows = rows_frame(conn.execute(stmt), ["village_id", *SUMS])
        frames.append(rows.assign(tbl=name))
    if not frames:
        return empty()
    return placed(pd.concat(frames, ignore_index=True), known_villages)


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c != "tbl" else object) for c in COLUMNS})


def placed(prints: pd.DataFrame, known_villages: set[int]) -> pd.DataFrame:
    """Prints with unknown villages put under ``UNPLACED`` and summed: ``COLUMNS``."""
    village = pd.to_numeric(prints["village_id"], errors="coerce")
    village = village.where(village.isin(list(known_villages)), UNPLACED).astype("int64")
    out = prints.assign(village_id=village)
    for column in SUMS:
        out[column] = pd.to_numeric(out[column], errors="coerce").fillna(0).astype("int64")
    return out.groupby(["tbl", "village_id"], as_index=False)[SUMS].sum()[COLUMNS]


@dataclass(frozen=True)
class Changes:
    """What differs from the last refresh, per table: the villages (``UNPLACED`` among them)
    whose old rows (ids up to the last refresh's largest) changed — edited, moved, deleted —
    and the villages of rows added since; the villages whose old persons' birth dates changed;
    whether old persons are gone (their count or Σ id fell)."""

    changed: dict[str, frozenset[int]]
    added: dict[str, frozenset[int]]
    births_moved: frozenset[int]
    persons_gone: bool

    def villages(self, table: str | None = None) -> frozenset[int]:
        """The villages whose rows (of ``table``; None: of any table) changed or were added."""
        out: set[int] = set()
        for name in [table] if table else list(self.changed) + list(self.added):
            out |= self.changed.get(name, frozenset()) | self.added.get(name, frozenset())
        return frozenset(out)


def compare(old: pd.DataFrame, now: pd.DataFrame, added: pd.DataFrame) -> Changes:
    """``old``: the last refresh's prints; ``now``: every row's; ``added``: the prints of the
    rows added since (all ``COLUMNS``). Old rows now = ``now`` − ``added``."""
    keys = ["tbl", "village_id"]
    minus = added.assign(**{c: -added[c] for c in SUMS})
    kept_now = pd.concat([now, minus], ignore_index=True).groupby(keys, as_index=False)[SUMS].sum()
    merged = old.merge(kept_now, on=keys, how="outer", suffixes=("_old", "_new")).fillna(0)
    changed: dict[str, frozenset[int]] = {}
    for name, rows in merged.groupby("tbl", sort=False):
        differs = pd.Series(False, index=rows.index)
        for column in ("n", "s_id", "s_digest"):
            differs |= rows[f"{column}_old"] != rows[f"{column}_new"]
        changed[str(name)] = frozenset(int(v) for v in rows.loc[differs, "village_id"])
    new_rows = added[added["n"] > 0]
    added_villages = {str(n): frozenset(int(v) for v in rows["village_id"]) for n, rows in new_rows.groupby("tbl")}
    persons = merged[merged["tbl"] == "person"]
    born = persons["s_born_old"] != persons["s_born_new"]
    gone = bool(
        persons["n_old"].sum() != persons["n_new"].sum() or persons["s_id_old"].sum() != persons["s_id_new"].sum()
    )
    return Changes(changed, added_villages, frozenset(int(v) for v in persons.loc[born, "village_id"]), gone)
