"""The layering STYLE.md promises, checked by walking the AST of digest/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import digest

PACKAGE = Path(digest.__file__).resolve().parent
PURE = (
    "types",
    "errors",
    "tomlfile",
    "urls",
    "sanitize",
    "sources",
    "parse",
    "text",
    "phrases",
    "taxonomy",
    "relevance",
    "classify",
    "focus",
    "learning",
    "filing",
    "select",
    "render",
    "health",
    "cluster",
    "extract",
    "theme",
    "archive",
    "schedule",
    "delivery",
    "watch",
)
EDGES = ("fetch", "store", "send", "outbox", "files", "core", "preview", "cli", "config")
FORBIDDEN_FOREIGN = ("httpx", "sqlite3", "smtplib", "socket", "urllib.request", "os", "subprocess")
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("time", "time"), ("date", "today")}


def imported_modules(path: Path) -> set[str]:
    """Absolute names of what a module imports (relative imports resolved)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "digest" if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            if node.level and not node.module:
                names.update(f"digest.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_import_no_io(name: str) -> None:
    path = PACKAGE / f"{name}.py"
    imports = imported_modules(path)
    for module in imports:
        top = module.split(".")
        if top[0] == "digest" and len(top) > 1:
            assert top[1] not in EDGES, f"{name} (pure) imports digest.{top[1]} (I/O)"
        assert not any(
            module == bad or module.startswith(bad + ".") for bad in FORBIDDEN_FOREIGN
        ), f"{name} (pure) imports {module}"


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_do_not_read_the_clock_or_environment(name: str) -> None:
    tree = ast.parse((PACKAGE / f"{name}.py").read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            assert pair not in CLOCK_CALLS, f"{name} reads the clock ({'.'.join(pair)})"
            assert pair != ("os", "environ"), f"{name} reads os.environ"


def test_every_module_is_classified() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    modules |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert modules <= set(PURE) | set(EDGES), modules - set(PURE) - set(EDGES)


def test_only_the_store_package_imports_sqlite() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "store" not in path.relative_to(PACKAGE).parts:
            assert "sqlite3" not in imported_modules(path), path.name


def test_cli_and_preview_reach_the_core_only_through_the_facade() -> None:
    for name in ("cli", "preview"):
        path = PACKAGE / f"{name}.py"
        if not path.exists():
            continue
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "digest" and len(parts) > 1 and (PACKAGE / f"{parts[1]}.py").exists():
                assert parts[1] in {"core", "config", "errors", "types", "preview"}, (name, module)
