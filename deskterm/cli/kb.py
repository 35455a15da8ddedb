"""`deskterm kb`: import, export and search the knowledge base; the history of a solution; synonyms."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from ..i18n import _n
from ..text import dumps
from .common import (
    AS,
    AS_OPTIONAL,
    TABLE_OR_JSON,
    authenticate,
    cell,
    err,
    fail,
    maybe_authenticate,
    open_db,
    out,
    print_json,
    print_table,
    progress,
    read_input,
    stamps,
    user_errors,
)

app = typer.Typer(help="The knowledge base: import, export, search, history, synonyms.", no_args_is_help=True)


@app.command("import")
@user_errors
def kb_import(
    file: Path = typer.Argument(..., help="A JSONL file of solutions (one JSON object a line)."),
    as_: str | None = AS_OPTIONAL,
) -> None:
    """Import solutions (KB editors; idempotent by id; identical statements stored once). Without
    --as only into a new desk that has no agents yet."""
    from ..services import kb

    if not file.is_file():
        fail(f"no file {file}", 2)
    lines = read_input(str(file)).splitlines()  # a line with bad UTF-8 is reported with its number
    database = open_db()
    actor = maybe_authenticate(database, as_)
    started = time.perf_counter()
    with progress() as bar:
        report = kb.import_solutions(database, actor, lines, progress=bar)
    for number, reason in report.errors:
        err.print(f"{file}:{number}: {reason}")
    err.print(
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        + _n("1 new statement, ", "{n} new statements, ", report.statements_added)
        + _n("1 bad line ", "{n} bad lines ", len(report.errors))
        + f"in {time.perf_counter() - started:.1f} s"
    )
    if report.errors:
        raise typer.Exit(2)


@app.command("export")
@user_errors
def kb_export(
    file: Path = typer.Argument(..., help="Where to write the JSONL file ('-' for standard output)."),
    as_: str = AS,
) -> None:
    """Export every solution in the import format (round-trips)."""
    from ..kb import store

    database = open_db()
    authenticate(database, as_)  # every agent reads the knowledge base; a bulk export names who took it
    handle = sys.stdout if str(file) == "-" else file.open("w", encoding="utf-8")
    count = 0
    try:
        for item in store.iter_articles(database):
            handle.write(dumps(item) + "\n")
            count += 1
    finally:
        if handle is not sys.stdout:
            handle.close()
    err.print(_n("1 solution exported", "{n} solutions exported", count))


@app.command("search")
@user_errors
def kb_search(
    query: str | None = typer.Argument(None, help="The query; without it, read one query a line from stdin."),
    limit: int = typer.Option(10, "--limit", min=1, max=200, help="At most this many solutions a query."),
    fmt: str = typer.Option("table", "--format", help="table | json | jsonl"),
    mode: str = typer.Option("all", "--mode", help="all | full | partial | fuzzy | statements"),
    category: str | None = typer.Option(None, "--category", help="Only this category subtree."),
    lang: str | None = typer.Option(None, "--lang", help="en | zh"),
) -> None:
    """Search solutions. Batch mode: no QUERY and --format jsonl reads queries from stdin."""
    from ..services import kb

    database = open_db()
    if query is None:
        if fmt != "jsonl":
            fail("without a QUERY, use --format jsonl and give one query a line on standard input", 2)
        kb.searcher(database).current()  # build once, before timing the queries
        for line in sys.stdin:
            q = line.rstrip("\n")
            timing: dict[str, float] = {}
            started = time.perf_counter()
            hits = kb.search_ids(
                database, q, limit=limit, mode=mode, category=category, lang=lang, timing=timing
            )
            ms = (time.perf_counter() - started) * 1000
            row = {"q": q, "results": [{"id": k, "score": round(s, 4)} for k, s in hits], "ms": round(ms, 3)}
            if timing:
                row["timing"] = {k: round(v, 3) for k, v in timing.items()}
            sys.stdout.write(dumps(row) + "\n")
        sys.stdout.flush()
        return
    found = kb.search(database, query, limit=limit, mode=mode, category=category, lang=lang)
    if fmt in ("json", "jsonl"):
        print_json(
            [
                {
                    "id": f.external_id,
                    "title": f.title,
                    "category": f.category,
                    "lang": f.lang,
                    "score": round(f.score, 4),
                    "statements": f.statements,
                }
                for f in found
            ]
        )
        return
    print_table(
        ("id", "title", "category", "score"),
        ((f.external_id, cell(f.title), cell(f.category), f"{f.score:.2f}") for f in found),
    )


@app.command("synonyms")
@user_errors
def kb_synonyms(
    add: str | None = typer.Option(
        None, "--add", help='A group of equivalent terms, comma-separated: "pc, computer, 电脑".'
    ),
    remove: int | None = typer.Option(None, "--remove", help="Remove the group with this number."),
    as_: str = AS,
) -> None:
    """List, add or remove synonym groups (on top of the shipped list; effective at once)."""
    from ..services import kb

    database = open_db()
    actor = authenticate(database, as_)
    if add:
        number = kb.add_synonyms(database, actor, add.replace("，", ",").split(","))
        out.print(f"synonym group {number} added")
    elif remove is not None:
        kb.remove_synonyms(database, actor, remove)
        out.print(f"synonym group {remove} removed")
    else:
        for number, terms in kb.list_synonyms(database):
            out.print(f"{number}: ", cell(terms))


@app.command("history")
@user_errors
def kb_history(
    article: str = typer.Argument(..., help="The solution's id, e.g. KB-0012."),
    fmt: str = TABLE_OR_JSON,
) -> None:
    """A solution's versions, newest first: who, when (the desk's time zone), what changed; edits
    of the statements it uses are listed with their own versions."""
    from ..services import kb

    versions = kb.history(open_db(), article.strip())
    if fmt == "json":
        print_json({"article": article.strip(), "versions": [{**v.as_json(), "at": v.at} for v in versions]})
        return
    at = stamps(minutes=True)
    print_table(
        ("version", "time", "by", "what changed"),
        (
            (
                f"v{v.version}" if v.statement_id is None else f"#{v.statement_id} v{v.version}",
                at(v.at),
                cell(v.by),
                cell(v.summary),
            )
            for v in versions
        ),
    )
