"""The house rules that keep the code readable: layers in one direction (and a wrong-way import
is caught), no function-local imports of project modules, pages that only read widgets and
call the app layer, and a README whose layout section names every folder's role as the
folders themselves say it."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("dashboard", "data_access")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _modules() -> list[Path]:
    return [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")] + sorted((ROOT / "pages").glob("*.py"))


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_layers_contract_holds() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "wrong_way"),
    [
        ("dashboard/domain/periods.py", "from dashboard.app import cache"),  # engine → Streamlit side
        ("dashboard/views/overview.py", "from data_access.queries import counts"),  # page model → database
        ("data_access/queries/counts.py", "from dashboard import labels"),  # data layer → words
    ],
)
def test_a_wrong_way_import_breaks_the_contract(tmp_path: Path, module: str, wrong_way: str) -> None:
    for name in (*PACKAGES, "pyproject.toml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{wrong_way}  # noqa\n", encoding="utf-8")
    done = _lint_imports(tmp_path)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout and module.replace("/", ".").removesuffix(".py") in done.stdout


def test_no_function_local_imports_of_project_modules() -> None:
    found = []
    for path in _modules():
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (*PACKAGES, "tests"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
                if isinstance(node, ast.Import) and any(a.name.split(".")[0] in PACKAGES for a in node.names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found


def test_pages_read_widgets_and_call_the_app_layer() -> None:
    """Pages never reach the database or the cache's queries themselves, and build no model."""
    for path in sorted((ROOT / "pages").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m.split(".")[0] in ("data_access", "sqlalchemy", "pandas")}, path.name
        assert "dashboard.app" in imported, f"{path.name} does not call the app layer"
        defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert len(defs) <= 2, f"{path.name}: logic belongs in dashboard/ ({[d.name for d in defs]})"


def folder_roles() -> list[tuple[str, str]]:
    """Each package folder and the first sentence of its own docstring: its role."""
    rows = []
    for init in sorted([*(ROOT / "dashboard").rglob("__init__.py"), *(ROOT / "data_access").rglob("__init__.py")]):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        rows.append((f"{init.parent.relative_to(ROOT)}/", doc.splitlines()[0].rstrip(".") if doc else ""))
    return rows


def layout_section() -> str:
    lines = ["| folder | role |", "|---|---|"]
    lines += [f"| `{folder}` | {role} |" for folder, role in folder_roles()]
    return "\n".join(lines)


def test_readme_layout_names_every_folder_as_it_says_itself() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- layout:start -->", "<!-- layout:end -->"
    assert start in readme and end in readme
    shown = readme.split(start, 1)[1].split(end, 1)[0].strip()
    assert shown == layout_section(), "README layout is stale; it should read:\n" + layout_section()


def test_readme_points_nowhere_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in readme
    assert (ROOT / "docs" / "DESIGN.md").exists()
