"""The call classified: summary, kind, category, impact, urgency, priority (from the desk's matrix
unless the operator overrides it, with a reason) and service mode (suggested by the desk's rules
until the operator chooses one)."""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz
from textual.app import ComposeResult
from textual.widgets import Input, Static

from ...i18n import _
from ...services import directory
from ...services.directory import CategoryView
from ...services.intake import FIELD_ORDER, IntakeForm, IntakeRules, is_device_problem
from ..labels import LEVELS, PRIORITIES, SERVICE_MODES, TICKET_KINDS, choices
from ..service import ServiceDone
from .base import FormPanel
from .fields import ChoiceField

TEXTS = ("summary", "category", "priority_reason")
# Impact and urgency start unanswered: the script asks them, a save needs them (no quiet P5).
DEFAULTS = {"kind": "incident", "impact": None, "urgency": None, "service_mode": "phone"}


class CategoriesLoaded(ServiceDone[list[CategoryView]]):
    """The desk's categories, for the side list and the check at save."""


class ClassificationPanel(FormPanel):
    FIELDS = FIELD_ORDER[FIELD_ORDER.index("summary") :]
    CHOICES = {"kind": TICKET_KINDS, "impact": LEVELS, "urgency": LEVELS, "service_mode": SERVICE_MODES}

    def __init__(self, rules: IntakeRules, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rules = rules
        self.categories: list[CategoryView] = []
        self.priority_overridden = False
        self.mode_chosen = False

    def compose(self) -> ComposeResult:
        yield from self.row("summary", Input(id="f-summary", compact=True))
        yield from self.row("kind", ChoiceField(choices(TICKET_KINDS), "incident", id="f-kind"))
        yield from self.row("category", Input(id="f-category", compact=True))
        yield from self.row("impact", ChoiceField(choices(LEVELS), None, id="f-impact"))
        yield from self.row("urgency", ChoiceField(choices(LEVELS), None, id="f-urgency"))
        yield from self.row(
            "priority", ChoiceField([(p, code) for code, p in PRIORITIES.items()], None, id="f-priority")
        )
        yield from self.row("priority_reason", Input(id="f-priority_reason", compact=True))
        yield from self.row("service_mode", ChoiceField(choices(SERVICE_MODES), "phone", id="f-service_mode"))

    def on_mount(self) -> None:
        self.call(directory.categories, self.desk.database, result=CategoriesLoaded, group="categories")

    def on_categories_loaded(self, message: CategoriesLoaded) -> None:
        self.categories = message.value

    # --- the panel's part of the form ----------------------------------------------------------

    def part(self) -> dict[str, Any]:
        return {
            "summary": self.text("summary"),
            "kind": self.choice("kind"),
            "category": self.text("category"),
            "impact": self.choice("impact"),
            "urgency": self.choice("urgency"),
            "priority": self.choice("priority") if self.priority_overridden else None,
            "priority_reason": self.text("priority_reason") if self.priority_overridden else "",
            "service_mode": self.choice("service_mode") if self.mode_chosen else "",
        }

    def clear(self) -> None:
        for name in TEXTS:
            self.set_text(name, "")
        for name, value in DEFAULTS.items():
            self.set_choice(name, value)
        self.priority_overridden = False
        self.mode_chosen = False
        self.update_priority()

    def restore(self, form: IntakeForm) -> None:
        for name in TEXTS:
            self.set_text(name, getattr(form, name) or "")
        for name in ("kind", "impact", "urgency"):
            self.set_choice(name, getattr(form, name))
        self.priority_overridden = form.priority is not None
        if form.priority is not None:
            self.set_choice("priority", form.priority)
        self.mode_chosen = bool(form.service_mode)
        if form.service_mode:
            self.set_choice("service_mode", form.service_mode)
        self.update_priority()

    # --- the operator's choices ------------------------------------------------------------------

    def edited(self, name: str, value: Any) -> None:
        if name == "priority":
            self.priority_overridden = value != self.matrix_priority()
            self.update_priority()
        elif name == "service_mode":
            self.mode_chosen = True
        elif name in ("impact", "urgency"):
            self.update_priority()
        if name == "kind" and value == "consultation" and not self.text("category"):
            self.set_text("category", "Consultation")

    def matrix_priority(self) -> int | None:
        """The desk's matrix for the impact and urgency chosen (None until both are)."""
        impact, urgency = self.choice("impact"), self.choice("urgency")
        return None if impact is None or urgency is None else self.rules.priority(impact, urgency)

    def update_priority(self) -> None:
        """The matrix's priority unless overridden; an override asks for its reason."""
        matrix = self.matrix_priority()
        if not self.priority_overridden:
            self.set_choice("priority", matrix)
        elif self.choice("priority") == matrix:
            self.priority_overridden = False
        self.query_one("#row-priority_reason").set_class(self.priority_overridden, "-shown")
        label = _("Priority") if not self.priority_overridden else _("Priority*")
        self.query_one("#l-priority", Static).update(label)

    def show_reason(self) -> None:
        self.query_one("#row-priority_reason").add_class("-shown")

    def suggest_mode(self, form: IntakeForm, customer_class: str) -> None:
        """The desk's rules pick the service mode until the operator chooses one."""
        if not self.mode_chosen:
            mode = self.rules.service_mode(
                kind=form.kind,
                warranty=form.warranty,
                customer_class=customer_class,
                device=is_device_problem(form),
            )
            self.set_choice("service_mode", mode)

    # --- categories ------------------------------------------------------------------------------

    def suggest_category(self, category: str) -> None:
        """A device's usual category, unless one is typed already."""
        if not self.text("category") and category:
            self.set_text("category", category)

    def choose_category(self, path: str) -> None:
        self.query_one("#f-category", Input).value = path  # as if typed: an edit like any other

    def category_known(self, path: str) -> bool:
        return not self.categories or path.strip() in {c.path for c in self.categories}

    def matching(self, typed: str) -> list[CategoryView]:
        """The categories matching `typed`, best first (`rank_categories`)."""
        return rank_categories(self.categories, typed)


WORD = re.compile(r"[/\s\-_]+")
FUZZY_CUTOFF = 80  # below this a category only looks like the text typed: not offered


def rank_categories(categories: list[CategoryView], typed: str) -> list[CategoryView]:
    """Ranked by how well `typed` matches (English or Chinese path): the path starting with it,
    then a word of it, then anywhere in it, then its team's name; then, close enough (rapidfuzz,
    for a typo), the rest. All of them, as they are, while nothing is typed."""
    typed = " ".join(typed.split()).casefold()
    if not typed:
        return list(categories)
    ranked: list[tuple[int, float, int, CategoryView]] = []
    for order, c in enumerate(categories):
        paths = [c.path.casefold(), c.path_zh.casefold()]
        score = max(fuzz.WRatio(typed, p) for p in paths if p)
        if any(p.startswith(typed) for p in paths):
            tier = 0
        elif any(word.startswith(typed) for p in paths for word in WORD.split(p)):
            tier = 1
        elif any(typed in p for p in paths):
            tier = 2
        elif typed in c.team.casefold():
            tier = 3
        elif max(fuzz.partial_ratio(typed, p) for p in paths if p) >= FUZZY_CUTOFF:
            tier = 4
        else:
            continue
        ranked.append((tier, -score, order, c))
    return [c for *_key, c in sorted(ranked, key=lambda row: row[:3])]
