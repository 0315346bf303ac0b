"""Which villages' registry rows changed since the last refresh: per table and village, the
rows counted, Σ id and Σ a digest of every contract column the summaries and the data-quality
checks read — one grouped scan per table (``scan``), compared with the last refresh's
(``compare``).

A row inserted, deleted, edited or moved to another village changes the sums of the village it
leaves and of the one it enters. A row's digest mixes each column's value with the row's id
(Σ value × (id mod 1009 + 1)), so two rows of a village swapping values move it too; the sums
are kept per column, so the refresh also knows which columns changed. Rows are
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

from collections.abc import Iterable, Iterator
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


class value_digest(sa.sql.functions.FunctionElement[int]):
    """A digest of one value as an integer (missing: ``NULL_DIGEST``): a date's day number on
    PostgreSQL and MySQL (their columns are typed), a text's ``hashtext`` or ``CRC32`` (both
    byte-exact, 24 bits); on SQLite, which keeps dates as text, a date's day number (in
    quarter days: a time of day moves it) and length, a text's leading number, length and
    first character."""

    type = sa.BigInteger()
    inherit_cache = True

    def __init__(self, column: sa.ColumnElement[Any], *, is_date: bool = False) -> None:
        self.is_date = is_date
        super().__init__(column)


@compiles(value_digest, "postgresql")
def _digest_postgresql(element: value_digest, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    if element.is_date:  # the day number (a typed column: every value is a day)
        return f"COALESCE(CAST({x} AS DATE) - DATE '1970-01-01', {NULL_DIGEST})"
    return f"COALESCE(CAST(hashtext(CAST({x} AS TEXT)) AS BIGINT) & 16777215, {NULL_DIGEST})"


@compiles(value_digest, "mysql")
def _digest_mysql(element: value_digest, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    if element.is_date:  # the day number; MariaDB's zero date (no day) apart from NULL
        return f"COALESCE(TO_DAYS({x}), CASE WHEN {x} IS NULL THEN {NULL_DIGEST} ELSE {NULL_DIGEST + 1} END)"
    return f"COALESCE(CRC32({x}) & 16777215, {NULL_DIGEST})"


@compiles(value_digest, "sqlite")
def _digest_sqlite(element: value_digest, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    # NULL first: most optional dates and codes are empty, and a CASE skips the rest for them.
    if element.is_date:  # quarter days (a time of day moves it) and the length ('' is no NULL)
        value = f"IFNULL(CAST((julianday({x}) - 2440587.5) * 4 AS INTEGER), 7) * 64 + length({x})"
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
    # Sums per column (the refresh then knows which columns changed), or one over the row:
    # cheaper for a large table whose year prints read nearly every column anyway.
    by_column: bool = True

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
        by_column=False,
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
            # (The village too: a block's pass without grouping must see a row moved.)
            Part("village_id", "int"),
        ),
        by_column=False,
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
        by_column=False,
    ),
    Source(household, (Part("code", "text"),), by_column=False),
)
TABLE_NAMES: tuple[str, ...] = tuple(s.table.name for s in SOURCES)
#: A print: per table, village and part — "n" (rows), "id" (Σ id) or a column (Σ its digest
#: × (id mod 1009 + 1)) — the sum.
COLUMNS = ["tbl", "village_id", "part", "s"]
ROWS = ("n", "id")  # the parts that say rows came or went
DIGEST = "digest"  # the part of a table digested over whole rows (``Source.by_column`` false)
_MODULUS = 1_000_000_007  # a whole row's digest stays below it


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


def statement(src: Source, *, by_village: bool = True) -> sa.Select[Any]:
    """Per village the table's rows: count, Σ id and per column Σ digest × (id mod 1009 + 1)
    (the id factor tells rows apart: a value moved to another row moves the sum). Each term
    stays below 2³⁴, so the sums fit 64 bits past 10⁸ rows."""
    table = src.table
    spread = sa.cast(table.c.id % 1009 + 1, sa.BigInteger)  # (PostgreSQL would multiply in 32 bits)
    village = src.village()
    if src.by_column:
        sums = [sa.func.coalesce(sa.func.sum(_part(table, p) * spread), 0).label(p.column) for p in src.parts]
    else:  # (Σ_k (k + 1) × part_k) × the id factor, below _MODULUS
        row: sa.ColumnElement[int] | None = None
        for k, p in enumerate(src.parts):
            term = _part(table, p) * (k + 1) if k else _part(table, p)
            row = term if row is None else row + term
        assert row is not None
        sums = [sa.func.coalesce(sa.func.sum((row * spread) % _MODULUS), 0).label(DIGEST)]
    if not by_village:
        return sa.select(sa.func.count().label("n"), sa.func.coalesce(sa.func.sum(table.c.id), 0).label("id"), *sums)
    return (
        sa.select(
            village.label("village_id"),
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(table.c.id), 0).label("id"),
            *sums,
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
    """The prints of every present table (``only``: of those of them) now: ``COLUMNS``, per
    table, village and part, unplaced rows under ``UNPLACED``. ``above_ids``: only rows with
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
        parts = _parts(src)
        wide = rows_frame(conn.execute(stmt), ["village_id", *parts])
        long = wide.melt(id_vars="village_id", value_vars=parts, var_name="part", value_name="s")
        frames.append(long.assign(tbl=name))
    if not frames:
        return empty()
    return placed(pd.concat(frames, ignore_index=True), known_villages)


