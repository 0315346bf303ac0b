"""Every word a user reads lives in ``dashboard/labels.py``: each key has both languages, every
key the code asks for exists, and no key is left that nothing uses."""

from __future__ import annotations

import ast
import re

from dashboard import labels
from tests.conftest import ROOT

SOURCES = [p for d in ("dashboard", "data_access", "pages") for p in (ROOT / d).rglob("*.py")] + [ROOT / "app.py"]


def _code() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in SOURCES if p.name != "labels.py")


def test_every_key_has_chinese_and_english() -> None:
    for key, words in labels._TEXT.items():
        assert len(words) == 2 and all(w.strip() for w in words), key


def test_every_key_the_code_asks_for_exists() -> None:
    code = _code()
    asked = set(re.findall(r'labels\.t\(\s*"([a-z0-9_]+)"', code))
    asked |= set(
        re.findall(
            r'(?:RegistryError|PeriodError|KeyedError|LevelError|BoundaryError|ConfigError|ExportTooLarge)\(\s*"([a-z0-9_]+)"',
            code,
        )
    )
    missing = sorted(k for k in asked if not labels.has(k))
    assert not missing, missing


def test_no_key_is_left_that_nothing_uses() -> None:
    code = _code()
    prefixes = set(re.findall(r'f"([a-z_]+)\{', code)) | set(re.findall(r"f'([a-z_]+)\{", code))
    unused = [
        k
        for k in labels._TEXT
        if f'"{k}"' not in code and f"'{k}'" not in code and not any(k.startswith(p) for p in prefixes)
    ]
    assert not unused, unused


def _strings(tree: ast.AST) -> list[ast.Constant]:
    """String constants that are not docstrings."""
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def test_no_chinese_outside_labels() -> None:
    """Words a user reads are labels; Chinese elsewhere is data (contract values such as a site
    kind, the demo's names), comments and docstrings."""
    han = re.compile(r"[\u4e00-\u9fff]")
    allowed = {"data_access", "dashboard/domain/sites.py"}  # contract values ('药具管理服务'), demo names
    offenders = []
    for path in SOURCES:
        rel = str(path.relative_to(ROOT))
        if path.name == "labels.py" or any(rel.startswith(a) for a in allowed):
            continue
        for node in _strings(ast.parse(path.read_text(encoding="utf-8"))):
            if han.search(node.value):
                offenders.append(f"{rel}:{node.lineno}: {node.value[:40]}")
    assert not offenders, offenders
