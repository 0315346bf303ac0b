"""The CLI on a registry it did not create: columns, hand-computed numbers, errors, exit codes."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from dashboard.cli import CSV_COLUMNS, main
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def registry_path(registry_url: str) -> Path:
    """The shared boundary registry (conftest) as a plain file path, as users pass it."""
    return Path(registry_url.removeprefix("sqlite:///"))


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_county_csv_columns_and_hand_computed_values(registry_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "indicators", "--db", str(registry_path), "--period", "2024", "--level", "county")
    assert code == 0, err
    frame = read_csv(out)
    assert list(frame.columns) == CSV_COLUMNS
    assert list(frame.columns[:9]) == [
        "level",
        "code",
        "name",
        "indicator",
        "numerator",
        "denominator",
        "value",
        "projection",
        "status",
    ]
    rows = frame.set_index("indicator")
    # County 2024: births 6 + 2 + 0 = 8; average population ((122+52+3) + (118+52+3)) ÷ 2 = 175.
    assert rows.loc["birth_rate", "numerator"] == "8"
    assert float(rows.loc["birth_rate", "denominator"]) == 175
    assert float(rows.loc["birth_rate", "value"]) == pytest.approx(8 / 175 * 1000, abs=1e-4)
    assert float(rows.loc["natural_growth_rate", "value"]) == pytest.approx((8 - 4) / 175 * 1000, abs=1e-4)
    assert float(rows.loc["planned_birth_rate", "value"]) == pytest.approx(75.0)  # 6 ÷ 8
    assert float(rows.loc["sex_ratio_at_birth", "value"]) == pytest.approx(250.0)  # 5 boys ÷ 2 girls
    assert float(rows.loc["long_acting_rate", "value"]) == pytest.approx(8 / 12 * 100, abs=1e-4)
    headline = rows.loc[
        ["birth_rate", "natural_growth_rate", "planned_birth_rate", "sex_ratio_at_birth", "long_acting_rate"]
    ]
    assert (headline["projection"] == headline["value"]).all()  # a full year
    assert set(headline["status"]) == {"red"}
    # This registry has no service tables: the service indicators have no data, never 0 %.
    service = rows.drop(headline.index)
    assert len(service) == 6 and set(service["status"]) == {"no_data"} and set(service["value"]) == {""}
    assert (frame["level"] == "county").all() and (frame["code"] == "530823").all()
    # Unrounded: at least four decimals survive.
    assert len(rows.loc["birth_rate", "value"].split(".")[1]) >= 4


def test_township_and_village_levels(registry_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "indicators", "--db", str(registry_path), "--period", "2024", "--level", "township")
    assert code == 0
    frame = read_csv(out)
    assert list(frame["code"].unique()) == ["530823101", "530823102"]
    t1 = frame[(frame["code"] == "530823101") & (frame["indicator"] == "birth_rate")].iloc[0]
    assert float(t1["value"]) == pytest.approx(8 / 172 * 1000, abs=1e-4)  # (174 + 170) ÷ 2 = 172
    code, out, _ = run_cli(capsys, "indicators", "--db", str(registry_path), "--period", "2024", "--level", "village")
    village = read_csv(out)
    assert len(village) == 3 * 11  # 5 headline + 6 service indicators per village
    tiny_sex_ratio = village[(village["code"] == "530823102201") & (village["indicator"] == "sex_ratio_at_birth")].iloc[
        0
    ]
    # No births: empty value, status no_data — never 0.
    assert tiny_sex_ratio["value"] == "" and tiny_sex_ratio["status"] == "no_data"
    no_girls = village[(village["code"] == "530823101202") & (village["indicator"] == "sex_ratio_at_birth")].iloc[0]
    assert no_girls["value"] == "" and no_girls["status"] == "no_data"
    assert no_girls["township_code"] == "530823101"


def test_partial_period_projection_in_csv(registry_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "indicators", "--db", str(registry_path), "--period", "2024-01..2024-02", "--level", "village"
    )
    assert code == 0
    frame = read_csv(out)
    row = frame[(frame["code"] == "530823101201") & (frame["indicator"] == "birth_rate")].iloc[0]
    average = (122 + 121) / 2
    assert float(row["value"]) == pytest.approx(2 / average * 1000, abs=1e-4)
    assert float(row["projection"]) == pytest.approx(2 / average * 1000 * 366 / 60, abs=1e-4)
    la = frame[(frame["code"] == "530823101201") & (frame["indicator"] == "long_acting_rate")].iloc[0]
    assert float(la["value"]) == pytest.approx(60.0)  # 6 ÷ 10 at 2024-02-29
    assert la["projection"] == la["value"]


def test_xlsx_output(registry_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "out" / "指标.xlsx"
    code, out, err = run_cli(
        capsys,
        "indicators",
        "--db",
        str(registry_path),
        "--period",
        "2024",
        "--level",
        "township",
        "--format",
        "xlsx",
        "--out",
        str(out_file),
    )
    assert code == 0, err
    assert out == ""
    # The Export page's file for the same table: Chinese headers, status words, the 说明 sheet.
    book = load_workbook(out_file)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[2]]
    assert header[:2] == ["代码", "乡镇"] and "出生率（‰）" in header and "出生率 状态" in header
    assert not set(header) & {"level", "numerator", "green", "permille"}
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["530823101"]["出生率（‰）"] == pytest.approx(8 / 172 * 1000)  # a real number
    assert rows["530823101"]["出生率（‰）"] is not None and "达标" in rows["530823101"]["出生率 状态"]
    assert sheet.page_setup.orientation == "landscape"
    assert book.sheetnames[1] == "说明"


def test_xlsx_long_layout(registry_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "长表.xlsx"
    args = ["indicators", "--db", str(registry_path), "--period", "2024", "--level", "township"]
    code, _, err = run_cli(capsys, *args, "--format", "xlsx", "--layout", "long", "--out", str(out_file))
    assert code == 0, err
    sheet = load_workbook(out_file).worksheets[0]
    header = [c.value for c in sheet[2]]
    assert {"指标", "分子", "分母", "数值", "状态"} <= set(header)
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=3, values_only=True)]
    birth = next(r for r in rows if r["代码"] == "530823101" and r["指标"] == "人口出生率")
    assert birth["数值"] == pytest.approx(8 / 172 * 1000) and birth["分子"] == 8


@pytest.mark.parametrize(
    ("args", "exit_code", "needle"),
    [
        (["--period", "2024-13", "--level", "county"], 2, "2024-13"),
        (["--period", "2024", "--level", "province"], 2, "province"),
        (["--period", "2024", "--format", "xlsx"], 2, "--out"),
        (["--period", "2024", "--indicator", "happiness"], 2, "happiness"),
    ],
)
def test_usage_errors_are_one_line(
    registry_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], exit_code: int, needle: str
) -> None:
    code, out, err = run_cli(capsys, "indicators", "--db", str(registry_path), *args)
    assert code == exit_code
    assert out == ""
    assert needle in err and err.count("\n") == 1


def test_missing_file_unreachable_and_non_contract_databases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.sqlite"
    code, out, err = run_cli(capsys, "indicators", "--db", str(missing), "--period", "2024")
    assert code == 1 and out == "" and "nope.sqlite" in err and err.count("\n") == 1
    assert not missing.exists()  # reading never creates a database file

    code, _, err = run_cli(
        capsys, "indicators", "--db", "postgresql://nobody:secret@127.0.0.1:9/none", "--period", "2024"
    )
    assert code == 1 and err.count("\n") == 1
    assert "secret" not in err  # the password is never printed

    other = tmp_path / "other.sqlite"
    engine = sa.create_engine(f"sqlite:///{other}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE township (id INTEGER PRIMARY KEY, code TEXT, name TEXT)"))
    engine.dispose()
    code, _, err = run_cli(capsys, "indicators", "--db", str(other), "--period", "2024")
    assert code == 1 and "village" in err and "person" in err and err.count("\n") == 1


def test_failure_leaves_no_half_written_file(
    registry_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "result.csv"
    code, _, _ = run_cli(
        capsys, "indicators", "--db", str(tmp_path / "absent.sqlite"), "--period", "2024", "--out", str(target)
    )
    assert code == 1 and not target.exists()
    code, _, _ = run_cli(capsys, "indicators", "--db", str(registry_path), "--period", "2024", "--out", str(target))
    assert code == 0 and target.read_text(encoding="utf-8").startswith("\ufefflevel,code,name")
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_a_csv_file_opens_in_excel_with_the_chinese_intact(
    registry_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file gets a BOM (Excel reads UTF-8 only with it); stdout stays plain for scripts."""
    target = tmp_path / "乡镇.csv"
    args = ("indicators", "--db", str(registry_path), "--period", "2024", "--level", "township")
    code, _, _ = run_cli(capsys, *args, "--out", str(target))
    assert code == 0
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    from_file = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert "甲镇" in set(from_file["name"])
    code, out, _ = run_cli(capsys, *args)
    assert not out.startswith("\ufeff")
    assert from_file.equals(read_csv(out))  # the same table either way