# --------------------------------------------------------------------------- id blocks

#: Tables whose prints are also kept per block of ids where the database groups by sorting
#: (SQLite: half the cost of a million events' scan; ``blocked``): one pass without grouping
#: says which blocks changed, and only those are grouped by village. Appended rows fall in the
#: last blocks; methods and payments are placed through a join, which the pass skips. Not the
#: persons: a day's deaths and moves touch a quarter of their blocks. PostgreSQL and MySQL
#: group by hashing: a grouped scan of the events is cheaper there (``JOINED`` only).
BLOCKED = frozenset({"service_event", "contraception", "reward_payment"})
#: A table keeps its block prints only while they are this few rows (ids given in the order a
#: county registers people spread each block over every village: then grouping costs less
#: than keeping 64 × villages × columns sums).
BLOCK_ROWS_LIMIT = 60_000


#: Methods and payments are placed through a join with the persons: their pass without
#: grouping skips it, on every database.
JOINED = frozenset({"contraception", "reward_payment"})


def blocked(dialect: str) -> frozenset[str]:
    """The tables that may be kept per id block on a database of ``dialect``."""
    return BLOCKED if dialect == "sqlite" else JOINED


BLOCK_COLUMNS = ["tbl", "block", "village_id", "part", "s"]
_BLOCKS = 64


