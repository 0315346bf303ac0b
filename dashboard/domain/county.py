"""The county the dashboard serves: its statistical code and names (data, from the county's
configuration; ``name`` is the Chinese official name, ``name_en`` its English rendering)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class County:
    code: str
    name: str
    short_name: str
    name_en: str
