"""Data crosses each room once, forward: questionnaires ← responses ← indicators (STYLE.md, docs/architecture.md).

Every import is read from the source with ``ast``, those inside functions too, relative ones resolved.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "imppulse_survey"
#: room → the rooms it must never import
FORBIDDEN = {
    "questionnaires": {"responses", "indicators"},
    "responses": {"indicators"},
}


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in a module; ``from x import y`` also yields ``x.y``,
    since ``y`` may be a module (``from .. import indicators``)."""
    package = ["imppulse_survey", *path.relative_to(PACKAGE).parent.parts]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "imppulse_survey" and len(parts) > 1 else None


@pytest.mark.single_pass
@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_never_import_the_rooms_after_them(room):
    modules = sorted((PACKAGE / room).rglob("*.py"))
    assert modules
    crossings = [f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
                 for path in modules for line, module in imported_modules(path)
                 if room_of(module) in FORBIDDEN[room]]
    assert not crossings, "\n".join(crossings)


@pytest.mark.single_pass
def test_the_scoring_rule_needs_no_database():
    """questionnaires/scoring.py and whatever it imports from the package, all the way down."""
    seen, waiting, outside = set(), [PACKAGE / "questionnaires" / "scoring.py"], set()
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        seen.add(path)
        for _, module in imported_modules(path):
            if room_of(module) is None:
                outside.add(module.split(".")[0])
                continue
            relative = Path(*module.split(".")[1:])
            for candidate in (PACKAGE / relative.with_suffix(".py"), PACKAGE / relative / "__init__.py"):
                if candidate.is_file():
                    waiting.append(candidate)
    assert PACKAGE / "questionnaires" / "definition.py" in seen  # the walk follows relative imports
    assert PACKAGE / "extensions.py" not in seen
    assert "sqlalchemy" not in outside and "flask_sqlalchemy" not in outside


@pytest.mark.single_pass
def test_relative_imports_are_resolved():
    """The check sees a crossing it should allow: indicators reads the summaries the responses write."""
    imported = {module for _, module in imported_modules(PACKAGE / "indicators" / "summaries.py")}
    assert "imppulse_survey.responses.summaries" in imported
    assert "imppulse_survey.questionnaires.scoring.Indicator" in imported
