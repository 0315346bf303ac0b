"""公民身份号码 (GB 11643-1999): structure, check digit, and what the number says.

An 18-character number is 6 digits of region, 8 of birth date (YYYYMMDD), 3 of sequence
(odd for men, even for women) and a check character: Σ digitᵢ × weightᵢ mod 11 mapped through
``1 0 X 9 8 7 6 5 4 3 2``.
"""

from __future__ import annotations

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

    Reasons: 'missing', 'length', 'characters', 'date', 'check_digit'.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    text = str(value).strip().upper()
    if not text:
        return "missing"
    if len(text) != 18:
        return "length"
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
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


def problems(values: pd.Series) -> pd.Series:
    """Vectorised :func:`problem` (object Series of reasons / None)."""
    return values.map(problem)
