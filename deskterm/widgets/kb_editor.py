"""Composing a solution from statements (KB editors): title, category, language, tags, status and
an ordered list of statements. Typing a statement shows the existing similar ones, to reuse rather
than write again; editing a shared statement first shows every solution that uses it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from ..i18n import _
from ..screens.base import DeskModal
from ..services import kb
from ..services.errors import InvalidInput
from ..text import clean

LOOKUP_DELAY = 0.2  # seconds of quiet typing before similar statements are looked up


@dataclass
class Draft:
    """A statement in the editor: an existing one (id, shared by `used_by` solutions) or new text."""

    text: str
    id: int | None = None
    used_by: int = 0


def used_label(n: int) -> str:
    if n == 0:
        return _("(not used yet)")
    return _("(in 1 solution)") if n == 1 else _("(in {n} solutions)", n=n)


def _label(n: int, d: Draft) -> Text:
    text = Text(f"{n:>2}. {clean(d.text, single_line=True)}")
    if d.used_by > 1:
        text.append("  " + used_label(d.used_by), style="dim")
    return text


class SolutionEditor(DeskModal[int | None]):
    """Create (article_id None) or edit a solution. Ctrl+S saves; Esc cancels."""

    DEFAULT_CSS = """
    SolutionEditor #ed-statements { height: auto; max-height: 10; }
    SolutionEditor #ed-similar { height: auto; max-height: 8; }
    SolutionEditor .form-row Select { width: 1fr; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="kbedit.save"),
        Binding("escape", "cancel", "Cancel", id="kbedit.cancel"),
    ]

    def __init__(self, article_id: int | None) -> None:
        super().__init__()
        self.article_id = article_id
        self.external_id: str | None = None
        self.statements: list[Draft] = []
        self.similar: list[kb.StatementView] = []
        self.lookup: Timer | None = None
        self.lookup_seq = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog kb-editor"):
            title = _("Edit solution") if self.article_id else _("New solution")
            yield Static(title, id="ed-heading", classes="dialog-title", markup=False)
            for key, label in (("title", _("Title")), ("category", _("Category")), ("tags", _("Tags"))):
                with Horizontal(classes="form-row"):
                    yield Static(label, classes="form-label", markup=False)
                    yield Input(id=f"ed-{key}", compact=True)
                yield Static("", id=f"e-{key}", classes="form-error", markup=False)
            with Horizontal(classes="form-row"):
                yield Static(_("Language"), classes="form-label", markup=False)
                yield Select(
                    [(_("English"), "en"), ("中文", "zh")],
                    value="en",
                    allow_blank=False,
                    id="ed-lang",
                    compact=True,
                )
                yield Static(_("Status"), classes="form-label", markup=False)
                yield Select(
                    [(_("draft"), "draft"), (_("published"), "published"), (_("retired"), "retired")],
                    value="draft",
                    allow_blank=False,
                    id="ed-status",
                    compact=True,
                )
            yield Static(_("Statements (Del: remove · Ctrl+↑/↓: move · Enter: edit)"), markup=False)
            yield OptionList(id="ed-statements")
            yield Static("", id="e-statements", classes="form-error", markup=False)
            yield Input(
                placeholder=_("Type a statement; Enter adds it. Similar ones appear below."), id="ed-new"
            )
            yield Static(_("Existing statements like it (Enter reuses one):"), markup=False)
            yield OptionList(id="ed-similar")
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Ctrl+S: save · Esc: cancel"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(".kb-editor").styles.width = 100  # wider than a plain dialog
        self.query_one("#ed-title", Input).focus()
        if self.article_id is not None:
            self.call(kb.get_article, self.desk.database, self.article_id, done=self._loaded)

    def _loaded(self, a: kb.KbArticleView) -> None:
        self.external_id = a.external_id
        self.query_one("#ed-heading", Static).update(_("Edit solution {key}", key=clean(a.external_id)))
        self.query_one("#ed-title", Input).value = clean(a.title)
        self.query_one("#ed-category", Input).value = clean(a.category)
        self.query_one("#ed-tags", Input).value = clean(", ".join(a.tags))
        self.query_one("#ed-lang", Select).value = a.lang
        self.query_one("#ed-status", Select).value = a.status
        self.statements = [Draft(s.text, s.id, s.used_by) for s in a.statements]
        self._show_statements()

    def _show_statements(self, highlight: int | None = None) -> None:
        box = self.query_one("#ed-statements", OptionList)
        box.clear_options()
        box.add_options([Option(_label(n, d)) for n, d in enumerate(self.statements, 1)])
        if self.statements:
            box.highlighted = min(highlight if highlight is not None else 0, len(self.statements) - 1)

    @on(Input.Submitted, "#ed-title, #ed-category, #ed-tags")
    def _next_field(self) -> None:
        self.focus_next()

    # --- typing a statement: look for existing ones to reuse ------------------------------------

    @on(Input.Changed, "#ed-new")
    def _typing(self, event: Input.Changed) -> None:
        self.lookup_seq += 1
        if self.lookup is not None:
            self.lookup.stop()
        self.lookup = self.set_timer(LOOKUP_DELAY, self._look_up)

    def _look_up(self) -> None:
        seq = self.lookup_seq
        text = self.query_one("#ed-new", Input).value
        self.call(
            kb.find_statements,
            self.desk.database,
            text,
            limit=8,
            group="kb-similar",
            done=lambda found: self._similar(seq, found),
        )

    def _similar(self, seq: int, found: list[kb.StatementView]) -> None:
        if seq != self.lookup_seq:
            return
        self.similar = found
        box = self.query_one("#ed-similar", OptionList)
        box.clear_options()
        for s in found:
            label = Text(clean(s.text, single_line=True))
            label.append("  " + used_label(s.used_by), style="dim")
            box.add_option(Option(label))

    @on(Input.Submitted, "#ed-new")
    def _add_typed(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        # the same text as an existing statement is that statement (stored once, by digest)
        same = next((s for s in self.similar if " ".join(s.text.split()) == " ".join(text.split())), None)
        self._append(Draft(same.text, same.id, same.used_by) if same else Draft(text))

    @on(OptionList.OptionSelected, "#ed-similar")
    def _reuse(self, event: OptionList.OptionSelected) -> None:
        s = self.similar[event.option_index]
        self._append(Draft(s.text, s.id, s.used_by))

    def _append(self, draft: Draft) -> None:
        self.statements.append(draft)
        self._show_statements(len(self.statements) - 1)
        box = self.query_one("#ed-new", Input)
        box.value = ""
        box.focus()
        self.query_one("#ed-similar", OptionList).clear_options()
        self.similar = []
        self.query_one("#e-statements", Static).update("")

    # --- the list of statements -----------------------------------------------------------------

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        box = self.query_one("#ed-statements", OptionList)
        if self.focused is not box or box.highlighted is None:
            return
        i = box.highlighted
        if event.key in ("delete", "backspace"):
            del self.statements[i]
            self._show_statements(i)
        elif event.key in ("ctrl+up", "ctrl+down"):
            j = i - 1 if event.key == "ctrl+up" else i + 1
            if 0 <= j < len(self.statements):
                self.statements[i], self.statements[j] = self.statements[j], self.statements[i]
                self._show_statements(j)
        else:
            return
        event.stop()
        event.prevent_default()

    @on(OptionList.OptionSelected, "#ed-statements")
    def _edit_statement(self, event: OptionList.OptionSelected) -> None:
        i = event.option_index
        d = self.statements[i]
        if d.id is None:
            # a new statement: back into the box, to change and add again
            del self.statements[i]
            self._show_statements(i)
            box = self.query_one("#ed-new", Input)
            box.value = clean(d.text)
            box.focus()
            return

        def edited(text: str | None) -> None:
            if text is not None:
                self.statements[i] = Draft(text, d.id, d.used_by)
                self._show_statements(i)

        self.app.push_screen(StatementDialog(d.id, d.text), edited)

    # --- saving -------------------------------------------------------------------------------

    def action_save(self) -> None:
        for key in ("title", "category", "tags", "statements", "form"):
            self.query_one(f"#e-{key}", Static).update("")
        tags = [t.strip() for t in self.query_one("#ed-tags", Input).value.replace("，", ",").split(",")]
        self.call(
            kb.save_solution,
            self.desk.database,
            self.desk.actor,
            external_id=self.external_id,
            title=self.query_one("#ed-title", Input).value,
            category=self.query_one("#ed-category", Input).value,
            lang=str(self.query_one("#ed-lang", Select).value),
            statements=[d.text for d in self.statements],
            tags=[t for t in tags if t],
            status=str(self.query_one("#ed-status", Select).value),
            done=self.dismiss,
            failed=self._refused,
        )

    def _refused(self, error: Exception) -> None:
        if isinstance(error, InvalidInput):
            for key, reason in error.errors.items():
                found = self.query(f"#e-{key}")
                target = found.first(Static) if found else self.query_one("#e-form", Static)
                target.update(f"{_(reason)}" if found else f"{key}: {_(reason)}")
        else:
            self.query_one("#e-form", Static).update(str(error))


class StatementDialog(DeskModal[str | None]):
    """Edit a statement that may be shared: first, which solutions use it."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="kbstmt.save"),
        Binding("escape", "cancel", "Cancel", id="kbstmt.cancel"),
    ]

    def __init__(self, statement_id: int, text: str) -> None:
        super().__init__()
        self.statement_id = statement_id
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Edit statement"), classes="dialog-title", markup=False)
            yield Static(_("Looking up the solutions that use it…"), id="st-users", markup=False)
            yield Input(clean(self.text), id="st-text")
            yield Static("", id="e-text", classes="form-error", markup=False)
            yield Static(
                _("Ctrl+S: save for every solution above · Esc: cancel"), classes="dialog-hint", markup=False
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.call(kb.statement_users, self.desk.database, self.statement_id, done=self._users)

    def _users(self, users: list[tuple[str, str]]) -> None:
        lines = [_("Changing it changes these {n} solutions:", n=len(users))]
        lines += [
            f"  {clean(key, single_line=True)}  {clean(title, single_line=True)}" for key, title in users[:12]
        ]
        if len(users) > 12:
            lines.append("  " + _("… and {n} more", n=len(users) - 12))
        self.query_one("#st-users", Static).update("\n".join(lines))

    def action_save(self) -> None:
        text = self.query_one("#st-text", Input).value
        self.call(
            kb.edit_statement,
            self.desk.database,
            self.desk.actor,
            self.statement_id,
            text,
            done=lambda _n: self.dismiss(text.strip()),
            failed=lambda e: self.query_one("#e-text", Static).update(
                "; ".join(_(r) for r in e.errors.values()) if isinstance(e, InvalidInput) else str(e)
            ),
        )
