"""The test suite's own structure: shared code lives in support modules, fixtures are registered (not imported),
there is one way to sign in, and `make test` lints before it tests."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# Sign-in helpers for other kinds of client: Playwright pages and the live gunicorn server's requests sessions.
OTHER_CLIENTS = {TESTS / "browser" / "helpers.py", TESTS / "live_server.py", TESTS / "test_concurrency.py"}


def python_files() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def tree_of(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def imports_from(path: Path) -> list[tuple[str, str]]:
    """``(module, name)`` for every ``from tests... import name`` in ``path``."""
    return [(node.module, alias.name) for node in ast.walk(tree_of(path))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests")
            for alias in node.names]


def fixtures_of(path: Path) -> set[str]:
    """Names of the functions ``path`` decorates with ``@pytest.fixture``."""
    return {node.name for node in ast.walk(tree_of(path)) if isinstance(node, ast.FunctionDef)
            and any("fixture" in ast.unparse(decorator) for decorator in node.decorator_list)}


def module_path(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


@pytest.mark.parametrize("path", python_files(), ids=lambda path: str(path.relative_to(TESTS)))
def test_nothing_is_imported_from_a_test_module_or_a_conftest(path):
    borrowed = [f"{module}.{name}" for module, name in imports_from(path)
                if module.rsplit(".", 1)[-1].startswith("test_") or module.endswith("conftest")]
    assert borrowed == [], "shared helpers belong in tests/helpers.py or a *_support.py module"


@pytest.mark.parametrize("path", python_files(), ids=lambda path: str(path.relative_to(TESTS)))
def test_fixtures_are_registered_not_imported(path):
    imported = [f"{module}.{name}" for module, name in imports_from(path)
                if module_path(module).exists() and name in fixtures_of(module_path(module))]
    assert imported == [], "list the module in pytest_plugins (tests/conftest.py) instead"


def test_every_module_defining_shared_fixtures_is_a_registered_plugin():
    from tests import conftest

    shared = {path for path in python_files() if fixtures_of(path) and not path.name.startswith("test_")
              and path.name != "conftest.py"}
    assert shared == {module_path(module) for module in conftest.pytest_plugins}


def test_signing_in_is_written_once():
    """The ``auth`` fixture (tests/helpers.py) is the only sign-in helper for Flask test clients."""
    helper_name = re.compile(r"^_?(sign_?in|sign_?out|log_?in|log_?out|signed_in)(_|$)")
    found = [f"{path.relative_to(TESTS)}:{node.lineno} {node.name}" for path in python_files()
             if path.name != "helpers.py" and path not in OTHER_CLIENTS
             for node in ast.walk(tree_of(path)) if isinstance(node, ast.FunctionDef)
             and helper_name.match(node.name)]
    assert found == []


def test_make_test_lints_with_ruff_before_running_the_tests():
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M).group(1)
    commands = [line.strip() for line in recipe.splitlines()]
    assert commands[0] == "$(BIN)/ruff check ." and "pytest" in commands[-1]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(requirement.startswith("ruff") for requirement in project["project"]["optional-dependencies"]["dev"])
    assert {"E", "F", "W", "I"} <= set(project["tool"]["ruff"]["lint"]["select"])
