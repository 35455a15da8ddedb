"""One solution on screen: the preview beside the results (its numbered statements) and the full
view of a solution (with how many solutions share each statement)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...i18n import _, _n
from ...services import kb
from ...text import clean
from ..labels import KB_LANGUAGES, KB_STATUSES, label
from ..service import ServiceDone


class ArticleLoaded(ServiceDone[kb.KbArticleView]):
    """A solution as stored now, with its statements."""


def used_label(n: int) -> str:
    """How many solutions use a statement."""
    if n == 0:
        return _("(not used yet)")
    return _n("(in 1 solution)", "(in {n} solutions)", n)


def statement_line(n: int, text: str) -> str:
    """Statement `n`, numbered, as plain text (shown with markup off)."""
    return f"{n:>2}. {clean(text, single_line=True)}"


class ArticlePanel(VerticalScroll):
    """A title, a line about the solution, its statements: all shown literally. The ids of the
    three lines are `<id>-title`, `<id>-meta` and `<id>-body`."""

    def compose(self) -> ComposeResult:
        yield Static("", id=f"{self.id}-title", markup=False)
        yield Static("", id=f"{self.id}-meta", markup=False)
        yield Static("", id=f"{self.id}-body", markup=False)

    def _fill(self, title: str, meta: str, body: str) -> None:
        self.query_one(f"#{self.id}-title", Static).update(title)
        self.query_one(f"#{self.id}-meta", Static).update(meta)
        self.query_one(f"#{self.id}-body", Static).update(body)


class Preview(ArticlePanel):
    """The highlighted search result, beside the list."""

    def show(self, found: kb.KbSuggestion | None) -> None:
        if found is None:
            self._fill("", "", "")
            return
        self._fill(
            clean(found.title, single_line=True),
            f"{clean(found.external_id, single_line=True)} · {clean(found.category, single_line=True)}"
            f" · {label(KB_LANGUAGES, found.lang)}",
            "\n".join(statement_line(n, s) for n, s in enumerate(found.statements, 1)),
        )


class ArticleView(ArticlePanel):
    """A whole solution: its statements, how many solutions share each, its score and use."""

    def show(self, a: kb.KbArticleView) -> None:
        meta = _(
            "{key} · {category} · {lang} · {status} · score {score:.0f} · {used}",
            key=clean(a.external_id, single_line=True),
            category=clean(a.category, single_line=True),
            lang=label(KB_LANGUAGES, a.lang),
            status=label(KB_STATUSES, a.status),
            score=a.score,
            used=_n("used once", "used {n} times", a.usage_count),
        )
        lines = []
        for n, st in enumerate(a.statements, 1):
            line = statement_line(n, st.text)
            if st.used_by > 1:
                line += "  " + used_label(st.used_by)
            lines.append(line)
        self._fill(clean(a.title, single_line=True), meta, "\n".join(lines))