def block_size(max_id: int) -> int:
    """Ids per block: about 64 blocks at the full refresh, at least 4,096 ids each."""
    return max(4096, -(-max_id // _BLOCKS))


def _source(table: str) -> Source:
    return next(s for s in SOURCES if s.table.name == table)


def _parts(src: Source) -> list[str]:
    return [*ROWS, *((p.column for p in src.parts) if src.by_column else [DIGEST])]


def _ranges(size: int, top: int, blocks: Iterable[int]) -> Iterator[tuple[int, int, int]]:
    for block in blocks:
        low = block * size
        if low < top:
            yield block, low, min(low + size, top)


def block_prints(
    conn: sa.Connection, table: str, size: int, top: int, known: set[int], blocks: Iterable[int] | None = None
) -> pd.DataFrame:
    """Per block of ids (``blocks``; None: every block up to ``top``), village and part, the
    sums of the rows with ids up to ``top`` (``BLOCK_COLUMNS``)."""
    src = _source(table)
    parts = _parts(src)
    frames = []
    chosen = range(-(-top // size)) if blocks is None else blocks
    for block, low, high in _ranges(size, top, chosen):
        stmt = statement(src).where(src.table.c.id > low, src.table.c.id <= high)
        wide = rows_frame(conn.execute(stmt), ["village_id", *parts])
        if not wide.empty:
            long = wide.melt(id_vars="village_id", value_vars=parts, var_name="part", value_name="s")
            frames.append(long.assign(tbl=table, block=block))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("tbl", "part") else "int64") for c in BLOCK_COLUMNS})
    out = placed(pd.concat(frames, ignore_index=True).assign(tbl=table), known, by=["tbl", "block"])
    return out[BLOCK_COLUMNS]


def block_sums(conn: sa.Connection, table: str, size: int, top: int) -> pd.DataFrame:
    """Per block of ids up to ``top`` and part, the sums over its rows without grouping them
    by village: block, part, s."""
    src = _source(table)
    parts = _parts(src)
    rows = []
    for block, low, high in _ranges(size, top, range(-(-top // size))):
        stmt = statement(src, by_village=False).where(src.table.c.id > low, src.table.c.id <= high)
        values = conn.execute(stmt).one()
        rows += [(block, part, int(value or 0)) for part, value in zip(parts, values, strict=True)]
    return pd.DataFrame(rows, columns=["block", "part", "s"])


@dataclass(frozen=True)
class Blocked:
    """A blocked table's prints now: per village (``COLUMNS``), and per block
    (``BLOCK_COLUMNS``) those of the blocks grouped again (``moved``; the others stand)."""

    villages: pd.DataFrame
    fresh: pd.DataFrame
    moved: list[int]


def blocked_now(
    conn: sa.Connection, table: str, size: int, top: int, known: set[int], old_villages: pd.DataFrame,
    old_blocks: pd.DataFrame,
) -> Blocked:  # fmt: skip
    """A blocked table's prints now, from the last refresh's: the blocks whose sums moved are
    grouped by village again; a village's print is its old one less those blocks' old prints
    plus their new ones. (Methods and payments are placed by their person's village: a woman
    moved leaves her spells' blocks as they were, and their prints keep her old village until
    a block of hers changes — her villages are recounted and checked through her own row.)"""
    now = block_sums(conn, table, size, top)
    before = old_blocks.groupby(["block", "part"], as_index=False)["s"].sum()
    merged = before.merge(now, on=["block", "part"], how="outer", suffixes=("_old", "_new")).fillna(0)
    moved = sorted({int(b) for b in merged.loc[merged["s_old"] != merged["s_new"], "block"]})
    fresh = block_prints(conn, table, size, top, known, moved)
    gone = old_blocks[old_blocks["block"].isin(moved)]
    delta = pd.concat([fresh, gone.assign(s=-gone["s"])], ignore_index=True)
    villages = (
        pd.concat([old_villages[old_villages["tbl"] == table], delta[COLUMNS]], ignore_index=True)
        .groupby(["tbl", "village_id", "part"], as_index=False)["s"]
        .sum()
    )
    return Blocked(villages[COLUMNS], fresh[BLOCK_COLUMNS], moved)


def village_totals(blocks: pd.DataFrame) -> pd.DataFrame:
    """Per village prints (``COLUMNS``) from per block ones."""
    return blocks.groupby(["tbl", "village_id", "part"], as_index=False)["s"].sum()[COLUMNS]


def empty() -> pd.DataFrame:
    return pd.DataFrame(
        {"tbl": pd.Series(dtype=object), "village_id": pd.Series(dtype="int64"), "part": pd.Series(dtype=object),
         "s": pd.Series(dtype="int64")}
    )  # fmt: skip


def placed(prints: pd.DataFrame, known_villages: set[int], by: list[str] | None = None) -> pd.DataFrame:
    """Prints with unknown villages put under ``UNPLACED`` and summed per ``by`` (default the
    table), village and part."""
    village = pd.to_numeric(prints["village_id"], errors="coerce")
    village = village.where(village.isin(list(known_villages)), UNPLACED).astype("int64")
    value = pd.to_numeric(prints["s"], errors="coerce").fillna(0).astype("int64")
    out = prints.assign(village_id=village, s=value)
    keys = [*(by or ["tbl"]), "village_id", "part"]
    return out.groupby(keys, as_index=False)["s"].sum()[[*keys, "s"]]


@dataclass(frozen=True)
class Changes:
    """What differs from the last refresh: per table and village (``UNPLACED`` among them)
    the parts whose old rows (ids up to the last refresh's largest) changed — "n" or "id"
    when rows went or came, else the columns edited — and per table the villages of rows
    added since; the villages whose old persons' birth dates changed; whether old persons are
    gone (their count or Σ id fell)."""

    parts: dict[str, dict[int, frozenset[str]]]
    added: dict[str, frozenset[int]]
    persons_gone: bool
    moved_totals: dict[str, frozenset[str]]  # per table, the parts whose sum over every village moved

    def totals(self, table: str) -> frozenset[str]:
        """The parts of ``table`` whose sums over every village changed (a row moved from one
        village to another leaves them; an edit does not)."""
        return self.moved_totals.get(table, frozenset())

    @property
    def births_moved(self) -> frozenset[int]:
        """The villages whose old persons' birth dates changed (or left or joined them)."""
        return frozenset(v for v, parts in self.parts.get("person", {}).items() if "birth_date" in parts)

    def where(self, table: str, columns: tuple[str, ...] | None = None) -> frozenset[int]:
        """The villages whose old rows of ``table`` changed in any of ``columns`` (None: in
        anything), or whose rows came or went."""
        found = self.parts.get(table, {})
        if columns is None:
            return frozenset(found)
        wanted = {*columns, *ROWS, DIGEST}
        return frozenset(v for v, parts in found.items() if parts & wanted)

    def villages(self, table: str | None = None) -> frozenset[int]:
        """The villages whose rows (of ``table``; None: of any table) changed or were added."""
        out: set[int] = set()
        for name in [table] if table else list(self.parts) + list(self.added):
            out |= set(self.parts.get(name, {})) | self.added.get(name, frozenset())
        return frozenset(out)


def compare(old: pd.DataFrame, now: pd.DataFrame, added: pd.DataFrame) -> Changes:
    """``old``: the last refresh's prints; ``now``: every row's; ``added``: the prints of the
    rows added since (all ``COLUMNS``). Old rows now = ``now`` − ``added``."""
    keys = ["tbl", "village_id", "part"]
    minus = added.assign(s=-added["s"])
    kept_now = pd.concat([now, minus], ignore_index=True).groupby(keys, as_index=False)["s"].sum()
    merged = old.merge(kept_now, on=keys, how="outer", suffixes=("_old", "_new"))
    merged[["s_old", "s_new"]] = merged[["s_old", "s_new"]].fillna(0)
    differs = merged[merged["s_old"] != merged["s_new"]]
    parts: dict[str, dict[int, frozenset[str]]] = {}
    for (name, village), rows in differs.groupby(["tbl", "village_id"]):
        parts.setdefault(str(name), {})[int(village)] = frozenset(str(p) for p in rows["part"])
    counted = added[(added["part"] == "n") & (added["s"] > 0)]
    added_villages = {str(n): frozenset(int(v) for v in rows["village_id"]) for n, rows in counted.groupby("tbl")}
    sums = merged.groupby(["tbl", "part"])[["s_old", "s_new"]].sum()
    moved = sums[sums["s_old"] != sums["s_new"]].reset_index()
    totals = {str(t): frozenset(str(p) for p in rows["part"]) for t, rows in moved.groupby("tbl")}
    # Old persons gone (deleted, or their ids changed): their count or Σ id over every village
    # fell (a person moved between villages leaves both as they were).
    gone = bool(totals.get("person", frozenset()) & set(ROWS))
    return Changes(parts, added_villages, gone, totals)
