"""The house STYLE.md and ARCHITECTURE.md describe, checked by walking the AST
of digest/: every module in one layer, imports flowing one way, the pure
core free of I/O, the clock and the environment, and rooms of a livable size."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import digest

PACKAGE = Path(digest.__file__).resolve().parent
ROOT = PACKAGE.parent

# Each layer may import from its own and the ones above it in this list, never below.
LAYERS: dict[str, tuple[str, ...]] = {
    "foundation": ("types", "errors"),
    "pure": (
        "tomlfile", "urls", "sanitize", "sources", "plainrules", "plainfeed", "parse", "text",
        "phrasebook", "phrases", "taxonomy",
        "relevance", "classify", "focus", "learning", "filing", "select", "layout", "render",
        "mime", "messages", "linebreak", "health", "concepts", "cluster", "extract", "theme",
        "archive", "schedule", "delivery", "watch",
    ),
    "edges": (
        "checks", "settings", "config", "bundled", "files", "bodies", "trust", "fetch", "store",
        "send", "workers",
    ),
    "services": (
        "context", "parsing", "grouping", "updates", "feedlist", "editions", "shelf",
        "editing", "recipients", "postman", "copies", "outbox",
    ),
    "facade": ("core",),
    "front": ("preview_guard", "preview", "cli"),
}  # fmt: skip
LAYER_OF = {module: layer for layer, modules in LAYERS.items() for module in modules}
ORDER = list(LAYERS)
FORBIDDEN_FOREIGN = ("httpx", "sqlite3", "smtplib", "socket", "urllib.request", "os", "subprocess")
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("time", "time"), ("date", "today")}
# What the CLI and the preview may import: the façade and the values it speaks in.
FRONT_MAY_IMPORT = {
    "core", "config", "errors", "types", "preview", "preview_guard", "bundled", "classify", "cli",
}  # fmt: skip
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 300


def modules() -> set[str]:
    """Every top-level module or subpackage of digest/."""
    found = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    return found | {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}


def module_files(name: str) -> list[Path]:
    """A module's file, or every file of a subpackage."""
    single = PACKAGE / f"{name}.py"
    return [single] if single.exists() else sorted((PACKAGE / name).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Absolute names of what a file imports, relative imports resolved against
    the file's own package."""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            names.add(module)
            if node.level and not node.module:
                names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def digest_modules_imported(name: str) -> set[str]:
    """The other top-level modules of digest/ that a module (or subpackage) imports."""
    found = set()
    for path in module_files(name):
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "digest" and len(parts) > 1 and parts[1] != name:
                found.add(parts[1])
    return found


def test_every_module_is_in_a_layer() -> None:
    assert modules() <= set(LAYER_OF), sorted(modules() - set(LAYER_OF))
    assert set(LAYER_OF) <= modules(), sorted(set(LAYER_OF) - modules())


@pytest.mark.parametrize("name", sorted(LAYER_OF))
def test_imports_flow_one_way(name: str) -> None:
    layer = ORDER.index(LAYER_OF[name])
    for other in digest_modules_imported(name):
        assert ORDER.index(LAYER_OF[other]) <= layer, f"{name} imports {other}, a layer below"


@pytest.mark.parametrize("name", LAYERS["foundation"] + LAYERS["pure"])
def test_pure_modules_import_no_io(name: str) -> None:
    imports = {module for path in module_files(name) for module in imported_modules(path)}
    for module in imports:
        assert not any(
            module == bad or module.startswith(bad + ".") for bad in FORBIDDEN_FOREIGN
        ), f"{name} (pure) imports {module}"


@pytest.mark.parametrize("name", LAYERS["foundation"] + LAYERS["pure"])
def test_pure_modules_do_not_read_the_clock_or_environment(name: str) -> None:
    trees = [ast.parse(path.read_text("utf-8")) for path in module_files(name)]
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            assert pair not in CLOCK_CALLS, f"{name} reads the clock ({'.'.join(pair)})"
            assert pair != ("os", "environ"), f"{name} reads os.environ"


def test_only_the_store_package_imports_sqlite() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "store" not in path.relative_to(PACKAGE).parts:
            assert "sqlite3" not in imported_modules(path), path.name


def test_cli_and_preview_reach_the_core_only_through_the_facade() -> None:
    for name in LAYERS["front"]:
        reached = digest_modules_imported(name) - FRONT_MAY_IMPORT
        assert not reached, f"{name} reaches {sorted(reached)} around the façade"


def test_cli_and_preview_ask_the_facade_not_its_store() -> None:
    """`digest.store.…` from the CLI or the preview would reach past the
    façade into the edge it keeps: each question is a façade call."""
    reaching = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for name in LAYERS["front"]
        for path in module_files(name)
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "store"
    ]
    assert reaching == []


def test_no_module_over_400_lines_and_no_class_over_300() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text("utf-8")
        where = path.relative_to(ROOT)
        assert text.count("\n") <= MAX_MODULE_LINES, f"{where}: {text.count(chr(10))} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                assert size <= MAX_CLASS_LINES, f"{where}: class {node.name} is {size} lines"


def test_no_mixins_compose_instead() -> None:
    """Behaviour comes from the objects a class holds, not from classes it
    inherits: no class of ours has two bases or a base of ours, but for the
    error tree (each error is a kind of `DigestError`)."""
    classes = {
        node.name: (path, node)
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.ClassDef)
    }
    errors = {name for name, (path, _) in classes.items() if path.name == "errors.py"}
    for name, (path, node) in classes.items():
        where = f"{path.relative_to(ROOT)}: class {name}"
        bases = [ast.unparse(base).rpartition(".")[2] for base in node.bases]
        assert len(bases) <= 1 and not name.endswith("Mixin"), where
        assert not (set(bases) & set(classes)) or set(bases) <= errors, where


def test_architecture_md_names_every_module_once() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    for name in sorted(LAYER_OF):
        shown = f"`{name}/`" if (PACKAGE / name).is_dir() else f"`{name}.py`"
        assert shown in text, f"ARCHITECTURE.md does not describe {shown}"