def test_real_process_exit_code_and_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard", "indicators", "--db", str(tmp_path / "x.sqlite"), "--period", "2024"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_quality_xlsx_is_the_quality_pages_file(
    registry_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI's quality workbook has the page's Chinese headers and check names, not codes."""
    out_file = tmp_path / "质量.xlsx"
    args = ["quality", "--db", str(registry_path), "--period", "2024", "--format", "xlsx", "--out", str(out_file)]
    code, _, err = run_cli(capsys, *args)
    assert code == 0, err
    book = load_workbook(out_file)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[2]]
    assert header and all(re.search(r"[\u4e00-\u9fff]", str(h)) for h in header), header
    first = [c.value for c in sheet[3]]
    assert first[0] and not re.fullmatch(r"[a-z_]+", str(first[0])), first  # a check's name, not its code
    assert book.sheetnames[1] == "说明"


@pytest.mark.parametrize("suffix", ["pdf", "pptx"])
def test_meeting_pack_writes_the_deck(
    registry_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    out = tmp_path / f"pack.{suffix}"
    code, _out, err = run_cli(capsys, "meeting-pack", "--db", str(registry_path), "--period", "2024", "--out", str(out))
    assert code == 0, err
    data = out.read_bytes()
    assert data.startswith(b"%PDF" if suffix == "pdf" else b"PK")  # a PDF, or a PowerPoint zip
    if suffix == "pptx":
        from pptx import Presentation

        assert len(Presentation(str(out)).slides) == 5


@pytest.mark.parametrize(
    ("args", "exit_code", "words"),
    [
        (["--period", "2024", "--out", "pack.txt"], 2, ".pdf 或 .pptx"),
        (["--period", "2024-13", "--out", "pack.pdf"], 2, "2024-13"),
        (["--period", "2024", "--out", "pack.pdf", "--db", "/nonexistent/registry.sqlite"], 1, "/nonexistent"),
    ],
)
def test_meeting_pack_errors_are_one_line(
    registry_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    exit_code: int,
    words: str,
) -> None:
    if "--db" not in args:
        args = [*args, "--db", str(registry_path)]
    args = [str(tmp_path / a) if a.startswith("pack.") else a for a in args]
    code, out, err = run_cli(capsys, "meeting-pack", *args)
    assert code == exit_code and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert not list(tmp_path.glob("pack.*"))  # nothing half written
