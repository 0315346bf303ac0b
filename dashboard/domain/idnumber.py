"""公民身份号码 (GB 11643-1999): structure, check digit, and what the number says.

An 18-character number is 6 digits of region, 8 of birth date (YYYYMMDD), 3 of sequence
(odd for men, even for women) and a check character: Σ digitᵢ × weightᵢ mod 11 mapped through
``1 0 X 9 8 7 6 5 4 3 2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)
_CHECK = np.array(list(CHECK_CHARS))


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def check_chars(digits: np.ndarray) -> np.ndarray:
    """Vectorised :func:`check_char`: ``digits`` is an (n, 17) array of the first 17 digits."""
    return _CHECK[(np.asarray(digits, dtype=np.int64) @ _WEIGHTS) % 11]


def problem(value: object) -> str | None:
    """Why ``value`` is not a valid 18-character ID number, or None if it is.

    Reasons: 'missing', 'length', 'characters', 'date', 'check_digit'. The digits are ASCII:
    a full-width '１' is a character the number cannot hold.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    text = str(value).strip().upper()
    if not text:
        return "missing"
    if len(text) != 18:
        return "length"
    if not (text.isascii() and text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")):
        return "characters"
    if birth_date(text) is None:
        return "date"
    if check_char(text[:17]) != text[17]:
        return "check_digit"
    return None


def birth_date(value: str) -> date | None:
    """The birth date the number encodes (None when it is not a real date from 1800 on)."""
    try:
        d = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except (ValueError, TypeError):
        return None
    return d if d.year >= 1800 else None


def sex(value: str) -> str:
    """'M' for an odd sequence digit (17th character), 'F' for even."""
    return "M" if int(value[16]) % 2 == 1 else "F"


@dataclass(frozen=True)
class Numbers:
    """What a column of ID numbers says, row by row (:func:`read`); aligned with its index."""

    text: pd.Series  # trimmed and upper-cased ("string" dtype, <NA> where none)
    problem: pd.Series  # :func:`problem` (object: the reason, None for a valid number)
    birth: pd.Series  # the birth date a valid number encodes (datetime64), NaT for others
    male: pd.Series  # a valid number's sequence digit is odd (False for others)


#: Days per month number 0–99 (0 where no month).
_MONTH_DAYS = np.zeros(100, dtype=np.int64)
_MONTH_DAYS[1:13] = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_CHECK_BYTES = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)


def read(values: pd.Series) -> Numbers:
    """:func:`problem`, :func:`birth_date` and :func:`sex` for a whole column at once: string
    operations for the length, arithmetic over the bytes of the 18-character ones (no Python
    per row)."""
    text = values.astype("string").str.strip().str.upper()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    eighteen = (text.str.len() == 18).to_numpy(dtype=bool, na_value=False)
    # Non-ASCII (a full-width '１') is no digit; the rest are 18 bytes each.
    at = np.flatnonzero(eighteen & text.str.isascii().to_numpy(dtype=bool, na_value=False))
    raw = np.frombuffer("".join(text.iloc[at].tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = raw[:, :17] - np.uint8(ord("0"))  # wraps round below '0': > 9 like any non-digit
    last = raw[:, 17]
    shaped = (digits <= 9).all(axis=1) & ((last - np.uint8(ord("0")) <= 9) | (last == ord("X")))
    year = digits[:, 6:10].astype(np.int64) @ np.array([1000, 100, 10, 1])
    month = digits[:, 10:12].astype(np.int64) @ np.array([10, 1])
    day = digits[:, 12:14].astype(np.int64) @ np.array([10, 1])
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.where(shaped, month, 0)] + (leap & (month == 2))
    real = shaped & (year >= 1800) & (day >= 1) & (day <= month_days)
    checked = _CHECK_BYTES[(digits.astype(np.int64) @ _WEIGHTS) % 11] == last
    problem = np.full(len(text), None, dtype=object)
    problem[missing] = "missing"
    problem[~missing & ~eighteen] = "length"
    problem[eighteen] = "characters"
    problem[at[shaped]] = "date"
    problem[at[real]] = "check_digit"
    valid = real & checked
    problem[at[valid]] = None
    birth = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    months = ((year[valid] - 1970) * 12 + month[valid] - 1).astype("datetime64[M]")
    birth[at[valid]] = months.astype("datetime64[D]") + (day[valid] - 1)
    male = np.zeros(len(text), dtype=bool)
    male[at[valid]] = digits[valid, 16] % 2 == 1
    index = values.index
    return Numbers(
        text,
        pd.Series(problem, index=index, dtype=object),
        pd.Series(birth, index=index).astype("datetime64[us]"),
        pd.Series(male, index=index),
    )


def problems(values: pd.Series) -> pd.Series:
    """Vectorised :func:`problem` (object Series of reasons / None)."""
    return read(values).problem
