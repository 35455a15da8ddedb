"""The core never imports the UI; every console string and every refusal reason has a Chinese
translation."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from deskterm import i18n

ROOT = Path(__file__).resolve().parents[1]


def test_importing_the_core_loads_no_ui():
    """What the lint sees statically, checked at run time: the services, the knowledge engine and
    the database layer load without textual or rich (a CLI command or the watcher pays for no UI)."""
    code = (
        "import sys, pkgutil, importlib, deskterm.services, deskterm.kb\n"
        "for pkg in (deskterm.services, deskterm.kb):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "import deskterm.db, deskterm.models, deskterm.config\n"
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'textual', 'rich'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_core_does_not_import_the_ui():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def console_messages() -> set[str]:
    """Every literal passed to _() in the console's modules."""
    found: set[str] = set()
    for path in [
        *(ROOT / "deskterm" / "screens").rglob("*.py"),
        *(ROOT / "deskterm" / "dialogs").rglob("*.py"),
        *(ROOT / "deskterm" / "widgets").rglob("*.py"),
        ROOT / "deskterm" / "app.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_console_string_has_a_chinese_translation():
    missing = i18n.missing("zh", sorted(console_messages()))
    assert not missing, f"{len(missing)} strings without a zh translation: {missing[:20]}"


def test_translation_fills_values():
    i18n.set_language("zh")
    try:
        assert i18n._("{n} agents, {active} active", n=3, active=2) == "共 3 名坐席，2 名启用"
    finally:
        i18n.set_language("en")


def refusal_reasons() -> tuple[set[str], list[str]]:
    """The reasons an InvalidInput gives per field, as written in the code: constant texts, and the
    places where a reason is an f-string (those carry a value and cannot be looked up whole)."""
    texts: set[str] = set()
    formatted: list[str] = []

    def reason(node: ast.AST, where: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.add(node.value)
        elif isinstance(node, ast.JoinedStr):
            formatted.append(where)
        elif isinstance(node, ast.IfExp):
            reason(node.body, where)
            reason(node.orelse, where)

    for path in sorted((ROOT / "deskterm").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and node.args and _name(node.func) == "InvalidInput":
                given = node.args[0]
                if isinstance(given, ast.Dict):
                    for value in given.values:
                        reason(value, where)
                elif isinstance(given, ast.DictComp):
                    reason(given.value, where)
            elif (  # errors[field] = "reason"
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Subscript)
                and _name(node.targets[0].value) == "errors"
            ):
                reason(node.value, where)
    return texts, formatted


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def test_every_refusal_reason_has_a_chinese_translation():
    texts, _formatted = refusal_reasons()
    assert len(texts) > 50  # the scan finds the reasons (it would pass vacuously otherwise)
    missing = i18n.missing("zh", sorted(texts))
    assert not missing, f"{len(missing)} refusal reasons without a zh translation: {missing[:20]}"
