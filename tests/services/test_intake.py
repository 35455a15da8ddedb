"""Intake: validation in the script's order, new and known callers, devices, classification,
duplicates (chase / link / create), first-contact resolution, chases, retries, drafts, scripts."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from deskterm import clock
from deskterm.config import Settings
from deskterm.models import (
    Customer,
    CustomerPhone,
    Device,
    EventKind,
    KbArticle,
    Notification,
    Organisation,
    Status,
    TicketArticle,
    TicketLink,
)
from deskterm.services import intake, phones, tickets
from deskterm.services.drafts import DraftStore
from deskterm.services.errors import InvalidInput, NotFound
from deskterm.services.intake import DuplicatesFound, IntakeForm, IntakeRules
from deskterm.services.scripts import fill, load_script
from tests.factories import make_agent

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture
def frozen():
    c = clock.FrozenClock(START)
    clock.set_clock(c)
    return c


def call(**fields) -> IntakeForm:  # type: ignore[no-untyped-def]
    values = {
        "name": "张三",
        "organisation": "上海明远科技有限公司",
        "phone": "138-1234-5678",
        "description": "打印机亮红灯，里面卡着纸。",
        "category": "Hardware/Printer",
        "device_model": "Printek LP-2100",
        "device_serial": "LP2100-AAA111",
        "impact": 3,
        "urgency": 2,
    }
    values.update(fields)
    return IntakeForm(**values)


def add_caller(db, name="Li Lei", org="Acme Ltd", phone="+86 139 0000 1111", klass="standard"):  # type: ignore[no-untyped-def]
    with db.write() as s:
        o = Organisation(name=org, customer_class=klass, created_at=clock.now())
        s.add(o)
        s.flush()
        c = Customer(name=name, organisation_id=o.id, created_at=clock.now())
        s.add(c)
        s.flush()
        s.add(CustomerPhone(customer_id=c.id, number=phone, digits=phones.digits(phone)))
        return c.id


def add_device(db, customer_id, serial="X1C-00AB12", model="Corvo L450", warranty_end=None):  # type: ignore[no-untyped-def]
    with db.write() as s:
        d = Device(
            serial=serial,
            model=model,
            customer_id=customer_id,
            warranty_end=warranty_end,
            created_at=clock.now(),
        )
        s.add(d)
        s.flush()
        return d.id


def test_new_caller_whole_call(db, frozen):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    started = clock.now()
    frozen.advance(seconds=95)
    result = intake.save_call(db, op, call(call_started_at=started))
    assert result.outcome == "created" and result.number.startswith("SR-")
    assert result.team == "Desktop Support" and result.status == Status.NEW
    assert result.priority == 4  # low impact x medium urgency
    assert result.handover_by == clock.now() + timedelta(minutes=15)
    assert result.service_mode == "carry_in"  # a device fault of a standard customer, warranty unknown
    t = tickets.get_ticket(db, op, result.number)
    assert t.customer == "张三" and t.organisation == "上海明远科技有限公司" and t.phone == "138-1234-5678"
    assert t.device_serial == "LP2100-AAA111" and t.device_model == "Printek LP-2100"
    assert t.summary == "打印机亮红灯，里面卡着纸。" and t.handle_seconds == 95
    assert t.respond_by is not None and t.resolve_by is not None
    created = t.events[0]
    assert created.kind == EventKind.CREATED and created.data["matrix_priority"] == 4
    with db.read() as s:
        phone = s.exec(select(CustomerPhone)).one()
        assert phone.digits == "13812345678"


def test_validation_follows_the_script_and_saves_nothing(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    form = call(name=" ", phone="12", device_model="", device_serial="", description="", category="")
    form.category = "Hardware/PC"  # a device problem: serial and model are asked
    with pytest.raises(InvalidInput) as err:
        intake.save_call(db, op, form)
    assert list(err.value.errors) == ["name", "phone", "device_model", "device_serial", "description"]
    assert err.value.errors["phone"].startswith("not a phone number")
    with pytest.raises(InvalidInput) as err:
        intake.save_call(db, op, call(category="No/Such", kind="gripe", impact=5))
    assert list(err.value.errors) == ["kind", "category", "impact"]
    assert tickets.count_tickets(db) == 0
    with db.read() as s:
        assert s.exec(select(Customer)).all() == []


def test_not_a_device_problem_needs_no_serial(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    form = call(device_model="", device_serial="", category="Network/VPN", description="VPN drops hourly")
    result = intake.save_call(db, op, form)
    assert result.device_id is None and result.team == "Network" and result.service_mode == "phone"


def test_known_caller_and_known_device_with_warranty_computed(db, frozen):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    cid = add_caller(db, klass="key")
    did = add_device(db, cid, warranty_end=date(2026, 12, 31))
    form = call(
        customer_id=cid,
        name="Li Lei",
        organisation="Acme Ltd",
        phone="010-8765 4321",  # a new number of a known caller is added to them
        device_model="",
        device_serial="x1c-00ab12",  # typed in small letters
        category="Hardware/PC",
        description="Laptop will not power on",
    )
    result = intake.save_call(db, op, form)
    assert result.customer_id == cid and result.device_id == did
    assert result.service_mode == "on_site"  # key account, device fault in warranty
    t = tickets.get_ticket(db, op, result.number)
    assert t.warranty == "in" and t.device_model == "Corvo L450"
    with db.read() as s:
        assert sorted(p.digits for p in s.exec(select(CustomerPhone)).all()) == ["01087654321", "13900001111"]
        assert len(s.exec(select(Customer)).all()) == 1


def test_out_of_warranty_is_paid_service_and_rules_come_from_config(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    cid = add_caller(db)
    add_device(db, cid, warranty_end=date(2020, 1, 1))
    form = call(
        customer_id=cid,
        name="Li Lei",
        organisation="Acme Ltd",
        device_serial="X1C-00AB12",
        device_model="",
        category="Hardware/PC",
    )
    assert intake.save_call(db, op, form).service_mode == "paid"
    settings = Settings.model_validate(
        {"service_mode_rules": [{"warranty": ["out", "unknown"], "mode": "mail_in"}, {"mode": "phone"}]}
    )
    rules = IntakeRules.from_settings(settings)
    form = call(device_serial="NEW-1", description="Screen flickers", category="Hardware/PC")
    assert intake.save_call(db, op, form, rules=rules).service_mode == "mail_in"


def test_unknown_serial_is_saved_as_a_new_device(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    with pytest.raises(InvalidInput) as err:
        intake.save_call(db, op, call(device_model=""))
    assert list(err.value.errors) == ["device_model"]
    result = intake.save_call(db, op, call(warranty="in"))
    with db.read() as s:
        device = s.get(Device, result.device_id)
        assert device.serial == "LP2100-AAA111" and device.customer_id == result.customer_id
    assert tickets.get_ticket(db, op, result.number).warranty == "in"


def test_priority_matrix_and_override_with_reason(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    settings = Settings.model_validate({"priority_matrix": [[1, 1, 2], [2, 3, 4], [3, 4, 5]]})
    rules = IntakeRules.from_settings(settings)
    assert intake.save_call(db, op, call(impact=1, urgency=2), rules=rules).priority == 1
    with pytest.raises(InvalidInput) as err:
        intake.save_call(db, op, call(impact=3, urgency=3, priority=2, summary="other"), rules=rules)
    assert list(err.value.errors) == ["priority_reason"]
    form = call(impact=3, urgency=3, priority=2, priority_reason="CEO's laptop", description="Other fault")
    result = intake.save_call(db, op, form, rules=rules, on_duplicate="create")
    assert result.priority == 2
    created = tickets.get_ticket(db, op, result.number).events[0]
    assert created.data["override_reason"] == "CEO's laptop" and created.data["matrix_priority"] == 5


def test_complaint_is_flagged_for_the_supervisor(db):
    make_agent(db, "sue", role="supervisor", team="Service Desk")
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1, manager="sue")
    form = call(kind="complaint", category="Consultation", device_model="", device_serial="")
    form.description = "The engineer never came, [b]third time[/b]!"
    result = intake.save_call(db, op, form)
    assert result.supervisors_notified == 1
    with db.read() as s:
        note = s.exec(select(Notification)).one()
        assert note.kind == "complaint" and note.ticket_id == result.ticket_id


def test_duplicate_is_refused_then_chased_linked_or_created(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    first = intake.save_call(db, op, call(description="Printer shows a red light and paper is stuck inside."))
    again = call(customer_id=first.customer_id, description="printer paper stuck again, red light")
    with pytest.raises(DuplicatesFound) as found:
        intake.save_call(db, op, again)
    (candidate,) = found.value.candidates
    assert candidate.number == first.number and candidate.similarity >= 60
    assert candidate.same == "caller and device"
    assert tickets.count_tickets(db) == 1

    chased = intake.save_call(db, op, again, on_duplicate="chase")
    assert chased.outcome == "chased" and chased.number == first.number and chased.chase_count == 1
    events = tickets.get_ticket(db, op, first.number).events
    assert events[-1].kind == EventKind.CHASED and events[-1].body == again.text()
    assert tickets.count_tickets(db) == 1

    linked = intake.save_call(db, op, again, on_duplicate="link", duplicate_of=first.number)
    assert linked.outcome == "created" and linked.linked_to == first.number
    with db.read() as s:
        link = s.exec(select(TicketLink)).one()
        assert (link.ticket_id, link.related_id) == (linked.ticket_id, first.ticket_id)
    assert tickets.get_ticket(db, op, first.number).events[-1].kind == EventKind.LINKED

    other = call(customer_id=first.customer_id, description="Printer shows a red light and paper is stuck.")
    created = intake.save_call(db, op, other, on_duplicate="create")
    assert created.outcome == "created" and tickets.count_tickets(db) == 3


def test_different_problem_of_the_same_caller_is_no_duplicate(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    first = intake.save_call(db, op, call())
    form = call(
        customer_id=first.customer_id,
        device_model="",
        device_serial="",
        category="Network/VPN",
        description="VPN 连接每小时断开一次",
    )
    assert intake.save_call(db, op, form).outcome == "created"


def test_duplicate_check_ignores_closed_tickets_and_other_callers(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    first = intake.save_call(db, op, call())
    with db.write() as s:
        from deskterm.models import Ticket

        t = s.get(Ticket, first.ticket_id)
        t.status, t.is_open = Status.CLOSED, False
    assert intake.find_duplicates(db, op, call(customer_id=first.customer_id)) == []
    result = intake.save_call(db, op, call(phone="13700000000", device_serial="OTHER-1"))
    assert result.outcome == "created"


def test_first_contact_resolution_links_the_article(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    with db.write() as s:
        article = KbArticle(
            external_id="KB-0030", title="Clear a paper jam", created_at=clock.now(), updated_at=clock.now()
        )
        s.add(article)
        s.flush()
        article_id = article.id
    result = intake.save_call(db, op, call(kb_article_id=article_id))
    assert result.first_contact and result.status == Status.RESOLVED and result.handover_by is None
    assert result.team == "Service Desk" and result.assignee == op.name
    t = tickets.get_ticket(db, op, result.number)
    assert t.resolution == "KB-0030 Clear a paper jam" and t.events[-1].kind == EventKind.RESOLVED
    with db.read() as s:
        assert s.exec(select(TicketArticle)).one().article_id == article_id
        assert s.get(KbArticle, article_id).score == 1
    with pytest.raises(InvalidInput):
        intake.save_call(db, op, call(kb_article_id=999, phone="13700000000"))


def test_a_retried_save_of_the_same_call_saves_once(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    form = call(call_started_at=clock.now() - timedelta(minutes=3))
    first = intake.save_call(db, op, form)
    second = intake.save_call(db, op, form)
    assert second.number == first.number and tickets.count_tickets(db) == 1
    assert second.handover_by == first.handover_by


def test_chase_counts_and_logs_the_callers_words(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    first = intake.save_call(db, op, call())
    started = clock.now()
    r = intake.chase(db, op, first.number, words="Still waiting!", call_started_at=started)
    assert r.outcome == "chased" and r.chase_count == 1 and r.caller == "张三"
    again = intake.chase(db, op, first.number, words="Still waiting!", call_started_at=started)
    assert again.chase_count == 1  # the same call retried
    assert intake.chase(db, op, first.number.lower(), words="third call").chase_count == 2
    t = tickets.get_ticket(db, op, first.number)
    chases = [e for e in t.events if e.kind == EventKind.CHASED]
    assert [e.body for e in chases] == ["Still waiting!", "third call"] and chases[0].actor == op.name
    assert t.chase_count == 2 and t.version == 3
    with pytest.raises(NotFound):
        intake.chase(db, op, "SR-999999")


def test_simultaneous_chases_each_count(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    number = intake.save_call(db, op, call()).number
    errors: list[Exception] = []

    def worker() -> None:
        try:
            for _ in range(3):
                intake.chase(db, op, number, words="again")
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and tickets.get_ticket(db, op, number).chase_count == 12


def test_chasing_a_closed_ticket_is_refused(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    with db.write() as s:
        article = KbArticle(external_id="KB-1", title="Fix", created_at=clock.now(), updated_at=clock.now())
        s.add(article)
        s.flush()
        article_id = article.id
    number = intake.save_call(db, op, call(kb_article_id=article_id)).number
    with pytest.raises(InvalidInput) as err:
        intake.chase(db, op, number, words="hello")
    assert "only open tickets" in err.value.errors["ticket"]


def test_text_is_stored_as_typed_without_its_escape_sequences(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    text = "[red]x[/] [b \x1b[2J 😀 打印机\n第二行 [0] x"
    result = intake.save_call(db, op, call(name="[b]Bob[/b]", description=text))
    t = tickets.get_ticket(db, op, result.number)
    assert t.description == "[red]x[/] [b  😀 打印机\n第二行 [0] x" and t.customer == "[b]Bob[/b]"


def test_form_round_trips_through_json():
    form = call(call_started_at=START, kb_article_id=3, priority=2)
    again = IntakeForm.from_json(json.loads(json.dumps(form.as_json())))
    assert again == form
    assert IntakeForm(description="\n  first line \nsecond").effective_summary() == "first line"


def test_drafts_are_atomic_per_agent_and_survive_garbage(tmp_path):
    store = DraftStore(tmp_path / "drafts", "olga", "desk")
    assert store.load() is None
    store.save({"name": "张三", "description": "a\nb"})
    assert DraftStore(tmp_path / "drafts", "olga", "desk").load() == {"name": "张三", "description": "a\nb"}
    assert DraftStore(tmp_path / "drafts", "bob", "desk").load() is None
    assert [p.name for p in (tmp_path / "drafts").iterdir()] == [store.path.name]  # no temp files left
    store.path.write_text("{half a dra", encoding="utf-8")
    assert store.load() is None
    assert any(p.name.startswith(store.path.stem + ".unreadable") for p in (tmp_path / "drafts").iterdir())
    store.save({"name": "x"})
    store.remove()
    store.remove()
    assert store.load() is None


def test_scripts_ship_both_languages_and_config_overrides_lines():
    en, zh = load_script("en"), load_script("zh")
    assert "{agent_number}" in en.greeting and "号为您服务" in zh.greeting
    assert zh.chase_dispatched.startswith("我已派工") and len(zh.chase_replies) == 3
    assert all(zh.question(f) for f in ("name", "organisation", "phone", "device_model", "device_serial"))
    assert (
        fill(zh.greeting, desk="浪潮客服", agent_number="017")
        == "您好！浪潮客服017号为您服务，请问您有什么需要帮助的吗？"
    )
    over = load_script(
        "zh", {"zh": {"greeting": "您好，{desk} {agent_number}号", "questions": {"name": "贵姓？"}}}
    )
    assert over.greeting == "您好，{desk} {agent_number}号" and over.question("name") == "贵姓？"
    assert over.goodbye == zh.goodbye
    assert fill("{caller} {unknown} {", caller="[b]") == "{caller} {unknown} {"  # malformed: as written
    assert fill("{caller} {unknown}", caller="[b]") == "[b] {unknown}"


def run_cli(db, *args, stdin=None):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from deskterm.cli import make_app

    url = db.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(
        make_app(), ["--db", url, *args], input=stdin, env={"DESKTERM_PASSWORD": "secret-pw"}
    )


def test_cli_create_validates_checks_duplicates_and_saves(db, tmp_path):
    make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    bad = run_cli(
        db, "ticket", "create", "--as", "olga", "--json", "-", stdin='{"customer": "", "impact": "x"}'
    )
    assert bad.exit_code == 2 and "impact: a whole number" in bad.output
    bad = run_cli(
        db, "ticket", "create", "--as", "olga", "--json", "-", stdin='{"customer": "", "phone": "1"}'
    )
    assert bad.exit_code == 2
    assert [line.split(":")[1].strip() for line in bad.output.strip().splitlines()] == [
        "name",
        "organisation",
        "phone",
        "description",
        "category",
    ]
    assert tickets.count_tickets(db) == 0
    fields = {
        "customer": "王芳",
        "organisation": "杭州数据有限公司",
        "phone": "+86 571 8888 1234",
        "description": "VPN 每小时断开一次",
        "category": "Network/VPN",
        "impact": 2,
        "urgency": 2,
        "channel": "email",
    }
    path = tmp_path / "call.json"
    path.write_text(json.dumps(fields, ensure_ascii=False), encoding="utf-8")
    ok = run_cli(db, "ticket", "create", "--as", "olga", "--json", str(path))
    assert ok.exit_code == 0, ok.output
    number = ok.output.strip()
    t = tickets.get_ticket(db, None, number)
    assert t.channel == "email" and t.team == "Network" and t.priority == 3 and t.phone == "+86 571 8888 1234"
    dup = run_cli(db, "ticket", "create", "--as", "olga", "--json", str(path))
    assert dup.exit_code == 3 and f"possible duplicate {number}" in dup.output
    assert tickets.count_tickets(db) == 1
    chased = run_cli(
        db,
        "ticket",
        "create",
        "--as",
        "olga",
        "--json",
        str(path),
        "--on-duplicate",
        "chase",
        "--format",
        "json",
    )
    assert chased.exit_code == 0 and json.loads(chased.output)["outcome"] == "chased"
    assert tickets.get_ticket(db, None, number).chase_count == 1
    shown = run_cli(db, "ticket", "show", number, "--format", "json")
    again = run_cli(
        db, "ticket", "create", "--as", "olga", "--json", "-", "--on-duplicate", "create", stdin=shown.output
    )
    assert again.exit_code == 0, again.output
    assert tickets.count_tickets(db) == 2


def test_a_serial_unknown_with_its_reason_is_an_answer(db):
    """Issue 14: the caller does not know the serial: the reason answers it, and is kept."""
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    form = call(device_model="Corvo L450", device_serial="", category="Hardware/PC")
    with pytest.raises(InvalidInput) as err:
        intake.save_call(db, op, form)
    assert list(err.value.errors) == ["device_serial"]
    form.serial_reason = "label worn off, at home"
    result = intake.save_call(db, op, form)
    assert result.device_id is None
    t = tickets.get_ticket(db, None, result.number)
    assert t.events[0].data["serial_unknown"] == "label worn off, at home"


def test_a_request_in_a_hardware_category_asks_no_device(db):
    """Issue 14: "need a new mouse" is a request, not a fault of a device."""
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    form = call(
        kind="request",
        device_model="",
        device_serial="",
        category="Hardware/PC",
        description="need a new mouse",
    )
    assert not intake.is_device_problem(form)
    result = intake.save_call(db, op, form)
    assert result.device_id is None and result.service_mode == "phone"
    form = call(kind="incident", device_model="", device_serial="", category="Hardware/PC")
    with pytest.raises(InvalidInput) as err:
        intake.save_call(db, op, form)
    assert list(err.value.errors) == ["device_model", "device_serial"]


def test_impact_and_urgency_not_asked_are_refused_unless_solved_at_first_contact(db):
    """Issue 14: no silent P5. A call solved at once (nothing waits) may leave them unasked."""
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    form = call(impact=None, urgency=None)
    with pytest.raises(InvalidInput) as err:
        intake.save_call(db, op, form)
    assert err.value.errors == {"impact": "required: ask the caller", "urgency": "required: ask the caller"}
    form.resolution = "restarted the VPN client"
    result = intake.save_call(db, op, form)
    t = tickets.get_ticket(db, None, result.number)
    assert t.status == "resolved" and (t.impact, t.urgency) == (3, 3)
