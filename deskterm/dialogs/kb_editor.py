"""Composing a solution from statements (KB editors): title, category, language, tags, status and
an ordered list of statements. Typing a statement shows the existing similar ones, to reuse rather
than write again; editing a shared statement first shows every solution that uses it.

A save names the versions the editor read: when someone changed the solution or one of its
statements meanwhile, the save is refused with who changed what, and the editor keeps everything
typed; Ctrl+R reloads the current version with the editor's own changes kept on top, Ctrl+O shows
the history of versions."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, OptionList, Select, Static

from ..i18n import _, _n
from ..services import kb
from ..services.errors import Conflict, InvalidInput
from ..text import clean
from ..widgets.knowledge.article import ArticleLoaded
from ..widgets.knowledge.statements import Draft, SimilarList, StatementList, draft
from ..widgets.labels import KB_ACTIONS, KB_LANGUAGES, KB_STATUSES, choices, label
from ..widgets.service import ServiceDone, ServiceFailed
from ..widgets.table import FastTable
from ..widgets.ticket_format import cell, local
from .base import DeskModal, FormDialog

FORM = ("title", "category", "tags", "lang", "status")  # the form's fields besides the statements


class SolutionSaved(ServiceDone[int]):
    """The solution was saved: its id."""


class SolutionReloaded(ServiceDone[tuple[kb.KbArticleView, dict[int, kb.StatementView]]]):
    """The solution as stored now, and its statements the editor lists, as stored now."""


class StatementUsers(ServiceDone[list[tuple[str, str]]]):
    """The solutions (external id, title) that use a statement."""


class StatementSaved(ServiceDone[kb.StatementView]):
    """A statement was saved: as stored."""


class StatementReloaded(ServiceDone[dict[int, kb.StatementView]]):
    """A statement as stored now."""


class HistoryLoaded(ServiceDone[list[kb.RevisionView]]):
    """Versions, newest first."""


class SolutionEditor(FormDialog[int | None]):
    """Create (article_id None) or edit a solution. Ctrl+S saves; Esc cancels."""

    DEFAULT_CSS = """
    SolutionEditor #ed-statements { height: auto; max-height: 10; }
    SolutionEditor #ed-similar { height: auto; max-height: 8; }
    SolutionEditor .form-row Select { width: 1fr; }
    """
    OWN_ENTER = ("ed-new",)  # Enter adds the statement typed, and stays for the next
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="kbedit.save"),
        Binding("ctrl+r", "reload", "Reload", id="kbedit.reload"),
        Binding("ctrl+o", "history", "History", id="kbedit.history"),
        Binding("escape", "cancel", "Cancel", id="kbedit.cancel"),
    ]

    def __init__(self, article_id: int | None) -> None:
        super().__init__()
        self.article_id = article_id
        self.external_id: str | None = None
        self.base: kb.KbArticleView | None = None  # the version read: what a save names

    @property
    def statements(self) -> list[Draft]:
        """The solution's statements as composed so far."""
        return self.query_one(StatementList).drafts

    @property
    def similar(self) -> list[kb.StatementView]:
        """The stored statements like the one being typed."""
        return self.query_one(SimilarList).similar

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
                    choices(KB_LANGUAGES),
                    value="en",
                    allow_blank=False,
                    id="ed-lang",
                    compact=True,
                )
                yield Static(_("Status"), classes="form-label", markup=False)
                yield Select(
                    choices(KB_STATUSES),
                    value="draft",
                    allow_blank=False,
                    id="ed-status",
                    compact=True,
                )
            yield Static(_("Statements (Del: remove · Ctrl+↑/↓: move · Enter: edit)"), markup=False)
            yield StatementList(id="ed-statements")
            yield Static("", id="e-statements", classes="form-error", markup=False)
            yield Input(
                placeholder=_("Type a statement; Enter adds it. Similar ones appear below."), id="ed-new"
            )
            yield Static(_("Existing statements like it (Enter reuses one):"), markup=False)
            yield SimilarList(self.db, id="ed-similar")
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(
                _("Ctrl+S: save · Ctrl+R: reload · Ctrl+O: history · Esc: cancel"),
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one(".kb-editor").styles.width = 100  # wider than a plain dialog
        self.query_one("#ed-title", Input).focus()
        if self.article_id is not None:
            self.call(kb.get_article, self.db, self.article_id, result=ArticleLoaded, group="kb-article")

    def on_article_loaded(self, message: ArticleLoaded) -> None:
        a = message.value
        self.base = a
        self.external_id = a.external_id
        self.query_one("#ed-heading", Static).update(_("Edit solution {key}", key=clean(a.external_id)))
        self._fill(_values(a))
        self.query_one(StatementList).show([draft(s) for s in a.statements])

    def _form(self) -> dict[str, str]:
        tags = self.query_one("#ed-tags", Input).value.replace("，", ",").split(",")
        return {
            "title": self.query_one("#ed-title", Input).value,
            "category": self.query_one("#ed-category", Input).value,
            "tags": ", ".join(t.strip() for t in tags if t.strip()),
            "lang": str(self.query_one("#ed-lang", Select).value),
            "status": str(self.query_one("#ed-status", Select).value),
        }

    def _fill(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            widget = self.query_one(f"#ed-{key}")
            widget.value = value  # type: ignore[attr-defined]  # an Input or a Select: both have .value

    # --- typing a statement: look for existing ones to reuse ------------------------------------

    @on(Input.Changed, "#ed-new")
    def _typing(self, event: Input.Changed) -> None:
        self.query_one(SimilarList).look_up(event.value)

    @on(Input.Submitted, "#ed-new")
    def _add_typed(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        # the same text as an existing statement is that statement (stored once, by digest)
        same = self.query_one(SimilarList).same_as(text)
        self._append(Draft(same.text, same.id, same.used_by) if same else Draft(text))

    @on(OptionList.OptionSelected, "#ed-similar")
    def _reuse(self, event: OptionList.OptionSelected) -> None:
        s = self.similar[event.option_index]
        self._append(Draft(s.text, s.id, s.used_by))

    def _append(self, d: Draft) -> None:
        self.query_one(StatementList).append(d)
        box = self.query_one("#ed-new", Input)
        box.value = ""
        box.focus()
        self.query_one(SimilarList).reset()
        self.query_one("#e-statements", Static).update("")

    # --- the list of statements -----------------------------------------------------------------

    @on(OptionList.OptionSelected, "#ed-statements")
    def _edit_statement(self, event: OptionList.OptionSelected) -> None:
        i = event.option_index
        listed = self.query_one(StatementList)
        d = listed.drafts[i]
        if d.id is None:
            # a new statement: back into the box, to change and add again
            listed.drop(i)
            box = self.query_one("#ed-new", Input)
            box.value = clean(d.text)
            box.focus()
            return

        def edited(saved: kb.StatementView | None) -> None:
            if saved is not None:
                listed.replace(i, draft(saved))

        self.app.push_screen(StatementDialog(d.id, d.text, d.version), edited)

    # --- saving -------------------------------------------------------------------------------

    def action_save(self) -> None:
        for key in ("title", "category", "tags", "statements", "form"):
            self.query_one(f"#e-{key}", Static).update("")
        form = self._form()
        self.call(
            kb.save_solution,
            self.db,
            self.actor,
            external_id=self.external_id,
            title=form["title"],
            category=form["category"],
            lang=form["lang"],
            statements=[d.text for d in self.statements],
            tags=[t.strip() for t in form["tags"].split(",") if t.strip()],
            status=form["status"],
            version=self.base.version if self.base else None,
            statement_versions={d.id: d.version for d in self.statements if d.id is not None},
            result=SolutionSaved,
            group="kb-save",
        )

    def on_solution_saved(self, message: SolutionSaved) -> None:
        self.dismiss(message.value)

    def on_service_failed(self, message: ServiceFailed) -> None:
        if message.call is not SolutionSaved:
            return  # a failed read: the banner shows it
        message.stop()
        error = message.error
        if isinstance(error, InvalidInput):
            for key, reason in error.errors.items():
                found = self.query(f"#e-{key}")
                target = found.first(Static) if found else self.query_one("#e-form", Static)
                target.update(f"{_(reason)}" if found else f"{key}: {_(reason)}")
        elif isinstance(error, Conflict) and self.base is not None:
            # nothing typed is lost: the form stays as it is until the editor reloads
            hint = _("What you typed is kept. Ctrl+R: reload the current version with your changes on top.")
            self.query_one("#e-form", Static).update(f"{clean(error)}\n{hint}")
        else:
            self.query_one("#e-form", Static).update(clean(error))

    # --- reloading after someone else's save, and the history ---------------------------------

    def action_reload(self) -> None:
        if self.article_id is None:
            return  # a new solution: nothing to reload
        db, article_id = self.db, self.article_id
        ids = [d.id for d in self.statements if d.id is not None]

        def fetch() -> tuple[kb.KbArticleView, dict[int, kb.StatementView]]:
            return kb.get_article(db, article_id), kb.get_statements(db, ids)

        self.call(fetch, result=SolutionReloaded, group="kb-reload")

    def on_solution_reloaded(self, message: SolutionReloaded) -> None:
        """The current version, with what this editor changed since its last read kept on top."""
        now, stored = message.value
        assert self.base is not None
        form, read, current = self._form(), _values(self.base), _values(now)
        kept = [key for key in FORM if form[key] != read[key]]
        self._fill({key: current[key] for key in FORM if key not in kept})
        mine = [(d.id, d.text if d.id is None else "") for d in self.statements]
        if mine != [(s.id, "") for s in self.base.statements]:
            kept.append("statements")  # this editor's list, its stored statements as they are now
            drafts = [draft(stored[d.id]) if d.id in stored else d for d in self.statements]
        else:
            drafts = [draft(s) for s in now.statements]
        self.base = now
        self.query_one(StatementList).show(drafts)
        message_text = _("Reloaded version {version}.", version=now.version)
        if kept:
            message_text += " " + _(
                "Your changes are kept on top ({fields}): check them and save again.",
                fields=", ".join(_(k) for k in kept),
            )
        self.query_one("#e-form", Static).update(message_text)

    def action_history(self) -> None:
        if self.external_id is None:
            self.app.notify(_("A new solution has no history yet."), markup=False)
            return
        self.app.push_screen(HistoryDialog(self.external_id))


def _values(a: kb.KbArticleView) -> dict[str, str]:
    return {
        "title": clean(a.title),
        "category": clean(a.category),
        "tags": clean(", ".join(a.tags)),
        "lang": a.lang,
        "status": a.status,
    }


class StatementDialog(DeskModal[kb.StatementView | None]):
    """Edit a statement that may be shared: first, which solutions use it. Returns it as saved."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="kbstmt.save"),
        Binding("ctrl+r", "reload", "Reload", id="kbstmt.reload"),
        Binding("ctrl+o", "history", "History", id="kbstmt.history"),
        Binding("escape", "cancel", "Cancel", id="kbstmt.cancel"),
    ]

    def __init__(self, statement_id: int, text: str, version: int) -> None:
        super().__init__()
        self.statement_id = statement_id
        self.text = text
        self.version = version  # what the save names as read

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Edit statement"), classes="dialog-title", markup=False)
            yield Static(_("Looking up the solutions that use it…"), id="st-users", markup=False)
            yield Input(clean(self.text), id="st-text")
            yield Static("", id="e-text", classes="form-error", markup=False)
            yield Static(
                _("Ctrl+S: save for every solution above · Ctrl+R: reload · Ctrl+O: history · Esc: cancel"),
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.call(kb.statement_users, self.db, self.statement_id, result=StatementUsers, group="kb-users")

    def on_statement_users(self, message: StatementUsers) -> None:
        users = message.value
        lines = [
            _n("Changing it changes this solution:", "Changing it changes these {n} solutions:", len(users))
        ]
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
            self.db,
            self.actor,
            self.statement_id,
            text,
            version=self.version,
            result=StatementSaved,
            group="kb-save",
        )

    def on_statement_saved(self, message: StatementSaved) -> None:
        self.dismiss(message.value)

    def on_service_failed(self, message: ServiceFailed) -> None:
        if message.call is not StatementSaved:
            return  # a failed read: the banner shows it
        message.stop()
        error = message.error
        refusal = (
            "; ".join(_(r) for r in error.errors.values())
            if isinstance(error, InvalidInput)
            else clean(error)
        )
        if isinstance(error, Conflict):
            refusal += "\n" + _(
                "Your text is kept. Ctrl+R takes the current version; Ctrl+S then saves yours over it."
            )
        self.query_one("#e-text", Static).update(refusal)

    def action_reload(self) -> None:
        self.call(
            kb.get_statements, self.db, [self.statement_id], result=StatementReloaded, group="kb-reload"
        )

    def on_statement_reloaded(self, message: StatementReloaded) -> None:
        now = message.value[self.statement_id]
        self.version = now.version  # the box keeps what was typed
        self.query_one("#e-text", Static).update(
            _("Now (version {version}): {text}", version=now.version, text=clean(now.text, single_line=True))
        )

    def action_history(self) -> None:
        self.app.push_screen(HistoryDialog(statement_id=self.statement_id))


class HistoryDialog(DeskModal[None]):
    """The versions of a solution (with the edits of its statements) or of one statement, newest
    first: who, when, what changed; the highlighted version's changes in full below."""

    DEFAULT_CSS = """
    HistoryDialog .kb-history { height: 80%; }
    HistoryDialog #hist-table { height: 1fr; }
    HistoryDialog #hist-detail { height: auto; max-height: 10; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Close", id="kbhistory.close")]

    def __init__(self, external_id: str | None = None, *, statement_id: int | None = None) -> None:
        super().__init__()
        self.external_id = external_id
        self.statement_id = statement_id
        self.versions: list[kb.RevisionView] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog kb-history"):
            if self.external_id is not None:
                title = _("History of {key}", key=clean(self.external_id, single_line=True))
            else:
                title = _("History of statement #{id}", id=self.statement_id)
            yield Static(title, classes="dialog-title", markup=False)
            yield Static(_("Loading…"), id="hist-state", markup=False)
            yield FastTable(id="hist-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="hist-detail", markup=False)
            yield Static(_("↑/↓: a version · Esc: close"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(".kb-history").styles.width = 110
        table = self.query_one(FastTable)
        table.add_column(_("Version"), key="version", width=10)
        table.add_column(_("When"), key="when", width=16)
        table.add_column(_("Who"), key="who", width=16)
        table.add_column(_("What changed"), key="what", width=58)
        table.focus()
        self.call(kb.history, self.db, self.external_id, statement_id=self.statement_id, result=HistoryLoaded)

    def _label(self, v: kb.RevisionView) -> str:
        return (
            f"v{v.version}"
            if v.statement_id is None or self.external_id is None
            else f"#{v.statement_id} v{v.version}"
        )

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        versions = self.versions = message.value
        table = self.query_one(FastTable)
        tz = self.desk.settings.timezone if self.desk.settings else "Asia/Shanghai"
        for n, v in enumerate(versions):
            table.add_row(
                cell(self._label(v)), cell(local(v.at, tz)), cell(v.by), cell(v.summary), key=str(n)
            )
        self.query_one("#hist-state", Static).update(
            _n("1 version.", "{n} versions, newest first.", len(versions))
        )
        self._detail()

    @on(FastTable.RowHighlighted)
    def _detail(self) -> None:
        table = self.query_one(FastTable)
        if not self.versions or table.cursor_row >= len(self.versions):
            return
        v = self.versions[table.cursor_row]
        lines = [f"{self._label(v)} · {clean(v.by, single_line=True)} · {label(KB_ACTIONS, v.action)}"]
        if v.position is not None:
            lines.append(_("statement {n} of this solution (#{id}, shared)", n=v.position, id=v.statement_id))
        lines += [clean(line) for line in kb.describe_lines(v.action, v.changes, width=400)]
        self.query_one("#hist-detail", Static).update("\n".join(lines))
