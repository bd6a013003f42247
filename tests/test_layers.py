"""The command line sits on top: no module of the engine (model/, experiments/, calibration/) or of the pages
(viz/) imports it, so a model, a sweep or a page can be used without the ``crmsim`` program, as Mesa's model
never imports its app."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOWER_LAYERS = ("model", "experiments", "calibration", "viz")
COMMAND_LINE = ("crmsim.commands", "crmsim.cli")


def imported_modules(tree: ast.AST) -> list[str]:
    """Every module an ``import`` or ``from ... import`` names, with each name it takes (``crmsim.commands.run``
    for ``from crmsim.commands import run``), at any depth of the file (a function's lazy import too)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def reaches_the_command_line(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in COMMAND_LINE)


def test_the_test_sees_an_import_of_the_command_line_at_any_depth():
    tree = ast.parse("def f():\n    from crmsim import commands\n\nimport crmsim.cli as c\n")
    assert sorted(m for m in imported_modules(tree) if reaches_the_command_line(m)) == ["crmsim.cli", "crmsim.commands"]
    assert not reaches_the_command_line("crmsim.commandsx") and not reaches_the_command_line("crmsim.texts.i18n")


def test_no_module_of_the_engine_or_the_pages_imports_the_command_line():
    files = [path for folder in LOWER_LAYERS for path in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 80  # every layer was read
    offenders = {path.relative_to(ROOT).as_posix(): module for path in files
                 for module in imported_modules(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
                 if reaches_the_command_line(module)}
    assert offenders == {}
