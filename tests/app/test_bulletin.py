"""The 通报 from the command line and from the ranking page, on a registry with known numbers
and known data-quality findings: the file opens, its ranking is the page's (and the engine's),
its quality counts are the quality page's, each error is one line."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import pandas as pd
import pytest
from docx.document import Document as DocxDocument
from docx.table import Table as DocxTable
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard import labels
from dashboard.app.sources import indicator_report, open_registry
from dashboard.cli import main
from dashboard.domain.periods import parse_period
from tests.data_access.test_services_quality import load

PERIOD = "2024"


@pytest.fixture
def registry_url(tmp_path: Path) -> str:
    """The services registry: two townships, service records and planted quality findings."""
    url = f"sqlite:///{tmp_path / 'services.sqlite'}"
    load(url)
    return url


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    labels.set_language("zh")
    yield
    labels.set_language("zh")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def table_after(document: DocxDocument, heading: str) -> list[list[str]]:
    """The rows of the first table after the heading that starts with ``heading``."""
    seen = False
    for element in document.element.body.iterchildren():
        if element.tag.endswith("}p") and "".join(element.itertext()).startswith(heading):
            seen = True
        elif seen and element.tag.endswith("}tbl"):
            return [[c.text for c in row.cells] for row in DocxTable(element, document).rows]
    raise AssertionError(f"no table after {heading}")


def quality_counts(document: DocxDocument) -> dict[str, int]:
    return {row[0]: int(row[1].replace(",", "")) for row in table_after(document, "五、")[1:]}


# --------------------------------------------------------------------------- the command line


def test_cli_writes_the_bulletin_and_prints_its_path(
    registry_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports" / "通报.docx"
    code, stdout, stderr = run_cli(capsys, "bulletin", "--db", registry_url, "--period", PERIOD, "--out", str(out))
    assert code == 0, stderr
    assert stdout.splitlines() == [labels.t("bulletin_written", path=out)]
    document = docx.Document(str(out))
    assert document.paragraphs[0].text.startswith("景东彝族自治县2024年")
    # The ranking is the engine's (the live queries, the reference the summaries are tested against).
    live = indicator_report(open_registry(registry_url), parse_period(PERIOD), "township")
    ranked = table_after(document, "二、")
    assert [r[1] for r in ranked[1:]] == list(live.assessment["name"])
    # Every red status of every township is in section 三.
    red = live.result[live.result["status"] == "red"]
    assert not red.empty
    text = "\n".join(p.text for p in document.paragraphs)
    for name in live.assessment["name"]:
        assert f"{name}：" in text
    assert len(red) == sum(
        len(table_after(document, f"（{n}）{name}：")) - 1
        for n, name in zip(("一", "二"), live.assessment["name"])
        if (red["name"] == name).any()
    )
    # The quality counts are those of `python -m dashboard quality` (the nightly report).
    code, csv, _ = run_cli(capsys, "quality", "--db", registry_url, "--period", PERIOD)
    totals = pd.read_csv(io.StringIO(csv)).groupby("check")["count"].sum()
    expected = {labels.t(f"check_{c}"): int(n) for c, n in totals.items() if n}
    assert quality_counts(document) == expected and expected


def test_cli_bulletin_in_english(registry_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bulletin.docx"
    code, stdout, _ = run_cli(
        capsys, "bulletin", "--db", registry_url, "--period", "2024-Q2", "--out", str(out), "--lang", "en"
    )
    assert code == 0 and stdout.startswith("bulletin written: ")
    document = docx.Document(str(out))
    assert document.paragraphs[0].text.startswith("Jingdong")
    headings = [p.text for p in document.paragraphs if p.style.name == "Bulletin Heading"]
    assert headings[0] == "1. The county on every target" and len(headings) == 6
    footer = " ".join(p.text for p in document.sections[0].footer.paragraphs)
    assert "Q2 2024" in footer and "data as of 2024-06-30" in footer


@pytest.mark.parametrize(
    ("case", "code"),
    [("bad-url", 1), ("missing-file", 1), ("bad-period", 2), ("future", 2), ("unwritable", 1), ("extension", 2)],
)
def test_cli_bulletin_errors_are_one_line(
    case: str, code: int, registry_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    args = {"db": registry_url, "period": PERIOD, "out": str(tmp_path / "b.docx"), "today": "2025-01-15"}
    args.update(
        {
            "bad-url": {"db": "nosuch://host/db"},
            "missing-file": {"db": str(tmp_path / "nowhere.sqlite")},
            "bad-period": {"period": "2024-13"},
            "future": {"period": "2025-Q2"},
            "unwritable": {"out": str(blocker / "b.docx")},  # its folder is a file
            "extension": {"out": str(tmp_path / "b.pdf")},
        }[case]
    )
    got, stdout, stderr = run_cli(capsys, "bulletin", *[x for k, v in args.items() for x in (f"--{k}", v)])
    assert got == code
    assert stdout == "" and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert not (tmp_path / "b.docx").exists() and not (tmp_path / "b.pdf").exists()


# --------------------------------------------------------------------------- the ranking page


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[Callable[[], bytes], str]]:
    """The callables behind deferred download buttons (id → (build, file name)): AppTest has
    no browser to click them, so the test calls them itself."""
    seen: dict[str, tuple[Callable[[], bytes], str]] = {}
    original = MediaFileManager.add_deferred

    def spy(self: MediaFileManager, fn: Callable[[], bytes], mimetype: str | None, coordinates: str, **kw: object):  # type: ignore[no-untyped-def]
        file_id = original(self, fn, mimetype, coordinates, **kw)  # type: ignore[arg-type]
        seen[file_id] = (fn, str(kw.get("file_name")))
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return seen


def open_page(app: AppTest, page: str) -> AppTest:
    app.query_params["period"] = PERIOD
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def download(app: AppTest, deferred: dict[str, tuple[Callable[[], bytes], str]]) -> tuple[DocxDocument, str]:
    button = app.download_button(key="bulletin-docx")
    assert button.label == "下载通报 (.docx)"
    build, name = deferred[button.proto.deferred_file_id]
    return docx.Document(io.BytesIO(build())), name


def test_ranking_page_downloads_the_bulletin_of_its_ranking(
    app: AppTest, deferred: dict[str, tuple[Callable[[], bytes], str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "exports.log"
    monkeypatch.setenv("DASHBOARD_EXPORT_LOG", str(log))
    open_page(app, "pages/ranking.py")
    shown = app.dataframe[0].value
    document, name = download(app, deferred)
    assert name == "景东县_目标监测通报_2024年.docx"
    ranked = table_after(document, "二、")
    assert [r[1] for r in ranked[1:]] == list(shown["乡镇"]) and len(shown) == 2
    assert [r[0] for r in ranked[1:]] == [str(r) for r in shown["排名"]]
    badges = [c for c in shown.columns if c in ranked[0]]
    for row, (_, screen) in zip(ranked[1:], shown.iterrows()):  # the same words and marks as the screen
        assert [row[ranked[0].index(c)] for c in badges] == [str(screen[c]) for c in badges]
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(e["action"], e["format"], e["period"], e["user"]) for e in entries] == [
        ("download", "docx", PERIOD, "demo")
    ]


def test_bulletin_quality_counts_are_the_quality_pages(
    app: AppTest, deferred: dict[str, tuple[Callable[[], bytes], str]]
) -> None:
    open_page(app, "pages/quality.py")
    matrix = app.dataframe[0].value
    page = {name: int(total) for name, total in zip(matrix["检查项目"], matrix["合计"]) if total}
    app.switch_page("pages/ranking.py").run()
    document, _ = download(app, deferred)
    assert quality_counts(document) == page and page["身份证号重复"] == 2
    clear = [p.text for p in document.paragraphs if p.text.startswith("其余")]
    assert clear == [labels.t("bulletin_quality_clear", n=len(matrix) - len(page))]


@pytest.mark.parametrize("role", ["viewer", "township:530823101"])
def test_every_role_that_sees_the_ranking_may_download_it(
    role: str, app: AppTest, deferred: dict[str, tuple[Callable[[], bytes], str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_ROLE", role)
    open_page(app, "pages/ranking.py")
    document, _ = download(app, deferred)
    # Aggregates and village names only: no masked name or ID number anywhere in it.
    text = "\n".join(p.text for p in document.paragraphs) + "".join(
        c.text for t in document.tables for r in t.rows for c in r.cells
    )
    assert "*" not in text and "530823" not in text
