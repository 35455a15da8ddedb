"""The core never imports the UI; every console string has a Chinese translation."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from deskterm import i18n

ROOT = Path(__file__).resolve().parents[1]


def test_core_does_not_import_the_ui():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def console_messages() -> set[str]:
    """Every literal passed to _() in the console's modules."""
    found: set[str] = set()
    for path in [
        *(ROOT / "deskterm" / "screens").glob("*.py"),
        *(ROOT / "deskterm" / "widgets").glob("*.py"),
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
