"""Masking of personal data in person-level lists (DESIGN.md §7).

身份证号 keep the region and birth year and the last two characters
(``5308231990******12``); names keep the first and last character (``张*芳``, ``李*``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pandas as pd

# Per thread (each Streamlit session runs in its own): only the audited path of a user with
# full-data permission turns masking off, for the lists it builds.
_REVEALED: ContextVar[bool] = ContextVar("dashboard_revealed", default=False)


@contextmanager
def revealed(on: bool) -> Iterator[None]:
    """Within the block, masking leaves values as they are when ``on`` (a county user with
    full-data permission, on the audited path)."""
    token = _REVEALED.set(on)
    try:
        yield
    finally:
        _REVEALED.reset(token)


def mask_id_number(value: object) -> str:
    """'530823199001011234' → '5308231990******34'; short or missing values are fully hidden."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value).strip()
    if _REVEALED.get():
        return text
    if len(text) < 12:
        return "*" * len(text)
    return f"{text[:10]}{'*' * (len(text) - 12)}{text[-2:]}"


def mask_name(value: object) -> str:
    """'张小芳' → '张*芳', '李明' → '李*', '欧阳小芳' → '欧**芳'."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value).strip()
    if _REVEALED.get():
        return text
    if len(text) <= 1:
        return text
    if len(text) == 2:
        return f"{text[0]}*"
    return f"{text[0]}{'*' * (len(text) - 2)}{text[-1]}"


def mask_frame(frame: pd.DataFrame, *, names: tuple[str, ...] = (), id_numbers: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of ``frame`` with the given name and ID-number columns masked."""
    out = frame.copy()
    for column in names:
        if column in out:
            out[column] = out[column].map(mask_name)
    for column in id_numbers:
        if column in out:
            out[column] = out[column].map(mask_id_number)
    return out
