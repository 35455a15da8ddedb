"""Intake figures for the closing note (issue 4).

1. Keystrokes to log a typical call, counted by driving the intake screen with Pilot: a known
   caller with a known device (phone digits until the caller is the first match, Enter picks the
   caller, Enter the device, classification, Ctrl+S), and a new caller (every field typed). The
   symptom text is not counted; text typed into other fields is, and is also reported apart.
2. With the database given (1M tickets, 50k KB articles): p95 of the phone lookup, of updated
   suggestions after a keystroke in the symptoms (the service's time; the screen adds its
   debounce, `suggest_delay_ms`), and of the save (one transaction with the duplicate check).

usage: python scripts/bench_intake.py [--keys-only] [--samples N] URL [URL...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher
from sqlalchemy import text

from deskterm.db import open_database
from deskterm.services import auth, customers, intake, kb
from deskterm.services.intake import DuplicatesFound, IntakeForm

SYMPTOMS = [
    "The laptop will not power on after the update, the power light blinks orange",
    "打印机卡纸，亮红灯，每次打印都卡在同一个位置",
    "VPN disconnects every hour and I have to log in again",
    "邮箱无法发送邮件，提示 SMTP 错误",
    "Screen flickers when the docking station is connected",
]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] * 1000 if len(samples) >= 20 else max(samples) * 1000


def ms(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1000:6.1f} ms  p95 {p95(samples):6.1f} ms  (n={len(samples)})"


# --- keystrokes ----------------------------------------------------------------------------------


class Counter:
    def __init__(self, pilot) -> None:  # type: ignore[no-untyped-def]
        self.pilot = pilot
        self.keys = 0
        self.text_keys = 0

    async def press(self, *keys: str) -> None:
        self.keys += len(keys)
        await self.pilot.press(*keys)

    async def type(self, value: str, *, counted: bool = True) -> None:
        if counted:
            self.keys += len(value)
            self.text_keys += len(value)
        await self.pilot.press(*value)


async def until(pilot, predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(str(predicate))
        await pilot.pause(0.02)


def keystroke_db() -> tuple[str, Path]:
    """A small demo desk (3000 tickets, the shipped KB) to drive the screen on."""
    from deskterm.db import upgrade
    from deskterm.services import demo, reference

    folder = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    url = f"sqlite:///{folder / 'desk.db'}"
    db = open_database(url)
    upgrade(db.engine)
    reference.seed(db)
    demo.generate(db, tickets=3000)
    kb.import_demo_articles(db)
    db.dispose()
    return url, folder


async def count_keystrokes(url: str, folder: Path) -> dict[str, tuple[int, int]]:
    from deskterm.app import DeskApp
    from deskterm.config import Settings

    db = open_database(url)
    with db.read() as s:
        # a caller with exactly one device, whose device has tickets (so its category is known)
        row = s.execute(
            text(
                "SELECT c.id, p.digits, d.serial FROM customer c "
                "JOIN customer_phone p ON p.customer_id = c.id "
                "JOIN device d ON d.customer_id = c.id "
                "WHERE (SELECT count(*) FROM device x WHERE x.customer_id = c.id) = 1 "
                "AND (SELECT count(*) FROM customer_phone y WHERE y.customer_id = c.id) = 1 "
                "AND EXISTS (SELECT 1 FROM ticket t WHERE t.device_id = d.id) ORDER BY c.id LIMIT 1"
            )
        ).one()
    customer_id, digits, _serial = row
    settings = Settings.model_validate(
        {"database_url": url, "drafts_dir": str(folder / "drafts"), "suggest_delay_ms": 150}
    )
    results: dict[str, tuple[int, int]] = {}
    app = DeskApp(settings=settings, database=db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        from textual.widgets import Input

        login = "#login-name"
        await until(pilot, lambda: app.screen.query(login) and not app.screen.query_one(login).disabled)
        app.screen.query_one("#login-name", Input).value = "operator"
        app.screen.query_one("#login-password", Input).value = "demo"
        app.screen.query_one("#login-password", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "intake" and app.screen.query("#f-name"))
        screen = app.screen
        await until(pilot, lambda: screen.categories)

        # known caller, known device
        c = Counter(pilot)
        await c.press("ctrl+n")
        await c.press("tab", "tab")
        for i, digit in enumerate(digits):
            await c.type(digit, counted=False)
            c.keys += 1  # digits of the phone are keystrokes of the lookup, not field text
            if i + 1 >= customers.MIN_DIGITS:
                await pilot.pause(0.15)
                await until(pilot, lambda: not screen.query_one("#intake-assist").loading)
                await pilot.pause(0.15)
                items = screen.assist_items if screen.assist_mode == "callers" else []
                if items and items[0].customer_id == customer_id:
                    break
        await c.press("enter")
        await until(pilot, lambda: screen.pop is not None and screen.assist_mode == "devices")
        await c.press("enter")
        await c.type(SYMPTOMS[0], counted=False)
        category = screen.query_one("#f-category", Input).value
        await c.press("tab", "tab", "tab", "tab")  # warranty (computed), summary, kind, category
        if not category:
            await c.type("pc")
            await c.press("enter")
        else:
            await c.press("tab")
        await c.press("2", "tab", "2", "ctrl+s")
        await until(pilot, lambda: screen.last_result is not None)
        assert screen.last_result.customer_id == customer_id
        results["known caller, known device"] = (c.keys, c.text_keys)

        # a new caller with a new device
        c = Counter(pilot)
        await c.press("ctrl+n")
        await c.type("张伟")
        await c.press("enter")
        await c.type("杭州数据有限公司")
        await c.press("enter")
        await c.type("13912345670")
        await c.press("enter")
        await c.type("Corvo L450")
        await c.press("enter")
        await c.type("L450-99X1")
        await c.press("enter")
        await c.type(SYMPTOMS[4], counted=False)
        await c.press("tab", "3", "tab", "tab", "tab")  # warranty: unknown, summary, kind
        await c.type("pc")
        await c.press("enter", "3", "tab", "2", "ctrl+s")
        await until(pilot, lambda: screen.last_result is not None and screen.last_result.caller == "张伟")
        results["new caller, new device"] = (c.keys, c.text_keys)
    db.dispose()
    return results


# --- latencies -------------------------------------------------------------------------------------


def latencies(url: str, samples: int) -> None:
    db = open_database(url)
    rng = random.Random(7)
    with db.read() as s:
        counts = s.execute(
            text("SELECT (SELECT count(*) FROM ticket), (SELECT count(*) FROM kb_article)")
        ).one()
        phones = [r[0] for r in s.execute(text("SELECT digits FROM customer_phone ORDER BY id LIMIT 20000"))]
        callers = s.execute(
            text(
                "SELECT c.id, c.name, p.number FROM customer c JOIN customer_phone p ON p.customer_id = c.id "
                "ORDER BY c.id LIMIT 5000"
            )
        ).all()
        operator = s.execute(text("SELECT id FROM agent WHERE login = 'operator'")).scalar_one()
    with db.read() as s:
        actor = auth.load_actor(s, operator)
    print(f"\n{db.backend}: {counts[0]:,} tickets, {counts[1]:,} KB articles")

    started = time.perf_counter()
    customers.warm_up(db)  # the phone-ending index, loaded in the background after login
    print(f"  phone index load      {(time.perf_counter() - started) * 1000:6.1f} ms (once)")
    lookup = []
    for _ in range(samples):
        number = rng.choice(phones)
        typed = number[: rng.randint(4, len(number))]
        if rng.random() < 0.15:
            typed = "+86 " + typed if typed.startswith("1") else typed[:3] + "-" + typed[3:]
        started = time.perf_counter()
        customers.lookup(db, actor, typed)
        lookup.append(time.perf_counter() - started)
    pops = []
    for _ in range(max(20, samples // 5)):
        cid = rng.choice(callers)[0]
        started = time.perf_counter()
        customers.caller_pop(db, actor, cid)
        pops.append(time.perf_counter() - started)
    print(f"  phone lookup          {ms(lookup)}")
    print(f"  screen pop            {ms(pops)}")

    started = time.perf_counter()
    kb.searcher(db).current()  # the index is built once per console, in the background after login
    print(f"  KB index build        {time.perf_counter() - started:6.1f} s (once, in the background)")
    suggest = []
    for _ in range(max(1, samples // 40)):
        sentence = rng.choice(SYMPTOMS)
        for end in range(3, len(sentence) + 1, 1):
            started = time.perf_counter()
            kb.recommend(db, sentence[:end], limit=5)
            suggest.append(time.perf_counter() - started)
    print(f"  suggestions/keystroke {ms(suggest)}  + the screen's debounce")

    saves = []
    for i in range(max(20, samples // 5)):
        cid, name, phone = rng.choice(callers)
        form = IntakeForm(
            customer_id=cid,
            name=name,
            organisation="-",
            phone=phone,
            description=f"{rng.choice(SYMPTOMS)} #{i} {rng.random()}",
            category=rng.choice(["Network/VPN", "E-mail", "ERP/Login", "Accounts/Password"]),
            impact=rng.randint(1, 3),
            urgency=rng.randint(1, 3),
        )
        started = time.perf_counter()
        with contextlib.suppress(DuplicatesFound):  # the check ran and offered candidates
            intake.save_call(db, actor, form)
        saves.append(time.perf_counter() - started)
    print(f"  save (one transaction) {ms(saves)}")
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls", nargs="*")
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--keys-only", action="store_true")
    args = parser.parse_args()
    auth.HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    url, folder = keystroke_db()
    try:
        keys = asyncio.run(count_keystrokes(url, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("keystrokes to log a call (symptom text not counted):")
    for scenario, (total, typed) in keys.items():
        print(f"  {scenario:28s} {total:3d} keys ({typed} text typed into fields, {total - typed} other)")
    if not args.keys_only:
        for u in args.urls:
            latencies(u, args.samples)


if __name__ == "__main__":
    main()
