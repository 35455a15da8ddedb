"""Caller lookup from four digits (the beginning or the ending), whatever the separators, prefixes
and digit forms; customer search; the screen pop; devices."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from deskterm import clock
from deskterm.models import Customer, CustomerPhone, Device, Organisation
from deskterm.services import customers, directory, intake, phones
from deskterm.services.errors import InvalidInput
from deskterm.services.intake import IntakeForm
from tests.factories import make_agent

PHONES = [
    ("张三", "上海明远科技有限公司", "key", "+86 138 1234 5678"),
    ("李四", "北京华信", "standard", "(010) 8765-4321 ext. 12"),
    ("Bob [b]Smith", "Acme [red]Ltd", "standard", "+1 (555) 010-1234 x12"),
    ("王五", "北京华信", "standard", "138-8299-0000"),
]


def seed(db):  # type: ignore[no-untyped-def]
    ids = {}
    with db.write() as s:
        orgs = {}
        for name, org, klass, phone in PHONES:
            if org not in orgs:
                orgs[org] = Organisation(name=org, customer_class=klass, created_at=clock.now())
                s.add(orgs[org])
                s.flush()
            c = Customer(name=name, organisation_id=orgs[org].id, created_at=clock.now())
            s.add(c)
            s.flush()
            s.add(CustomerPhone(customer_id=c.id, number=phone, digits=phones.digits(phone)))
            ids[name] = c.id
    return ids


def names(rows):  # type: ignore[no-untyped-def]
    return sorted(r.name for r in rows)


def test_lookup_from_four_digits_whatever_the_separators(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    seed(db)
    assert customers.lookup(db, op, "138") == []  # fewer than four digits
    assert names(customers.lookup(db, op, "1381")) == ["张三"]
    assert names(customers.lookup(db, op, "138 1")) == ["张三"]
    assert names(customers.lookup(db, op, "138-8")) == ["王五"]
    assert names(customers.lookup(db, op, "(138)")) == []
    assert names(customers.lookup(db, op, "+86 138 1234")) == ["张三"]
    assert names(customers.lookup(db, op, "0086-13812345678")) == ["张三"]
    assert names(customers.lookup(db, op, "8613812345678")) == ["张三"]  # the bare country prefix
    assert names(customers.lookup(db, op, "010 8765")) == ["李四"]
    assert names(customers.lookup(db, op, "+86 10 8765 4321")) == ["李四"]
    assert names(customers.lookup(db, op, "+1 555 010")) == ["Bob [b]Smith"]
    assert names(customers.lookup(db, op, "555-010-1234")) == ["Bob [b]Smith"]  # without the +1: by ending
    assert names(customers.lookup(db, op, "8765 4321")) == ["李四"]  # without the area code
    assert customers.lookup(db, op, "9999 9999") == []
    match = customers.lookup(db, op, "1381234")[0]
    assert (match.organisation, match.customer_class, match.phone) == (
        "上海明远科技有限公司",
        "key",
        "+86 138 1234 5678",
    )


def test_lookup_across_a_prefix_of_nines(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    with db.write() as s:
        for i, number in enumerate(["19999990000", "19999991111", "20000000000"]):
            c = Customer(name=f"c{i}", created_at=clock.now())
            s.add(c)
            s.flush()
            s.add(CustomerPhone(customer_id=c.id, number=number, digits=number))
    assert names(customers.lookup(db, op, "1999")) == ["c0", "c1"]
    assert names(customers.lookup(db, op, "1999999")) == ["c0", "c1"]
    assert names(customers.lookup(db, op, "9999")) == []  # neither begins nor ends with it
    assert [m.name for m in customers.lookup(db, op, "0000")] == ["c0", "c2"]  # by the ending
    assert names(customers.lookup(db, op, "9990000")) == ["c0"]
    assert phones.prefix_bounds("1999") == ("1999", "2") and phones.prefix_bounds("999") == ("999", None)


def test_the_last_four_digits_find_the_caller_after_the_numbers_beginning_so(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    seed(db)
    assert names(customers.lookup(db, op, "5678")) == ["张三"]  # +86 138 1234 5678
    assert names(customers.lookup(db, op, "43-21")) == ["李四"]  # (010) 8765-4321 ext. 12
    assert names(customers.lookup(db, op, "1234")) == ["Bob [b]Smith"]  # +1 (555) 010-1234 x12
    assert names(customers.lookup(db, op, "0000")) == ["王五"]
    with db.write() as s:
        for i, number in enumerate(["4394 0000", *(f"1390000{n:02d}4394" for n in range(9))]):
            c = Customer(name=f"c{i}", created_at=clock.now())
            s.add(c)
            s.flush()
            s.add(CustomerPhone(customer_id=c.id, number=number, digits=phones.digits(number)))
    found = customers.lookup(db, op, "4394")
    assert [m.name for m in found] == ["c0", *(f"c{i}" for i in range(1, 8))]  # the beginning first, 8 in all
    assert len(customers.lookup(db, op, "4394", limit=3)) == 3
    with db.write() as s:  # ten numbers begin with 1391, six end with it
        for name, number in [*((f"s{i}", f"1391{i:03d}0000") for i in range(10)),
                             *((f"e{i}", f"138000{i}1391") for i in range(6))]:  # fmt: skip
            c = Customer(name=name, created_at=clock.now())
            s.add(c)
            s.flush()
            s.add(CustomerPhone(customer_id=c.id, number=number, digits=number))
    found = [m.name for m in customers.lookup(db, op, "1391")]  # the endings keep half of the list
    assert found == ["s0", "s1", "s2", "s3", "e0", "e1", "e2", "e3"]
    assert [m.name for m in customers.lookup(db, op, "1391", limit=20)][9:] == [
        "s9",
        *(f"e{i}" for i in range(6)),
    ]
    assert customers.lookup(db, op, "394") == []  # fewer than four digits


def test_full_width_and_other_digits_find_and_store_the_same_digits(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    seed(db)
    for typed in ("１３８１", "５６７８", "＋８６ １３８ １２３４", "٥٦٧٨", "۱۳۸۱۲۳۴", "१३८१२३४५६७८"):
        assert names(customers.lookup(db, op, typed)) == ["张三"], typed
    assert phones.digits("＋８６ １３８－００００－１２３４ 转 ８０２１") == "13800001234"
    assert phones.digits("（０１０）８７６５　４３２１ ｅｘｔ．１２") == "01087654321"
    form = IntakeForm(
        name="赵六",
        organisation="北京华信",
        phone="１３８００００１２３４",
        description="VPN 连不上",
        category="Network/VPN",
    )
    intake.save_call(db, op, form)
    with db.read() as s:
        stored = s.exec(select(CustomerPhone.digits).where(CustomerPhone.number == form.phone)).one()
    assert stored == "13800001234"
    for typed in ("13800001234", "1234", "１２３４", "1380000"):
        assert "赵六" in names(customers.lookup(db, op, typed)), typed


def test_search_by_phone_name_or_organisation(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    seed(db)
    with db.write() as s:
        s.add(Customer(name="Hui 100%_sure", created_at=clock.now()))  # no phone, no organisation
    assert names(customers.search(db, op, "4321")) == ["李四"]  # a phone's ending
    assert names(customers.search(db, op, "138 1")) == ["张三"]  # a phone's beginning
    assert names(customers.search(db, op, "BOB")) == ["Bob [b]Smith"]  # case-insensitive
    assert names(customers.search(db, op, "华信")) == ["李四", "王五"]  # an organisation, in CJK
    assert names(customers.search(db, op, "明远科技")) == ["张三"]
    assert names(customers.search(db, op, "acme [red")) == ["Bob [b]Smith"]
    assert names(customers.search(db, op, "0%_s")) == ["Hui 100%_sure"]  # % and _ taken literally
    assert names(customers.search(db, op, "%")) == ["Hui 100%_sure"]
    assert names(customers.search(db, op, "王")) == ["王五"]
    assert len(customers.search(db, op, "i", limit=2)) == 2
    hui = customers.search(db, op, "hui")[0]
    assert (hui.organisation, hui.phone, hui.customer_class) == ("", "", "standard")
    with pytest.raises(InvalidInput):
        customers.search(db, op, "  ")
    with pytest.raises(InvalidInput):
        customers.search(db, op, "x", limit=0)


def test_screen_pop_shows_open_tickets_last_five_and_devices(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    ids = seed(db)
    cid = ids["张三"]
    with db.write() as s:
        s.add(
            Device(
                serial="S-1",
                model="Corvo L450",
                customer_id=cid,
                warranty_end=date(2000, 1, 1),
                created_at=clock.now(),
            )
        )
    for i in range(7):
        form = IntakeForm(
            customer_id=cid,
            name="张三",
            organisation="上海明远科技有限公司",
            phone="13812345678",
            description=f"problem number {i} " + "x" * i,
            category="Network/VPN",
            summary=f"p{i}",
        )
        intake.save_call(db, op, form, on_duplicate="create")
    pop = customers.caller_pop(db, op, cid)
    assert pop.caller.name == "张三" and pop.caller.customer_class == "key"
    assert len(pop.open_tickets) == 7
    assert [t.summary for t in pop.recent] == ["p6", "p5", "p4", "p3", "p2"]
    (device,) = pop.devices
    assert device.serial == "S-1" and device.warranty == "out" and device.owner == "张三"
    other = customers.caller_pop(db, op, ids["李四"])
    assert other.open_tickets == [] and other.recent == [] and other.devices == []


def test_device_by_serial_computes_warranty_and_suggests_its_category(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    ids = seed(db)
    with db.write() as s:
        s.add(
            Device(
                serial="X1C-ABC",
                model="Corvo L450",
                customer_id=ids["李四"],
                warranty_end=clock.now().date() + timedelta(days=1),
                created_at=clock.now(),
            )
        )
    assert customers.device_by_serial(db, op, "nope") is None
    d = customers.device_by_serial(db, op, " x1c-abc ")
    assert d is not None and d.model == "Corvo L450" and d.warranty == "in" and d.owner == "李四"
    assert d.organisation == "北京华信" and d.category == ""
    form = IntakeForm(
        customer_id=ids["李四"],
        name="李四",
        organisation="北京华信",
        phone="010 8765 4321",
        device_serial="X1C-ABC",
        description="Fan is loud",
        category="Hardware/PC",
    )
    intake.save_call(db, op, form)
    assert customers.device_by_serial(db, op, "X1C-ABC").category == "Hardware/PC"
    assert directory.warranty_status(None) == "unknown"
    assert directory.warranty_status(date(2020, 1, 1), date(2020, 1, 1)) == "in"
    assert directory.warranty_status(date(2020, 1, 1), date(2020, 1, 2)) == "out"
