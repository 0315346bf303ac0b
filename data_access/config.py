"""The county's configuration files: ``config/county.toml`` (code and names) and
``config/targets.toml`` (default targets, assessment points and veto line, demonstration-site
goals; ``DASHBOARD_TARGETS`` points elsewhere). Read once per file and returned as the
engine's :class:`~dashboard.domain.settings.Settings`."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from dashboard.domain import targets as tr
from dashboard.domain.county import County
from dashboard.domain.errors import KeyedError
from dashboard.domain.settings import Settings
from dashboard.domain.sites import SiteGoals
from data_access.db import normalise_url, safe_url

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


class ConfigError(KeyedError, ValueError):
    """A configuration file that cannot be used (one line)."""


COUNTY_CONFIG = CONFIG_DIR / "county.toml"
TARGETS_CONFIG = CONFIG_DIR / "targets.toml"


def targets_path() -> Path:
    return Path(os.environ.get("DASHBOARD_TARGETS", TARGETS_CONFIG))


@lru_cache(maxsize=8)
def _toml(path: str) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def county() -> County:
    section = _toml(str(COUNTY_CONFIG))["county"]
    return County(
        code=str(section["code"]),
        name=section["name"],
        short_name=section.get("short_name", section["name"]),
        name_en=section.get("name_en", section["name"]),
    )


def settings() -> Settings:
    """Everything the county configures (the targets file as ``DASHBOARD_TARGETS`` names it)."""
    config = _toml(str(targets_path()))
    sites = config.get("demo_sites", {})
    return Settings(
        county=county(),
        default_targets=tr.target_rows(config.get("targets", {})),
        assessment=tr.assessment_from(config.get("assessment", {})),
        site_goals=SiteGoals(
            county_level=float(sites.get("county_level", 2)),
            per_township=float(sites.get("per_township", 1)),
            supply_standard=float(sites.get("supply_standard", 2)),
        ),
    )


OUTLINE_GEOJSON = CONFIG_DIR / "boundaries" / "jingdong_outline.geojson"
BOUNDARIES_ENV = "DASHBOARD_BOUNDARIES"


def outline_geojson() -> dict[str, Any]:
    """The schematic county outline the demo map's cells are clipped to."""
    return json.loads(OUTLINE_GEOJSON.read_text(encoding="utf-8"))


def boundaries_path() -> str | None:
    """The real township boundaries file (``DASHBOARD_BOUNDARIES``), if one is configured."""
    path = os.environ.get(BOUNDARIES_ENV, "").strip()
    return path or None


def read_geojson(path: str) -> object:
    """A GeoJSON file's content; a file that cannot be read is one line (``err_boundaries_read``)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError("err_boundaries_read", path=path, reason=reason) from None


SUMMARY_ENV = "DASHBOARD_SUMMARY_URL"
SUMMARY_DIR = CONFIG_DIR.parent / "data" / "summaries"


def summary_url(registry_url: str) -> str:
    """Where a registry's summaries live: ``DASHBOARD_SUMMARY_URL`` (any SQLAlchemy URL — e.g. a
    schema of the registry database, when the county allows it), else a SQLite file of the
    dashboard's own: beside a SQLite registry (``demo.sqlite`` → ``demo.summary.sqlite``), or
    ``data/summaries/<registry id>.sqlite`` for a database server."""
    explicit = os.environ.get(SUMMARY_ENV, "").strip()
    if explicit:
        return normalise_url(explicit)
    url = make_url(normalise_url(registry_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        return f"sqlite:///{path.with_name(path.stem + '.summary.sqlite')}"
    key = hashlib.sha1(safe_url(str(url)).encode("utf-8")).hexdigest()[:12]
    SUMMARY_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{SUMMARY_DIR / (key + '.sqlite')}"


def refresh_minutes() -> float:
    """How often the app refreshes the summaries (``DASHBOARD_REFRESH_MINUTES``, default 60; 0: never)."""
    try:
        return max(0.0, float(os.environ.get("DASHBOARD_REFRESH_MINUTES", "60")))
    except ValueError:
        return 60.0


def full_refresh_hour() -> int | None:
    """The hour after which the day's first refresh is a full one
    (``DASHBOARD_FULL_REFRESH_HOUR``, 0–23, default 2; ``never``: only when asked for)."""
    value = os.environ.get("DASHBOARD_FULL_REFRESH_HOUR", "2").strip().lower()
    if value in ("never", "none", "off", ""):
        return None
    try:
        return min(23, max(0, int(value)))
    except ValueError:
        return 2


ACCESS_ENV = "DASHBOARD_ACCESS"
ACCESS_CONFIG = CONFIG_DIR / "access.toml"


def access_mapping() -> dict[str, Any]:
    """Who may see what (``DASHBOARD_ACCESS``, default ``config/access.toml``): ``[users."…"]``
    tables and an optional ``[claims]`` table; an absent file maps nobody."""
    path = Path(os.environ.get(ACCESS_ENV, "") or ACCESS_CONFIG)
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("err_access_file", path=str(path), reason=" ".join(str(exc).split())) from None
