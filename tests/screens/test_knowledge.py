"""The knowledge screen: search as you type, the preview, "this solved it", copy to a note, composing
solutions from reusable statements (editors only), a save refused when another editor got there
first (nothing typed lost, reload, history), live updates from another console, a snapshot."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlalchemy import func, select
from textual.widgets import DataTable, Input, OptionList, Select, Static

from deskterm import clock, i18n
from deskterm.db import open_database
from deskterm.dialogs.kb_editor import HistoryDialog, SolutionEditor, StatementDialog
from deskterm.dialogs.knowledge import TicketDialog
from deskterm.kb import store
from deskterm.models import KbStatement, TicketArticle
from deskterm.screens.knowledge import ArticleScreen, KnowledgeScreen
from deskterm.services import kb, tickets
from deskterm.services.errors import PermissionDenied
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import log_in, make_app, wait_until

ARTICLES = [
    {
        "id": "KB-0012",
        "lang": "en",
        "title": "Paper jam on the LP-2100 printer",
        "category": "Printer/Paper jam",
        "statements": [
            "The display reads [red]x and the light is red.",
            "Open the front cover [/] and pull the sheet slowly.\x1b[2J",
            "Restart the computer and try again.",
        ],
        "tags": ["printer", "jam"],
    },
    {
        "id": "KB-0107",
        "lang": "zh",
        "title": "激光打印机卡纸",
        "category": "打印机/卡纸",
        "statements": ["打开前盖取出卡纸。", "请重启电脑后重试。"],
        "tags": ["打印机"],
    },
    {
        "id": "KB-0049",
        "lang": "en",
        "title": "Computer is running very slowly",
        "category": "PC/Performance",
        "statements": ["Check the free disk space.", "Restart the computer and try again."],
        "tags": ["slow"],
    },
    {
        "id": "KB-0030",
        "lang": "en",
        "title": "VPN client cannot connect on Windows",
        "category": "Network/VPN",
        "statements": ["Check that the internet connection works.", "Reinstall the VPN client."],
        "tags": ["vpn"],
    },
]


def load(db) -> None:  # type: ignore[no-untyped-def]
    store.import_jsonl(db, [json.dumps(a, ensure_ascii=False) for a in ARTICLES])


async def open_knowledge(pilot, login: str) -> KnowledgeScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await log_in(pilot, login, "secret-pw")
    await wait_until(pilot, lambda: app.actor is not None and app.current_mode)
    await pilot.press("f4")
    await wait_until(pilot, lambda: isinstance(app.screen, KnowledgeScreen))
    screen = app.screen
    await wait_until(pilot, lambda: screen.index.ready and screen.query_one(DataTable).row_count > 0)
    return screen


async def search_for(pilot, screen: KnowledgeScreen, text: str) -> None:  # type: ignore[no-untyped-def]
    box = screen.query_one("#kb-query", Input)
    box.focus()
    box.value = ""
    await pilot.press(*text)
    await wait_until(pilot, lambda: not screen.results.faq_shown and screen.settled)


def keys(screen: KnowledgeScreen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(r.value) for r in table.rows]


def static_text(screen, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one(selector, Static).render())


async def test_typing_finds_and_the_preview_shows_statements_literally(sqlite_db):
    load(sqlite_db)
    make_agent(sqlite_db, "olga", role="operator")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_knowledge(pilot, "olga")
        assert screen.results.faq_shown  # an empty box shows the FAQ
        await search_for(pilot, screen, "priner jam")  # a typo
        assert keys(screen)[0] == "KB-0012"
        body = static_text(screen, "#kb-preview-body")
        assert "[red]x" in body and "[/]" in body and "\x1b" not in body
        assert " 3. Restart the computer and try again." in body
        await search_for(pilot, screen, "卡纸")
        assert keys(screen)[0] == "KB-0107"
        assert "打开前盖取出卡纸。" in static_text(screen, "#kb-preview-body")
        await pilot.press("enter")  # to the results; Enter again opens the solution
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article)
        assert "请重启电脑后重试。" in static_text(app.screen, "#article-body")
        await pilot.press("escape")
        assert app.screen is screen


async def test_this_solved_it_raises_the_score_and_links_the_ticket(sqlite_db):
    load(sqlite_db)
    eng = make_agent(sqlite_db, "eddy", role="engineer")
    t = make_ticket(sqlite_db, eng, "Printer jams all the time")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_knowledge(pilot, "eddy")
        await search_for(pilot, screen, "paper jam")
        assert keys(screen)[0] == "KB-0012"
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(app.screen, TicketDialog))
        await pilot.press(*t.number.removeprefix("SR-").lstrip("0"), "enter")
        article_id = kb.get_article_by_external_id(sqlite_db, "KB-0012").id
        await wait_until(pilot, lambda: kb.get_article(sqlite_db, article_id).score == 1.0)
        with sqlite_db.read() as s:
            assert s.get(TicketArticle, (t.id, article_id)) is not None
        events = tickets.get_ticket(sqlite_db, eng, t.number).events
        assert any(e.kind == "linked" and "KB-0012" in e.body for e in events)

        await pilot.press("ctrl+t")  # and its statements into a note on the same ticket
        await wait_until(pilot, lambda: isinstance(app.screen, TicketDialog))
        await pilot.press(*t.number, "enter")

        def noted() -> bool:
            found = tickets.get_ticket(sqlite_db, eng, t.number).events
            return any(e.kind == "note" and e.body.startswith("KB-0012 ") for e in found)

        await wait_until(pilot, noted)


async def test_an_editor_composes_a_solution_reusing_a_statement(sqlite_db):
    load(sqlite_db)
    make_agent(sqlite_db, "sue", role="supervisor")
    with sqlite_db.read() as s:
        statements_before = s.execute(select(func.count()).select_from(KbStatement)).scalar_one()
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_knowledge(pilot, "sue")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, SolutionEditor))
        editor = app.screen
        await pilot.press(*"Docking station not detected", "enter")
        await pilot.press(*"Laptop/Dock", "enter")
        editor.query_one("#ed-status").value = "published"
        new = editor.query_one("#ed-new", Input)
        new.focus()
        await pilot.press(*"restart the comp")
        similar = editor.query_one("#ed-similar", OptionList)
        # results of the partly typed text may arrive first: wait for those of the whole text
        await wait_until(
            pilot,
            lambda: (
                similar.option_count > 0 and editor.similar[0].text == "Restart the computer and try again."
            ),
        )
        assert editor.similar[0].used_by == 2  # shown: two solutions use it already
        similar.focus()
        similar.highlighted = 0
        await pilot.press("enter")  # reuse it
        await wait_until(pilot, lambda: len(editor.statements) == 1)
        assert editor.statements[0].id is not None
        await pilot.press(*"Reconnect the dock cable.", "enter")
        await wait_until(pilot, lambda: len(editor.statements) == 2)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
    with sqlite_db.read() as s:
        statements_after = s.execute(select(func.count()).select_from(KbStatement)).scalar_one()
    assert statements_after == statements_before + 1  # only the new sentence was stored
    found = kb.search(sqlite_db, "docking station")
    assert found[0].title == "Docking station not detected"
    assert found[0].statements == ["Restart the computer and try again.", "Reconnect the dock cable."]
    shared = kb.get_article(sqlite_db, found[0].article_id).statements[0]
    assert shared.used_by == 3


async def test_draft_from_ticket_is_in_the_footer_and_a_second_press_opens_the_same_draft(sqlite_db):
    """An editor sees Ctrl+F "Draft from ticket" in the footer (an operator does not); pressed twice for
    one resolved ticket it opens the one draft made the first time instead of making another."""
    from textual.widgets._footer import FooterKey

    from deskterm.models import KbArticle, Ticket

    load(sqlite_db)
    sue = make_agent(sqlite_db, "sue", role="supervisor")
    make_agent(sqlite_db, "olga", role="operator")
    t = make_ticket(sqlite_db, sue, "Outlook does not open", description="Outlook hangs.")
    with sqlite_db.write() as s:
        s.execute(select(Ticket).where(Ticket.id == t.id)).scalar_one().resolution = "Safe mode."

    def articles() -> int:
        with sqlite_db.read() as s:
            return s.execute(select(func.count()).select_from(KbArticle)).scalar_one()

    def footer(screen) -> list[str]:  # type: ignore[no-untyped-def]
        # the keys that fit: shown on the screen's width
        return [k.description for k in screen.query(FooterKey) if 0 < k.region.right <= screen.size.width]

    before = articles()
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_knowledge(pilot, "sue")
        await wait_until(pilot, lambda: "Draft from ticket" in footer(screen))
        drafts = []
        for _ in range(2):
            await pilot.press("ctrl+f")
            await wait_until(pilot, lambda: isinstance(app.screen, TicketDialog))
            await pilot.press(*t.number, "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, SolutionEditor))
            drafts.append(app.screen.article_id)
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen)
        assert drafts[0] is not None and drafts[0] == drafts[1] and articles() == before + 1
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_knowledge(pilot, "olga")
        await pilot.pause()
        assert "Draft from ticket" not in footer(screen) and "This solved it" in footer(screen)


async def test_editing_a_shared_statement_shows_its_users_first(sqlite_db):
    load(sqlite_db)
    make_agent(sqlite_db, "sue", role="supervisor")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_knowledge(pilot, "sue")
        await search_for(pilot, screen, "running slowly")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, SolutionEditor) and app.screen.statements)
        box = app.screen.query_one("#ed-statements", OptionList)
        box.focus()
        box.highlighted = 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.query("#st-users"))
        users = app.screen.query_one("#st-users", Static)
        await wait_until(pilot, lambda: "KB-0012" in str(users.render()))
        assert "KB-0049" in str(users.render()) and "2 solutions" in str(users.render())
        app.screen.query_one("#st-text", Input).value = "Restart the PC and try again."
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, SolutionEditor))
    article = kb.get_article_by_external_id(sqlite_db, "KB-0012")
    assert article.statements[2].text == "Restart the PC and try again."


async def open_editor(pilot, screen: KnowledgeScreen, query: str) -> SolutionEditor:  # type: ignore[no-untyped-def]
    await search_for(pilot, screen, query)
    await pilot.press("ctrl+r")
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, SolutionEditor) and app.screen.statements)
    return app.screen


async def test_a_stale_save_is_refused_keeping_what_was_typed_then_reload_and_history(sqlite_db):
    load(sqlite_db)
    make_agent(sqlite_db, "sue", role="supervisor", name="Sue Lin")
    sam = make_agent(sqlite_db, "sam", role="supervisor", name="Sam Wu")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_knowledge(pilot, "sue")
        editor = await open_editor(pilot, screen, "paper jam")
        read = kb.get_article_by_external_id(sqlite_db, "KB-0012")
        # Sam saves KB-0012 from another console while Sue's editor is open
        kb.save_solution(
            sqlite_db,
            sam,
            external_id="KB-0012",
            version=read.version,
            title="Paper jam on the LP-2100 laser printer",
            category=read.category,
            lang=read.lang,
            statements=[s.text for s in read.statements],
            tags=read.tags,
            status=read.status,
        )
        editor.query_one("#ed-category", Input).value = "Printer/Jams"
        editor.query_one("#ed-new", Input).focus()
        await pilot.press(*"Remove the toner cartridge.", "enter")
        await wait_until(pilot, lambda: len(editor.statements) == 4)
        await pilot.press("ctrl+s")
        error = editor.query_one("#e-form", Static)
        await wait_until(pilot, lambda: "changed meanwhile" in str(error.render()))
        message = str(error.render())
        assert "KB-0012 was changed meanwhile by Sam Wu" in message
        assert "→ “Paper jam on the LP-2100 laser printer”" in message and "What you typed is kept" in message
        assert app.screen is editor  # still open, with everything typed
        assert editor.query_one("#ed-category", Input).value == "Printer/Jams"
        assert editor.statements[-1].text == "Remove the toner cartridge."

        await pilot.press("ctrl+r")  # the current version, Sue's changes on top
        await wait_until(pilot, lambda: "Reloaded version 2" in str(error.render()))
        assert "(category, statements)" in str(error.render())
        assert editor.query_one("#ed-title", Input).value == "Paper jam on the LP-2100 laser printer"
        assert editor.query_one("#ed-category", Input).value == "Printer/Jams"
        assert editor.statements[-1].text == "Remove the toner cartridge."

        await pilot.press("ctrl+o")  # the history: who changed what
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryDialog) and app.screen.versions)
        history = app.screen
        rows = history.query_one(DataTable)
        assert rows.row_count == 2
        newest = [str(c) for c in rows.get_row_at(0)]
        assert newest[0] == "v2" and newest[2] == "Sam Wu"
        assert (
            newest[3] == "title “Paper jam on the LP-2100 printer” → “Paper jam on the LP-2100 laser printer”"
        )
        assert "import" in [str(c) for c in rows.get_row_at(1)]
        assert "title “Paper jam on the LP-2100 printer” →" in static_text(history, "#hist-detail")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is editor)

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
    saved = kb.get_article_by_external_id(sqlite_db, "KB-0012")
    assert (saved.title, saved.category, saved.version) == (
        "Paper jam on the LP-2100 laser printer",
        "Printer/Jams",
        3,
    )
    assert saved.statements[-1].text == "Remove the toner cartridge."
    newest = kb.history(sqlite_db, "KB-0012")[0]
    assert (newest.version, newest.by) == (3, "Sue Lin")


async def test_a_shared_statement_changed_meanwhile_is_refused_in_its_dialog(sqlite_db):
    load(sqlite_db)
    make_agent(sqlite_db, "sue", role="supervisor")
    sam = make_agent(sqlite_db, "sam", role="supervisor", name="Sam Wu")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_knowledge(pilot, "sue")
        editor = await open_editor(pilot, screen, "running slowly")
        shared = editor.statements[1]
        box = editor.query_one("#ed-statements", OptionList)
        box.focus()
        box.highlighted = 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, StatementDialog))
        dialog = app.screen
        kb.edit_statement(sqlite_db, sam, shared.id, "Restart the PC and try again.", version=shared.version)
        dialog.query_one("#st-text", Input).value = "Restart the computer twice."
        await pilot.press("ctrl+s")
        error = dialog.query_one("#e-text", Static)
        await wait_until(pilot, lambda: "changed meanwhile by Sam Wu" in str(error.render()))
        assert "now “Restart the PC and try again.”" in str(error.render())
        assert (
            app.screen is dialog
            and dialog.query_one("#st-text", Input).value == "Restart the computer twice."
        )
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "Now (version 2)" in str(error.render()))
        await pilot.press("ctrl+s")  # knowingly over Sam's version
        await wait_until(pilot, lambda: app.screen is editor)
        assert (editor.statements[1].text, editor.statements[1].version) == ("Restart the computer twice.", 3)
    assert (
        kb.get_article_by_external_id(sqlite_db, "KB-0012").statements[2].text
        == "Restart the computer twice."
    )


async def test_an_operator_is_not_offered_editing_and_the_service_refuses(sqlite_db):
    load(sqlite_db)
    op = make_agent(sqlite_db, "olga", role="operator")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_knowledge(pilot, "olga")
        assert not screen.query("#kb-status")  # no status filter: only published solutions
        for action in ("new", "edit", "status", "draft"):
            assert not screen.check_action(action, ())
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is screen
        commands = [c.title for c in app.get_system_commands(screen)]
        assert any("This solved it" in c for c in commands)
        assert not any("New solution" in c or "Edit" in c for c in commands)
    try:
        kb.save_solution(sqlite_db, op, external_id=None, title="x", category="", lang="en", statements=["y"])
    except PermissionDenied:
        pass
    else:
        raise AssertionError("an operator saved a solution")


async def test_a_solution_added_in_another_console_appears_live(sqlite_db):
    load(sqlite_db)
    make_agent(sqlite_db, "olga", role="operator")
    sup = make_agent(sqlite_db, "sue", role="supervisor")
    app = make_app(sqlite_db, watch_changes=False)
    other = open_database(sqlite_db.engine.url.render_as_string(hide_password=False))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_knowledge(pilot, "olga")
            await search_for(pilot, screen, "docking")
            assert "KB-0200" not in keys(screen)
            kb.save_solution(
                other,
                sup,
                external_id="KB-0200",
                title="Docking station not detected",
                category="Laptop/Dock",
                lang="en",
                statements=["Reconnect the dock cable."],
                status="published",
            )
            await wait_until(pilot, lambda: "KB-0200" in keys(screen))
            assert keys(screen)[0] == "KB-0200"
    finally:
        other.dispose()


def test_snapshot_of_the_knowledge_screen(sqlite_db, snap_compare):
    clock.set_clock(clock.FrozenClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC)))
    load(sqlite_db)
    make_agent(
        sqlite_db,
        login="olga",
        name="Olga Petrova",
        number="042",
        role="operator",
        tier=1,
        team=None,
        password="secret-pw",
    )
    app = make_app(sqlite_db, watch_changes=False)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await open_knowledge(pilot, "olga")
        await search_for(pilot, screen, "printer jam")
        screen.query_one(DataTable).focus()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def running_intervals(screen) -> int:  # type: ignore[no-untyped-def]
    """The repeating timers running on the screen and its widgets (the index poll, cursors)."""
    nodes = [screen, *screen.walk_children()]
    return sum(1 for n in nodes for t in list(n._timers) if t._repeat is None and t._task is not None)


async def test_switching_the_language_keeps_one_poll_and_what_is_on_screen(sqlite_db):
    load(sqlite_db)
    make_agent(sqlite_db, "sue", role="supervisor")
    app = make_app(sqlite_db, watch_changes=False)
    try:
        await switch_languages(app)
    finally:
        i18n.set_language("en")  # the language is the process's: the next test starts in English


async def switch_languages(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_knowledge(pilot, "sue")
        await search_for(pilot, screen, "paper jam")
        screen.query_one("#kb-lang").value = "en"
        await wait_until(pilot, lambda: screen.settled)
        before = running_intervals(screen)
        for _ in range(3):  # English → 中文 → English → 中文
            await pilot.press("ctrl+l")
            await pilot.pause()

        def box() -> Input:
            return screen.query_one("#kb-query", Input)

        await wait_until(pilot, lambda: box().placeholder.startswith("搜索解决方案"))
        await wait_until(pilot, lambda: re.match(r"(找到 )?\d+ 个解决方案", static_text(screen, "#kb-state")))
        table = screen.query_one(DataTable)
        assert str(table.columns[table.ordered_columns[1].key].label) == "标题"
        assert box().value == "paper jam" and screen.query_one("#kb-lang").value == "en"  # kept
        assert keys(screen)[0] == "KB-0012" and screen.settled
        await pilot.press("ctrl+l")  # back to English
        await wait_until(pilot, lambda: re.match(r"\d+ solutions?\b", static_text(screen, "#kb-state")))
        await pilot.pause()
        assert running_intervals(screen) == before  # one index poll, as before: none added


MARKUP = {
    "id": "KB-[bold]7",
    "lang": "en",
    "title": "[bold]Fax[/bold] jams [red]x",
    "category": "[red]Fax/Paper",
    "statements": ["Open the fax [b tray."],
    "tags": ["fax"],
}


def toasts(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The notifications on screen, as shown."""
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def test_a_solutions_id_and_title_are_shown_literally_notifications_too(sqlite_db):
    store.import_jsonl(sqlite_db, [json.dumps(MARKUP)])
    sue = make_agent(sqlite_db, "sue", role="supervisor")
    t = make_ticket(sqlite_db, sue, "The fax jams")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_knowledge(pilot, "sue")
        await search_for(pilot, screen, "fax jams")
        assert keys(screen) == ["KB-[bold]7"]
        assert str(screen.query_one(DataTable).get_row_at(0)[1]) == "[bold]Fax[/bold] jams [red]x"
        assert static_text(screen, "#kb-preview-title") == "[bold]Fax[/bold] jams [red]x"
        assert (
            static_text(screen, "#kb-preview-meta") == "KB-[bold]7 · [red]Fax/Paper · English"
        )  # a label, not the code
        category = screen.query_one("#kb-category", Select)
        await wait_until(pilot, lambda: screen.bar.categories)
        category.value = "[red]Fax/Paper"  # the filter shows the path literally
        await wait_until(pilot, lambda: "[red]Fax/Paper" in str(category.query_one("#label").render()))

        await pilot.press("ctrl+y")  # "this solved it": the notification names the id literally
        await wait_until(pilot, lambda: isinstance(app.screen, TicketDialog))
        assert "KB-[bold]7 solved ticket:" in static_text(app.screen, "Static")
        await pilot.press(*t.number, "enter")
        await wait_until(pilot, lambda: any(f"KB-[bold]7 solved {t.number}" in n for n in toasts(app)))

        await pilot.press("ctrl+b", "p")  # publish: "… is now published."
        await wait_until(pilot, lambda: "KB-[bold]7 is now published." in toasts(app))

        await pilot.press("ctrl+o")  # the whole solution
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article)
        assert static_text(app.screen, "#article-title") == "[bold]Fax[/bold] jams [red]x"
        assert static_text(app.screen, "#article-meta").startswith("KB-[bold]7 · [red]Fax/Paper · English")
