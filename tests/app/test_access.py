"""Who may see what, enforced below the pages: every loader that returns person-level records
checks the user's access, every view is in the audit log with the user's identity, and a
crafted request outside the scope is refused in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st

from dashboard.app import audit, loaders
from dashboard.domain import access as rules
from dashboard.domain.access import Access, AccessDenied
from dashboard.domain.periods import parse_period
from dashboard.render import formats
from dashboard.views import export
from tests.data_access import test_services_quality as hand

PERIOD = parse_period("2024")
JIA, YI = "530823101", "530823102"  # 甲镇 (villages 一村), 乙乡 (二村)
JIA_VILLAGE, YI_VILLAGE = "530823101201", "530823102201"
COUNTY = Access("county@x", "county")
FULL = Access("records@x", "county", full_data=True)
TOWNSHIP = Access("jia@x", "township", JIA)
VIEWER = Access("boss@x", "viewer")


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    registry = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    hand.load(registry)
    monkeypatch.setenv("DASHBOARD_EXPORT_LOG", str(tmp_path / "audit.log"))
    monkeypatch.setenv("DASHBOARD_SUMMARY_URL", f"sqlite:///{tmp_path / 'summary.sqlite'}")
    monkeypatch.setenv("DASHBOARD_REFRESH_MINUTES", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    st.session_state.pop("_audit_seen", None)
    yield registry
    st.cache_data.clear()
    st.cache_resource.clear()


def log_lines(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "audit.log"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


# ----------------------------------------------------------------------------- the mapping


MAPPING = {
    "users": {
        "Head@Jia.example": {"role": "township", "township": JIA},
        "sub-123": {"role": "county", "full_data": True},
        "odd@x": {"role": "mayor"},
    },
    "claims": {"role": "dashboard_role", "township": "dashboard_township"},
}


@pytest.mark.parametrize(
    ("email", "subject", "claims", "expected"),
    [
        ("head@jia.example", None, {}, Access("head@jia.example", "township", JIA)),  # e-mail, any case
        (None, "sub-123", {}, Access("sub-123", "county", None, True)),  # by subject
        ("c@x", "s", {"dashboard_role": "viewer"}, Access("c@x", "viewer")),  # from the token's claims
        ("t@x", "s", {"dashboard_role": "township", "dashboard_township": YI}, Access("t@x", "township", YI)),
        ("nobody@x", "s", {}, None),  # unknown: no data
    ],
)
def test_the_mapping_names_each_user_s_access(
    email: str | None, subject: str | None, claims: dict[str, str], expected: Access | None
) -> None:
    found = rules.resolve(MAPPING, email=email, subject=subject, claims=claims, township_codes=[JIA, YI])
    assert found == expected


def test_a_mapping_that_cannot_be_used_is_one_line() -> None:
    with pytest.raises(rules.AccessConfigError) as bad_role:
        rules.resolve(MAPPING, email="odd@x", subject=None, claims={}, township_codes=[JIA])
    assert "mayor" in formats.message(bad_role.value)
    with pytest.raises(rules.AccessConfigError):
        rules.resolve({"users": {"a@x": {"role": "township", "township": "999"}}}, email="a@x", subject=None,
                      claims={}, township_codes=[JIA])  # fmt: skip


# ----------------------------------------------------------------------------- loaders


def test_drill_down_lists_only_within_the_scope(url: str, tmp_path: Path) -> None:
    own = loaders.drilldown_page(url, PERIOD, JIA, JIA_VILLAGE, "birth_rate", TOWNSHIP)
    assert own.births is not None and len(own.births.display) == 2  # its own village in full
    other = loaders.drilldown_page(url, PERIOD, YI, YI_VILLAGE, "birth_rate", TOWNSHIP)
    assert other.births is None and other.wcba is None  # the village's numbers, not its people
    assert other.table is not None and any("无权查看乡镇 530823102" in n for n in other.notes)
    seen = loaders.drilldown_page(url, PERIOD, JIA, JIA_VILLAGE, "birth_rate", VIEWER)
    assert seen.births is None and any("只能查看汇总" in n for n in seen.notes)
    county = loaders.drilldown_page(url, PERIOD, YI, YI_VILLAGE, "birth_rate", COUNTY)
    assert county.births is not None
    views = [e for e in log_lines(tmp_path) if e["action"] == "view"]
    assert {(e["user"], e["role"]) for e in views} == {("jia@x", "township"), ("county@x", "county")}


def test_names_are_unmasked_only_for_full_data_users(url: str) -> None:
    masked = loaders.drilldown_page(url, PERIOD, JIA, JIA_VILLAGE, "birth_rate", COUNTY)
    full = loaders.drilldown_page(url, PERIOD, JIA, JIA_VILLAGE, "birth_rate", FULL)
    assert masked.births is not None and full.births is not None
    column = [c for c in masked.births.display.columns if "身份证" in c][0]
    assert masked.births.display[column].str.contains(r"\*").all()
    assert not full.births.display[column].str.contains(r"\*").any()


@pytest.mark.parametrize(
    ("who", "township", "allowed"),
    [
        (COUNTY, None, True),
        (COUNTY, YI, True),
        (TOWNSHIP, JIA, True),
        (TOWNSHIP, YI, False),
        (TOWNSHIP, None, False),
        (VIEWER, JIA, False),
    ],  # fmt: skip
)
def test_exports_of_records_follow_the_scope(url: str, who: Access, township: str | None, allowed: bool) -> None:
    selection = export.Selection(table="births", period=PERIOD, township=township, village=None)
    if allowed:
        assert loaders.export_table(url, selection, who).person_level
    else:
        with pytest.raises(AccessDenied):
            loaders.export_table(url, selection, who)
    # Aggregates are for everybody.
    assert not loaders.export_table(url, export.Selection(table="indicators_township", period=PERIOD), who).person_level


def test_quality_records_and_rewards_follow_the_scope(url: str) -> None:
    from datetime import date

    today = date(2024, 12, 20)
    with pytest.raises(AccessDenied):
        loaders.quality_records(url, PERIOD, today, "id_invalid", VIEWER)
    every = loaders.quality_records(url, PERIOD, today, "id_invalid", COUNTY)
    own = loaders.quality_records(url, PERIOD, today, "id_invalid", TOWNSHIP)
    assert len(own) <= len(every) and set(own["乡镇"]) <= {"甲镇"}
    assert loaders.services_page(url, PERIOD, VIEWER).rewards is None
    rewards = loaders.services_page(url, PERIOD, TOWNSHIP).rewards
    assert rewards is not None and set(rewards.display.get("乡镇", pd.Series(["甲镇"]))) <= {"甲镇"}


def test_each_view_is_logged_once_per_session_and_downloads_each_time(url: str, tmp_path: Path) -> None:
    for _ in range(3):  # reruns of the same page
        loaders.drilldown_page(url, PERIOD, JIA, JIA_VILLAGE, "birth_rate", TOWNSHIP)
    views = [e for e in log_lines(tmp_path) if e["action"] == "view"]
    assert len(views) == 1 and views[0]["user"] == "jia@x" and views[0]["rows"] > 0
    page = loaders.drilldown_page(url, PERIOD, JIA, JIA_VILLAGE, "birth_rate", TOWNSHIP)
    assert page.births is not None
    audit.file_bytes(page.births.export, page.births.context, "csv", person_level=True, access=TOWNSHIP)
    downloads = [e for e in log_lines(tmp_path) if e["action"] == "download"]
    assert len(downloads) == 1 and downloads[0]["user"] == "jia@x" and downloads[0]["format"] == "csv"
