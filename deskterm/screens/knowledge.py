"""Knowledge (F4, every role): search solutions as you type, read one as its numbered statements,
copy it into a ticket note, mark "this solved it" on a ticket; KB editors also compose solutions
from reusable statements, publish or retire them, and draft one from a resolved ticket.

With an empty search box the screen shows the FAQ: the best-scored solutions of each category.
The index is built in the background after login; until it is ready the screen says so."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from ..dialogs.base import DeskModal
from ..i18n import _
from ..services import directory, kb
from ..services.tickets import normalise_number
from ..text import clean
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.kb_editor import HistoryDialog, SolutionEditor, used_label
from ..widgets.table import FastTable
from ..widgets.ticket_format import cell
from .base import DeskScreen

DEBOUNCE = 0.12  # seconds of quiet typing before a search runs
POLL = 0.5  # how often a visible screen asks whether the index changed (others' edits)
PAGE = 50  # results shown
STATUSES = {"published": ("published",), "draft": ("draft",), "retired": ("retired",)}
ALL = "*"


def statement_lines(statements: list[str]) -> str:
    """Numbered statements, as plain text (shown with markup off)."""
    return "\n".join(f"{n:>2}. {clean(s, single_line=True)}" for n, s in enumerate(statements, 1))


class ArticleActions:
    """What both the list and the full-screen view do with one solution."""

    desk: Any
    app: Any

    def current_article(self) -> tuple[int, str] | None:  # (article id, external id)
        raise NotImplementedError

    def article_changed(self) -> None:
        """A solution was changed from here: show it again."""

    def _ticket_default(self) -> str:
        return getattr(self.app, "current_ticket", None) or ""

    def action_note(self) -> None:
        got = self.current_article()
        if got is None:
            return
        article_id, key = got

        def chosen(answer: tuple[str, bool] | None) -> None:
            if answer:
                number, public = answer
                self.call(  # type: ignore[attr-defined]
                    kb.copy_to_note,
                    self.desk.database,
                    self.desk.actor,
                    number,
                    article_id,
                    public=public,
                    done=lambda _r: self.app.notify(
                        _("{key} copied into a note on {number}.", key=key, number=number),
                        markup=False,
                    ),
                )

        self.app.push_screen(
            TicketDialog(
                _("Copy {key} into a note on ticket:", key=key), self._ticket_default(), ask_public=True
            ),
            chosen,
        )

    def action_solved(self) -> None:
        got = self.current_article()
        if got is None:
            return
        article_id, key = got

        def done(linked: bool, number: str) -> None:
            if linked:
                self.app.notify(_("{key} solved {number}: linked, score raised.", key=key, number=number))
            else:
                self.app.notify(_("{key} was already linked to {number}.", key=key, number=number))
            self.article_changed()

        def chosen(answer: tuple[str, bool] | None) -> None:
            if answer:
                number = answer[0]
                self.call(  # type: ignore[attr-defined]
                    kb.solved_it,
                    self.desk.database,
                    self.desk.actor,
                    number,
                    article_id,
                    done=lambda linked: done(linked, number),
                )

        self.app.push_screen(TicketDialog(_("{key} solved ticket:", key=key), self._ticket_default()), chosen)

    def action_edit(self) -> None:
        got = self.current_article()
        if got is not None:
            self.app.push_screen(SolutionEditor(got[0]), self._saved)

    def _saved(self, article_id: int | None) -> None:
        if article_id:
            self.app.notify(_("Solution saved."))
            self.article_changed()

    def action_status(self) -> None:
        got = self.current_article()
        if got is None:
            return
        article_id, key = got

        def chosen(status: str | None) -> None:
            if status:
                self.call(  # type: ignore[attr-defined]
                    kb.set_status,
                    self.desk.database,
                    self.desk.actor,
                    article_id,
                    status,
                    done=lambda _r: (
                        self.app.notify(_("{key} is now {status}.", key=key, status=_(status))),
                        self.article_changed(),
                    ),
                )

        self.app.push_screen(StatusDialog(key), chosen)

    def editor_only(self, action: str) -> bool | None:
        if action in ("edit", "status", "new", "draft"):
            return bool(self.desk.actor and self.desk.actor.kb_editor)
        return True


class KnowledgeScreen(ArticleActions, DeskScreen):
    TITLE_TEXT = "Knowledge"
    DEFAULT_CSS = """
    KnowledgeScreen #kb-bar { height: 1; margin: 1 1 0 1; }
    KnowledgeScreen #kb-query { width: 1fr; border: none; height: 1; padding: 0 1; }
    KnowledgeScreen #kb-bar Select { width: 22; margin-left: 1; }
    KnowledgeScreen #kb-state { height: 1; padding: 0 1; color: $text-muted; }
    KnowledgeScreen #kb-body { height: 1fr; }
    KnowledgeScreen #kb-results { width: 3fr; }
    KnowledgeScreen #kb-preview { width: 2fr; border-left: solid $primary; padding: 0 1; }
    KnowledgeScreen #kb-preview-title { text-style: bold; }
    KnowledgeScreen #kb-preview-meta { color: $text-muted; margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("ctrl+o", "open", "Open", id="knowledge.open"),
        Binding("ctrl+t", "note", "Copy to note", id="knowledge.note"),
        Binding("ctrl+y", "solved", "This solved it", id="knowledge.solved"),
        Binding("ctrl+n", "new", "New solution", id="knowledge.new"),
        Binding("ctrl+r", "edit", "Edit", id="knowledge.edit"),
        Binding("ctrl+b", "status", "Publish/retire", id="knowledge.status"),
        Binding("ctrl+f", "draft", "Draft from ticket", id="knowledge.draft", show=False),
        Binding("escape", "clear", "Clear search", id="knowledge.clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, kb.KbSuggestion] = {}
        self.seq = 0  # the newest search asked for; older answers are dropped
        self.shown_seq = -1  # the search whose answer is on screen
        self.debounce: Timer | None = None
        self.ready = False
        self.generation = 0
        self.faq_shown = False

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        editor = bool(self.desk.actor and self.desk.actor.kb_editor)
        yield DeskHeader()
        with Horizontal(id="kb-bar"):
            yield Input(
                placeholder=_("Search solutions: words, fragments, a caller's description…"), id="kb-query"
            )
            yield Select([], prompt=_("All categories"), id="kb-category", compact=True)
            yield Select(
                [(_("English"), "en"), ("中文", "zh")], prompt=_("All languages"), id="kb-lang", compact=True
            )
            if editor:
                yield Select(
                    [(_("published"), "published"), (_("draft"), "draft"), (_("retired"), "retired")],
                    value="published",
                    prompt=_("Any status"),
                    id="kb-status",
                    compact=True,
                )
        yield Static(_("Building the search index…"), id="kb-state", markup=False)
        with Horizontal(id="kb-body"):
            yield FastTable(id="kb-results", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="kb-preview"):
                yield Static("", id="kb-preview-title", markup=False)
                yield Static("", id="kb-preview-meta", markup=False)
                yield Static("", id="kb-preview-body", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # 68 columns in all: the whole table fits the results pane (3/5) of a 120-column terminal
        table.add_column(_("ID"), key="id", width=10)
        table.add_column(_("Title"), key="title", width=30)
        table.add_column(_("Category"), key="category", width=14)
        table.add_column(_("Score"), key="score", width=6)
        self.query_one("#kb-query", Input).focus()
        self.call(kb.warm_up, self.desk.database, group="kb-warm")
        self.call(directory.kb_categories, self.desk.database, group="kb-categories", done=self._categories)
        self.set_interval(POLL, self._poll)
        self._poll()
        self.run_search()

    def relabel(self) -> None:
        query = self.query_one("#kb-query", Input).value
        self.refresh(recompose=True)

        def again() -> None:
            self.on_mount()
            self.query_one("#kb-query", Input).value = query

        self.call_after_refresh(again)

    def _categories(self, paths: list[str]) -> None:
        self.query_one("#kb-category", Select).set_options([(clean(p, single_line=True), p) for p in paths])

    # --- searching ----------------------------------------------------------------------------

    @on(Input.Changed, "#kb-query")
    def _typed(self) -> None:
        self.seq += 1  # an answer to an older text is stale from now on
        if self.debounce is not None:
            self.debounce.stop()
        self.debounce = self.set_timer(DEBOUNCE, self.run_search)

    @on(Input.Submitted, "#kb-query")
    def _to_results(self) -> None:
        self.query_one(DataTable).focus()

    @on(Select.Changed)
    def _filtered(self) -> None:
        self.seq += 1
        self.run_search()

    def _filters(self) -> dict[str, Any]:
        def value(selector: str) -> str | None:
            found = self.query(selector)
            if not found:
                return None
            v = found.first(Select).value
            return v if isinstance(v, str) else None

        if not self.query("#kb-status"):
            statuses: tuple[str, ...] = ("published",)  # what everyone but editors sees
        else:
            status = value("#kb-status")
            statuses = STATUSES[status] if status else ("published", "draft", "retired")
        return {"category": value("#kb-category"), "lang": value("#kb-lang"), "statuses": statuses}

    def run_search(self, keep: bool = False) -> None:
        """Search for what is typed now (or show the FAQ); a newer search supersedes this one.
        `keep`: the same search again (others changed articles): the cursor stays on its row."""
        seq = self.seq
        query = self.query_one("#kb-query", Input).value.strip()
        f = self._filters()
        db = self.desk.database
        if not query:
            self.call(
                kb.faq,
                db,
                category=f["category"],
                lang=f["lang"],
                limit=PAGE,
                per_category=3,
                group="kb-search",
                done=lambda rows: self._show(seq, rows, faq=True, keep=keep),
            )
            return
        self.call(
            kb.search,
            db,
            query,
            limit=PAGE,
            category=f["category"],
            lang=f["lang"],
            statuses=f["statuses"],
            group="kb-search",
            done=lambda rows: self._show(seq, rows, faq=False, keep=keep),
        )

    def _show(self, seq: int, rows: list[kb.KbSuggestion], *, faq: bool, keep: bool) -> None:
        if seq != self.seq:
            return  # typing went on meanwhile: a newer search is coming
        self.shown_seq = seq
        table = self.query_one(DataTable)
        selected = self._selected_key()
        self.found = {r.external_id: r for r in rows}
        self.faq_shown = faq
        with self.app.batch_update():
            table.clear()
            for r in rows:
                table.add_row(
                    cell(r.external_id),
                    cell(r.title),
                    cell(r.category, style="dim"),
                    Text(f"{r.score:.1f}", justify="right"),
                    key=r.external_id,
                )
            if keep and selected in self.found:
                table.move_cursor(row=table.get_row_index(selected))
        self._show_state()
        self._preview()

    def _show_state(self) -> None:
        state = self.query_one("#kb-state", Static)
        n = len(self.found)
        if not self.ready and not self.faq_shown:
            text = _("Building the search index…")
        elif self.faq_shown:
            text = _("Frequently used solutions, by category. Type to search.")
            if not self.ready:
                text += " " + _("(building the search index…)")
        elif n == 0:
            text = _("No solution matches.")
        else:
            text = _("{n} solutions, best first.", n=n)
        state.update(text)

    def _poll(self) -> None:
        if not self.is_current:
            return  # hidden, or a dialog is open: nothing to refresh for now
        self.call(kb.index_state, self.desk.database, group="kb-poll", done=self._index_state)

    def _index_state(self, state: tuple[bool, int]) -> None:
        ready, generation = state
        if ready and (not self.ready or generation != self.generation):
            first = not self.ready
            self.ready, self.generation = True, generation
            if first or not self.faq_shown:
                self.run_search(keep=True)  # articles changed (here or in another console)
            self._show_state()

    def on_desk_changes(self, changes: list[Any]) -> None:
        # a ticket changed: a solution may have solved it (its score rose); the poll picks
        # up the index change, this refreshes an FAQ list right away
        if self.faq_shown:
            self.run_search(keep=True)

    def article_changed(self) -> None:
        self.run_search(keep=True)
        self._poll()

    # --- the selected solution ------------------------------------------------------------------

    def _selected_key(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def current_article(self) -> tuple[int, str] | None:
        key = self._selected_key()
        if key is None or key not in self.found:
            self.app.notify(_("Select a solution first."), severity="warning")
            return None
        return self.found[key].article_id, key

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._preview()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def _preview(self) -> None:
        key = self._selected_key()
        found = self.found.get(key) if key else None
        title = self.query_one("#kb-preview-title", Static)
        meta = self.query_one("#kb-preview-meta", Static)
        body = self.query_one("#kb-preview-body", Static)
        if found is None:
            title.update("")
            meta.update("")
            body.update("")
            return
        title.update(clean(found.title, single_line=True))
        meta.update(
            f"{clean(found.external_id, single_line=True)} · {clean(found.category, single_line=True)}"
            f" · {found.lang}"
        )
        body.update(statement_lines(found.statements))

    # --- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.editor_only(action)

    def action_open(self) -> None:
        got = self.current_article()
        if got is not None:
            self.app.push_screen(ArticleScreen(got[0]))

    def action_clear(self) -> None:
        box = self.query_one("#kb-query", Input)
        box.value = ""
        box.focus()

    def action_new(self) -> None:
        self.app.push_screen(SolutionEditor(None), self._saved)

    def action_draft(self) -> None:
        def chosen(answer: tuple[str, bool] | None) -> None:
            if answer:
                self.call(
                    kb.draft_from_ticket,
                    self.desk.database,
                    self.desk.actor,
                    answer[0],
                    done=lambda article_id: self.app.push_screen(SolutionEditor(article_id), self._saved),
                )

        self.app.push_screen(
            TicketDialog(_("Draft a solution from resolved ticket:"), self._ticket_default()), chosen
        )


class ArticleScreen(ArticleActions, DeskScreen):
    """One solution, full screen: its statements, how many solutions share each, and its history."""

    TITLE_TEXT = "Knowledge"
    DEFAULT_CSS = """
    ArticleScreen #article { padding: 1 2; }
    ArticleScreen #article-title { text-style: bold; }
    ArticleScreen #article-meta { color: $text-muted; margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("escape", "app.back", "Back", id="article.back"),
        Binding("ctrl+t", "note", "Copy to note", id="article.note"),
        Binding("ctrl+y", "solved", "This solved it", id="article.solved"),
        Binding("ctrl+r", "edit", "Edit", id="article.edit"),
        Binding("ctrl+b", "status", "Publish/retire", id="article.status"),
        Binding("ctrl+o", "history", "History", id="article.history"),
    ]

    def __init__(self, article_id: int) -> None:
        super().__init__()
        self.article_id = article_id
        self.article: kb.KbArticleView | None = None

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with VerticalScroll(id="article"):
            yield Static("", id="article-title", markup=False)
            yield Static("", id="article-meta", markup=False)
            yield Static("", id="article-body", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.article_changed()

    def article_changed(self) -> None:
        self.call(kb.get_article, self.desk.database, self.article_id, done=self._show)

    def _show(self, a: kb.KbArticleView) -> None:
        self.article = a
        self.query_one("#article-title", Static).update(clean(a.title, single_line=True))
        self.query_one("#article-meta", Static).update(
            _(
                "{key} · {category} · {lang} · {status} · score {score:.0f} · used {usage} times",
                key=clean(a.external_id, single_line=True),
                category=clean(a.category, single_line=True),
                lang=a.lang,
                status=_(a.status),
                score=a.score,
                usage=a.usage_count,
            )
        )
        lines = []
        for n, st in enumerate(a.statements, 1):
            line = f"{n:>2}. {clean(st.text, single_line=True)}"
            if st.used_by > 1:
                line += "  " + used_label(st.used_by)
            lines.append(line)
        self.query_one("#article-body", Static).update("\n".join(lines))

    def current_article(self) -> tuple[int, str] | None:
        if self.article is None:
            return None
        return self.article.id, self.article.external_id

    def action_history(self) -> None:
        if self.article is not None:
            self.app.push_screen(HistoryDialog(self.article.external_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.editor_only(action)


class TicketDialog(DeskModal[tuple[str, bool] | None]):
    """Which ticket? (defaults to the ticket being worked); optionally: a public note?"""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, question: str, default: str = "", *, ask_public: bool = False) -> None:
        super().__init__()
        self.question = question
        self.default = default
        self.ask_public = ask_public

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, markup=False)
            yield Input(self.default, placeholder="SR-000123", id="ticket-number")
            if self.ask_public:
                yield Checkbox(_("Public note (the customer is told)"), id="ticket-public")
            yield Static("", id="ticket-error", classes="form-error", markup=False)
            yield Static(_("Enter: OK · Esc: cancel"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _ok(self, event: Input.Submitted) -> None:
        number = event.value.strip()
        if not number:
            self.query_one("#ticket-error", Static).update(_("Enter a ticket number."))
            return
        number = normalise_number(number)
        public = bool(self.query("#ticket-public") and self.query_one("#ticket-public", Checkbox).value)
        self.dismiss((number, public))


class StatusDialog(DeskModal[str | None]):
    BINDINGS = [
        Binding("p", "pick('published')", "Publish", id="dialog.publish"),
        Binding("r", "pick('retired')", "Retire", id="dialog.retire"),
        Binding("d", "pick('draft')", "Back to draft", id="dialog.draft"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Status of {key}", key=clean(self.key, single_line=True)), markup=False)
            yield Static(
                _("p: publish · r: retire · d: back to draft · Esc: cancel"),
                classes="dialog-hint",
                markup=False,
            )

    def action_pick(self, status: str) -> None:
        self.dismiss(status)
