"""The core never imports the UI; every console string and every refusal reason has a Chinese
translation."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from deskterm import i18n, screens

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
    """Every literal passed to _() in the console's modules, and both forms given to _n()."""
    found: set[str] = set()
    for path in [
        *(ROOT / "deskterm" / "screens").rglob("*.py"),
        *(ROOT / "deskterm" / "dialogs").rglob("*.py"),
        *(ROOT / "deskterm" / "widgets").rglob("*.py"),
        ROOT / "deskterm" / "app.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "_n"):
                forms = node.args[: 1 if node.func.id == "_" else 2]
                found.update(
                    a.value for a in forms if isinstance(a, ast.Constant) and isinstance(a.value, str)
                )
    return found


def test_every_console_string_has_a_chinese_translation():
    missing = i18n.missing("zh", sorted(console_messages()))
    assert not missing, f"{len(missing)} strings without a zh translation: {missing[:20]}"


def console_constants() -> set[str]:
    """Texts the console translates through a name (_(title), the footer's _(description)): every
    string that reads as English words in an UPPER_CASE constant of the console's modules or their
    classes: key bindings' descriptions, screen titles, column headers, view titles, hints."""
    found: set[str] = set()
    for path in [
        *(ROOT / "deskterm" / "screens").rglob("*.py"),
        *(ROOT / "deskterm" / "dialogs").rglob("*.py"),
        *(ROOT / "deskterm" / "widgets").rglob("*.py"),
        ROOT / "deskterm" / "app.py",
    ]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for scope in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef))]:
            for node in scope.body:
                if not isinstance(node, ast.Assign) or node.value is None:
                    continue
                names = {t.id for t in node.targets if isinstance(t, ast.Name)}
                if not names or not all(n.isupper() for n in names) or names & {"DEFAULT_CSS", "CSS"}:
                    continue
                found.update(
                    c.value
                    for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant)
                    and isinstance(c.value, str)
                    and re.match(r"[A-Z][a-z]", c.value)
                )
    return found


def test_every_label_given_by_name_has_a_chinese_translation():
    """The scan of _() literals cannot see a label passed as a variable (a footer key's description,
    a column header, a screen's title)."""
    texts = console_constants() | {spec.title for spec in screens.REGISTRY}
    assert {"Claim", "Retry connection", "Total open", "Escalated to me"} <= texts  # the scan finds them
    missing = i18n.missing("zh", sorted(texts))
    assert not missing, f"{len(missing)} labels without a zh translation: {missing}"


def test_every_label_of_a_stored_code_has_a_chinese_translation():
    """Labels reach _() as variables (label(TABLE, code)), which the scan above cannot see: every
    value of every table in widgets/labels.py is looked up here."""
    from deskterm.widgets import labels

    assert {
        "TICKET_KINDS",
        "CHANNELS",
        "KB_STATUSES",
        "KB_LANGUAGES",
        "AGENT_STATES",
        "STATUS_IN_SENTENCE",
    } <= set(labels.TABLES)
    texts = {v[0] if isinstance(v, tuple) else v for table in labels.TABLES.values() for v in table.values()}
    missing = i18n.missing("zh", sorted(texts))
    assert not missing, f"{len(missing)} labels without a zh translation: {missing}"


def test_a_count_is_shown_with_the_noun_it_needs():
    """_n() picks the singular for 1 and the plural otherwise, in English; Chinese has one form."""
    assert i18n._n("(in 1 solution)", "(in {n} solutions)", 1) == "(in 1 solution)"
    assert i18n._n("(in 1 solution)", "(in {n} solutions)", 0) == "(in 0 solutions)"
    assert i18n._n("used once", "used {n} times", 3) == "used 3 times"
    i18n.set_language("zh")
    try:
        assert i18n._n("used once", "used {n} times", 1) == "使用 1 次"
        assert i18n._n("used once", "used {n} times", 2) == "使用 2 次"
    finally:
        i18n.set_language("en")


def test_no_count_is_shown_with_a_fixed_plural():
    """ "{n} <plural noun>" in a _() or later() literal reads "1 solutions" when n is 1: every such
    count goes through _n()."""
    trap = re.compile(r"\{(n|count)\}\s+\w+s\b|\{(n|count)\} times")
    found = set()
    for path in [*(ROOT / "deskterm").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "later")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and trap.search(node.args[0].value)
            ):
                found.add(node.args[0].value)
    assert not found, sorted(found)


def test_translation_fills_values():
    i18n.set_language("zh")
    try:
        assert i18n._("{n} agents, {active} active", n=3, active=2) == "共 3 名坐席，2 名启用"
    finally:
        i18n.set_language("en")


REFUSALS = {"DeskError", "NotFound", "PermissionDenied", "Conflict", "LoginFailed", "RightsChanged"}


