"""The suite's own house rule: shared helpers live in tests/support/ (or fixtures in a conftest), so a
test module never imports another test module or a conftest, and moving or deleting one test file
cannot break another."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            # `from tests.browser import test_x` imports a module; `from tests.support.x import test_y` a name
            names.extend(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if (TESTS.parent / node.module.replace(".", "/") / f"{alias.name}.py").exists()
            )
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names.append("." * node.level + (node.module or ""))
    return names


def _is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and any(part.startswith("test_") or part == "conftest" for part in parts[1:])


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for name in _imported_modules(path)
        if _is_test_module(name) or name.startswith(".")
    ]
    assert offenders == [], "move shared helpers to tests/support/:\n" + "\n".join(offenders)


def test_the_guard_sees_the_imports_it_forbids(tmp_path: Path) -> None:
    module = tmp_path / "test_example.py"
    module.write_text(
        "from tests.integration.test_chat_protocol import open_coaching\n"
        "import tests.browser.test_chat_journey\n"
        "from tests.browser import conftest\n"
        "from tests.support.keyring_client import test_params\n"
        "from tests.support.chat import body\n"
    )
    forbidden = [name for name in _imported_modules(module) if _is_test_module(name)]
    assert "tests.integration.test_chat_protocol" in forbidden
    assert "tests.browser.test_chat_journey" in forbidden
    assert "tests.browser.conftest" in forbidden
    assert not any(name.startswith("tests.support") for name in forbidden)


def test_every_browser_test_module_is_marked_browser() -> None:
    """`-m "not browser"` is how the fast jobs leave out Chromium; an unmarked module slips in."""
    unmarked = [
        path.name
        for path in sorted((TESTS / "browser").glob("test_*.py"))
        if "pytest.mark.browser" not in path.read_text(encoding="utf-8")
    ]
    assert unmarked == []
