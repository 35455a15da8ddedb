"""Knowledge (F4, every role): search solutions as you type, read one as its numbered statements,
copy it into a ticket note, mark "this solved it" on a ticket; KB editors also compose solutions
from reusable statements, publish or retire them, and draft one from a resolved ticket.

With an empty search box the screen shows the FAQ: the best-scored solutions of each category.
The index is built in the background after login; until it is ready the screen says so.

The screen is made of panels (deskterm.widgets.knowledge): the search bar, the index state line,
the results and the preview; it coordinates them and runs what is done with a solution."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal

from ..dialogs.base import DeskModal
from ..dialogs.kb_editor import HistoryDialog, SolutionEditor
from ..dialogs.knowledge import StatusDialog, TicketDialog
from ..i18n import _
from ..services import kb
from ..services.auth import Actor
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.knowledge.article import ArticleLoaded, ArticleView, Preview
from ..widgets.knowledge.index import IndexState
from ..widgets.knowledge.results import ResultsTable
from ..widgets.knowledge.search import SearchBar, SearchRequest
from ..widgets.labels import KB_STATUSES, label
from ..widgets.service import ServiceDone
from .base import DeskScreen

DEBOUNCE = 0.12  # seconds of quiet typing before a search runs


class Copied(ServiceDone[tuple[str, str, int]]):
    """A solution was copied into a note on a ticket: (external id, number, the note's id)."""


class Solved(ServiceDone[tuple[str, str, bool]]):
    """A solution solved a ticket: (external id, number, newly linked)."""


class StatusSet(ServiceDone[tuple[str, str, int]]):
    """A solution has a new status: (external id, status, its version now)."""


class Drafted(ServiceDone[int]):
    """A draft solution was made from a ticket: its id."""


class ArticleActions(DeskScreen):
    """What both the list and the full-screen view do with one solution."""

    def current_article(self) -> tuple[int, str] | None:  # (article id, external id)
        raise NotImplementedError

    def article_changed(self) -> None:
        """A solution was changed from here: show it again."""

    def _who(self) -> tuple[Any, Actor]:
        """The database and the agent logged in (every screen but the login has one)."""
        assert self.desk.actor is not None
        return self.desk.database, self.desk.actor

    def _ticket_default(self) -> str:
        return getattr(self.app, "current_ticket", None) or ""

    def _ask(self, dialog: Callable[[str], DeskModal[Any]], then: Callable[[int, str, Any], None]) -> None:
        """Ask `dialog(key)` about the current solution; with an answer: `then(id, key, answer)`."""
        got = self.current_article()
        if got is None:
            return
        article_id, key = got
        self.app.push_screen(dialog(key), lambda answer: then(article_id, key, answer) if answer else None)

    def action_note(self) -> None:
        self._ask(
            lambda key: TicketDialog(
                _("Copy {key} into a note on ticket:", key=key), self._ticket_default(), ask_public=True
            ),
            self._copy,
        )

    def _act(
        self, result: type[ServiceDone[Any]], key: str, tag: str, fn: Any, *args: Any, **kw: Any
    ) -> None:
        """Run `fn(db, actor, *args, **kw)` for the solution `key`: `result((key, tag, value))`."""
        db, actor = self._who()
        self.call(lambda: (key, tag, fn(db, actor, *args, **kw)), result=result, group=result.__name__)

    def _copy(self, article_id: int, key: str, answer: tuple[str, bool]) -> None:
        number, public = answer
        self._act(Copied, key, number, kb.copy_to_note, number, article_id, public=public)

    def on_copied(self, message: Copied) -> None:
        key, number, _note = message.value
        self.notify(_("{key} copied into a note on {number}.", key=key, number=number), markup=False)

    def action_solved(self) -> None:
        self._ask(
            lambda key: TicketDialog(_("{key} solved ticket:", key=key), self._ticket_default()), self._solved
        )

    def _solved(self, article_id: int, key: str, answer: tuple[str, bool]) -> None:
        self._act(Solved, key, answer[0], kb.solved_it, answer[0], article_id)

    def on_solved(self, message: Solved) -> None:
        key, number, linked = message.value
        if linked:
            self.notify(
                _("{key} solved {number}: linked, score raised.", key=key, number=number), markup=False
            )
        else:
            self.notify(_("{key} was already linked to {number}.", key=key, number=number), markup=False)
        self.article_changed()

    def action_edit(self) -> None:
        got = self.current_article()
        if got is not None:
            self.app.push_screen(SolutionEditor(got[0]), self._saved)

    def _saved(self, article_id: int | None) -> None:
        if article_id:
            self.notify(_("Solution saved."), markup=False)
            self.article_changed()

    def action_status(self) -> None:
        self._ask(StatusDialog, self._set_status)

    def _set_status(self, article_id: int, key: str, status: str) -> None:
        self._act(StatusSet, key, status, kb.set_status, article_id, status)

    def on_status_set(self, message: StatusSet) -> None:
        key, status, _version = message.value
        self.notify(_("{key} is now {status}.", key=key, status=label(KB_STATUSES, status)), markup=False)
        self.article_changed()

    def editor_only(self, action: str) -> bool | None:
        if action in ("edit", "status", "new", "draft"):
            return bool(self.desk.actor and self.desk.actor.kb_editor)
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.editor_only(action)


class KnowledgeScreen(ArticleActions):
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
    KnowledgeScreen.-narrow #kb-body { layout: vertical; }
    KnowledgeScreen.-narrow #kb-bar Select { width: 16; }
    KnowledgeScreen.-narrow #kb-results { width: 100%; height: 1fr; }
    KnowledgeScreen.-narrow #kb-preview { width: 100%; height: 1fr; border-left: none; }
    KnowledgeScreen.-narrow #kb-preview { border-top: solid $primary; }
    """
    BINDINGS = [
        Binding("ctrl+o", "open", "Open", id="knowledge.open", show=False),
        Binding("ctrl+t", "note", "Copy to note", id="knowledge.note"),
        Binding("ctrl+y", "solved", "This solved it", id="knowledge.solved"),
        Binding("ctrl+n", "new", "New solution", id="knowledge.new", show=False),
        Binding("ctrl+r", "edit", "Edit", id="knowledge.edit", show=False),
        Binding("ctrl+b", "status", "Publish/retire", id="knowledge.status", show=False),
        Binding("ctrl+f", "draft", "Draft from ticket", id="knowledge.draft"),
        Binding("escape", "clear", "Clear search", id="knowledge.clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.showing: SearchRequest | None = None  # the search whose answer the screen shows

    # --- layout: the panels -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        db = self.desk.database
        yield DeskHeader()
        yield SearchBar(db, editor=bool(self.desk.actor and self.desk.actor.kb_editor), id="kb-bar")
        yield IndexState(db, id="kb-state")
        with Horizontal(id="kb-body"):
            yield ResultsTable(db, id="kb-results")
            yield Preview(id="kb-preview")
        yield DeskFooter()

    @property
    def bar(self) -> SearchBar:
        return self.query_one(SearchBar)

    @property
    def results(self) -> ResultsTable:
        return self.query_one(ResultsTable)

    @property
    def index(self) -> IndexState:
        return self.query_one(IndexState)

    @property
    def settled(self) -> bool:
        """The answer to what the bar asks now is on screen."""
        return self.showing == self.bar.request()

    def on_mount(self) -> None:
        self.bar.focus_query()
        self.search()

    def relabel(self) -> None:
        """The language changed: each panel shows its texts again; what is on screen stays."""
        self.bar.relabel()
        self.results.relabel()
        self.index.relabel()

    # --- searching ----------------------------------------------------------------------------

    def search(self, *, keep: bool = False) -> None:
        """Search for what the bar asks now (or show the FAQ); a newer search supersedes this one.
        `keep`: the same search again (others changed solutions): the cursor stays on its row."""
        self.results.search(self.bar.request(), keep=keep)

    def on_search_bar_changed(self, message: SearchBar.Changed) -> None:
        self.results.search(message.request, delay=DEBOUNCE if message.typed else 0.0)

    def on_search_bar_submitted(self) -> None:
        self.results.focus()

    def on_results_table_shown(self, message: ResultsTable.Shown) -> None:
        self.index.results(faq=message.request.faq, count=message.count)
        self.query_one(Preview).show(self.results.selected)
        self.showing = message.request

    def on_results_table_highlighted(self, message: ResultsTable.Highlighted) -> None:
        self.query_one(Preview).show(message.found)

    def on_results_table_chosen(self) -> None:
        self.action_open()

    def on_index_state_changed(self, message: IndexState.Changed) -> None:
        if message.first or not self.results.faq_shown:
            self.search(keep=True)  # solutions changed (here or in another console)

    def on_desk_changes(self, changes: list[Any]) -> None:
        # a ticket changed: a solution may have solved it (its score rose); the index poll picks
        # up the index change, this refreshes an FAQ list right away
        if self.results.faq_shown:
            self.search(keep=True)

    def article_changed(self) -> None:
        self.search(keep=True)
        self.index.poll()

    # --- actions ------------------------------------------------------------------------------

    def current_article(self) -> tuple[int, str] | None:
        found = self.results.selected
        if found is None:
            self.notify(_("Select a solution first."), severity="warning", markup=False)
            return None
        return found.article_id, found.external_id

    def action_open(self) -> None:
        got = self.current_article()
        if got is not None:
            self.app.push_screen(ArticleScreen(got[0]))

    def action_clear(self) -> None:
        self.bar.clear()

    def action_new(self) -> None:
        self.app.push_screen(SolutionEditor(None), self._saved)

    def action_draft(self) -> None:
        db, actor = self._who()

        def chosen(answer: tuple[str, bool] | None) -> None:
            if answer:
                self.call(kb.draft_from_ticket, db, actor, answer[0], result=Drafted, group="kb-draft")

        question = _("Draft a solution from resolved ticket:")
        self.app.push_screen(TicketDialog(question, self._ticket_default()), chosen)

    def on_drafted(self, message: Drafted) -> None:
        self.app.push_screen(SolutionEditor(message.value), self._saved)


class ArticleScreen(ArticleActions):
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
        Binding("ctrl+b", "status", "Publish/retire", id="article.status", show=False),
        Binding("ctrl+o", "history", "History", id="article.history", show=False),
    ]

    def __init__(self, article_id: int) -> None:
        super().__init__()
        self.article_id = article_id
        self.article: kb.KbArticleView | None = None

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield ArticleView(id="article")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.article_changed()

    def article_changed(self) -> None:
        self.call(
            kb.get_article, self.desk.database, self.article_id, result=ArticleLoaded, group="kb-article"
        )

    def on_article_loaded(self, message: ArticleLoaded) -> None:
        self.article = message.value
        self.query_one(ArticleView).show(message.value)

    def current_article(self) -> tuple[int, str] | None:
        if self.article is None:
            return None
        return self.article.id, self.article.external_id

    def action_history(self) -> None:
        if self.article is not None:
            self.app.push_screen(HistoryDialog(self.article.external_id))