def refusal_reasons() -> tuple[set[str], list[str]]:
    """The reasons an InvalidInput gives per field and the messages of the other refusals (NotFound,
    Conflict, PermissionDenied …), as written in the code: constant texts and the templates given to
    i18n.later() anywhere (a reason with a value), and the places where a reason is an f-string
    (those carry a value and cannot be looked up whole)."""
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
        elif isinstance(node, ast.Call) and _name(node.func) == "later" and node.args:
            reason(node.args[0], where)

    for path in sorted((ROOT / "deskterm").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and node.args and _name(node.func) == "later":
                reason(node, where)
            elif isinstance(node, ast.Call) and node.args and _name(node.func) == "InvalidInput":
                given = node.args[0]
                if isinstance(given, ast.Dict):
                    for value in given.values:
                        reason(value, where)
                elif isinstance(given, ast.DictComp):
                    reason(given.value, where)
            elif (  # raise NotFound("reason")
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and _name(node.exc.func) in REFUSALS
                and node.exc.args
            ):
                reason(node.exc.args[0], where)
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
    texts, formatted = refusal_reasons()
    assert len(texts) > 100  # the scan finds the reasons (it would pass vacuously otherwise)
    missing = i18n.missing("zh", sorted(texts))
    assert not missing, f"{len(missing)} refusal reasons without a zh translation: {missing[:20]}"
    assert not formatted, f"reasons as f-strings (use i18n.later): {formatted}"
    from deskterm.services.auth import PERMISSIONS  # what a refusal says an agent may not do

    missing = i18n.missing("zh", sorted(what for _roles, what in PERMISSIONS.values()))
    assert not missing, f"{len(missing)} permissions without a zh translation: {missing}"


def test_a_reason_with_values_is_translated_where_it_is_shown():
    """A reason written by the core reads as English text (the CLI, a log), and is translated with
    its values when shown; a value from people stays as it is, a status is said in words."""
    from deskterm.services.errors import InvalidInput, status_words

    closed, reopen = status_words("closed"), i18n.later("reopen it")
    error = InvalidInput(
        {"status": i18n.later("{number} is {status}: {reason}", number="SR-7", status=closed, reason=reopen)}
    )
    assert str(error) == "status: SR-7 is closed: reopen it"
    reason = error.errors["status"]
    i18n.set_language("zh")
    try:
        assert i18n._(reason) == "SR-7 已关闭：请先重新打开"
        assert i18n._(i18n.later("no agent '{login}'", login="[b]{x}")) == "没有坐席“[b]{x}”"
    finally:
        i18n.set_language("en")


# One Chinese term per concept (issue 14: incident was 故障 on Intake and 事件 on the ticket): an
# English word, the desk's Chinese term for it (DOMAIN.md: 运维事件清单, 短句, 派工单 …), and other
# renderings that must not appear where the English names the concept.
GLOSSARY = {
    "incident": ("事件", ["故障"]),
    "request": ("服务请求", []),
    "ticket": ("工单", ["服务单"]),
    "statement": ("短句", ["陈述"]),
    "solution": ("解决方案", ["推荐方案"]),
    "resolution": ("处理结果", ["解决方案"]),
    "category": ("分类", ["类别"]),
    "assign": ("指派", ["派工", "分派"]),
    "chase": ("催办", ["催单", "催促"]),
    "caller": ("来电人", ["来电者"]),
    "agent": ("坐席", ["座席"]),
    "escalate": ("升级", []),
}


def zh_catalogues() -> dict[str, dict[str, str]]:
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "deskterm" / "locale" / "zh").glob("*.json"))
    }


def test_one_chinese_term_per_concept():
    """Where an English message names a concept of the glossary, its Chinese text uses no other
    term for it; the concept's own label is the desk's term."""
    wrong, labels = [], set()
    for name, catalogue in zh_catalogues().items():
        for english, chinese in catalogue.items():
            for word, (term, others) in GLOSSARY.items():
                if not re.search(rf"\b{word}", english, re.IGNORECASE):
                    continue
                if any(other in chinese for other in others):
                    wrong.append(f"{name}: {english!r} -> {chinese!r} (use {term})")
                if english.lower() in (word, word + "s"):
                    labels.add(word)
                    if term not in chinese:
                        wrong.append(f"{name}: {english!r} -> {chinese!r} (the label is {term})")
    assert not wrong, wrong
    assert labels >= {"incident", "request", "ticket", "category", "agent", "escalate"}


def test_a_message_has_one_chinese_text_in_every_catalogue():
    """A message in two area catalogues is translated the same in both (the merge would otherwise
    pick one silently, and a screen shows the other area's words)."""
    texts: dict[str, set[str]] = {}
    for catalogue in zh_catalogues().values():
        for english, chinese in catalogue.items():
            texts.setdefault(english, set()).add(chinese)
    assert not {english: chinese for english, chinese in texts.items() if len(chinese) > 1}


def test_a_refusal_is_shown_in_the_consoles_language():
    """refusal_text: each field and its reason, or the refusal's message, translated with its values;
    a value from people comes through as typed (the console shows it as Text, never as markup)."""
    from deskterm.services.errors import Conflict, InvalidInput, NotFound
    from deskterm.widgets.service import refusal_text

    taken = Conflict(i18n.later("{number} is already taken by {name}", number="SR-9", name="[b]Ann[/b]"))
    invalid = InvalidInput({"agent": i18n.later("no agent '{login}'", login="zoe")})
    assert refusal_text(taken) == "SR-9 is already taken by [b]Ann[/b]"
    i18n.set_language("zh")
    try:
        assert refusal_text(taken) == "SR-9 已被 [b]Ann[/b] 认领"
        assert refusal_text(invalid) == "坐席: 没有坐席“zoe”"
        assert refusal_text(NotFound("no such agent")) == "没有这个坐席"
    finally:
        i18n.set_language("en")
