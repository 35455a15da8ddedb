"""Issue 12.3 at the service: a picked caller whose name or organisation was edited is neither
saved over nor dropped; the operator's choice (update the contact / new contact in the same
organisation / new customer) is explicit and an inconsistent one is refused. A restored draft's
ids are checked against this database before use. Drafts belong to one login on one desk."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from deskterm import clock
from deskterm.models import Customer, CustomerPhone, KbArticle, Organisation
from deskterm.services import intake, tickets
from deskterm.services.drafts import DraftStore, desk_key
from deskterm.services.errors import InvalidInput
from deskterm.services.intake import CallerChanged, IntakeForm
from tests.factories import make_agent
from tests.services.test_intake import add_caller


def _form(cid: int | None, **fields) -> IntakeForm:  # type: ignore[no-untyped-def]
    values = {
        "customer_id": cid,
        "name": "Li Lei",
        "organisation": "Acme Ltd",
        "phone": "+86 139 0000 1111",
        "description": "VPN drops every hour",
        "category": "Network/VPN",
    }
    values.update(fields)
    return IntakeForm(**values)


def _people(db) -> list[tuple[str, str, list[str]]]:  # type: ignore[no-untyped-def]
    with db.read() as s:
        rows = []
        for c in s.exec(select(Customer).order_by(Customer.id)).all():
            org = s.get(Organisation, c.organisation_id)
            phones = s.exec(select(CustomerPhone.digits).where(CustomerPhone.customer_id == c.id)).all()
            rows.append((c.name, org.name if org else "", sorted(phones)))
        return rows


@pytest.fixture
def desk(db):  # type: ignore[no-untyped-def]
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    cid = add_caller(db)  # Li Lei, Acme Ltd, 139 0000 1111
    return db, op, cid


def test_a_picked_caller_with_an_edited_name_is_asked_about_and_nothing_is_saved(desk):
    db, op, cid = desk
    with pytest.raises(CallerChanged) as refused:  # today: saved under Li Lei, "Han Meimei" dropped
        intake.save_call(db, op, _form(cid, name="Han Meimei", phone="021-6123 4567"))
    assert refused.value.choices == ("update", "new_contact", "new_customer")
    assert (refused.value.picked.name, refused.value.name) == ("Li Lei", "Han Meimei")
    assert tickets.count_tickets(db) == 0
    assert _people(db) == [("Li Lei", "Acme Ltd", ["13900001111"])]  # no phone added to anyone


def test_case_and_spacing_are_no_change(desk):
    db, op, cid = desk
    result = intake.save_call(db, op, _form(cid, name=" li  LEI ", organisation="acme ltd"))
    assert result.customer_id == cid
    assert _people(db) == [("Li Lei", "Acme Ltd", ["13900001111"])]


def test_update_this_contact(desk):
    db, op, cid = desk
    form = _form(cid, name="Li Lei (IT)", organisation="Acme Group")
    result = intake.save_call(db, op, form, caller_choice="update")
    assert result.customer_id == cid
    assert _people(db) == [("Li Lei (IT)", "Acme Group", ["13900001111"])]
    created = tickets.get_ticket(db, op, result.number).events[0]
    assert created.data["caller"] == {
        "choice": "update",
        "was": {"customer_id": cid, "name": "Li Lei", "organisation": "Acme Ltd"},
    }


def test_new_contact_in_the_same_organisation(desk):
    db, op, cid = desk
    form = _form(cid, name="Han Meimei", phone="021-6123 4567")
    result = intake.save_call(db, op, form, caller_choice="new_contact")
    assert result.customer_id != cid
    assert _people(db) == [
        ("Li Lei", "Acme Ltd", ["13900001111"]),
        ("Han Meimei", "Acme Ltd", ["02161234567"]),
    ]
    t = tickets.get_ticket(db, op, result.number)
    assert (t.customer, t.organisation) == ("Han Meimei", "Acme Ltd")


def test_new_customer(desk):
    db, op, cid = desk
    form = _form(cid, name="Wang Fang", organisation="Beta Corp")
    result = intake.save_call(db, op, form, caller_choice="new_customer")
    assert _people(db) == [
        ("Li Lei", "Acme Ltd", ["13900001111"]),
        ("Wang Fang", "Beta Corp", ["13900001111"]),  # the number they called from is theirs too
    ]
    assert result.customer_id != cid


def test_an_inconsistent_choice_is_refused(desk):
    db, op, cid = desk
    other_org = _form(cid, name="Wang Fang", organisation="Beta Corp")
    with pytest.raises(CallerChanged) as refused:
        intake.save_call(db, op, other_org)
    assert refused.value.choices == ("update", "new_customer")
    with pytest.raises(InvalidInput) as bad:
        intake.save_call(db, op, other_org, caller_choice="new_contact")
    assert "organisation" in bad.value.errors
    with pytest.raises(InvalidInput) as bad:
        intake.save_call(db, op, _form(None), caller_choice="update")  # nothing was picked
    assert "caller_choice" in bad.value.errors
    with pytest.raises(InvalidInput):
        intake.save_call(db, op, _form(cid), caller_choice="merge")
    assert tickets.count_tickets(db) == 0
    assert _people(db) == [("Li Lei", "Acme Ltd", ["13900001111"])]


def test_a_restored_drafts_ids_are_checked_against_this_database(desk):
    db, op, cid = desk
    stranger = add_caller(db, name="Zhao Min", org="Gamma Ltd", phone="13700000000")
    with db.write() as s:
        article = KbArticle(
            external_id="KB-0001", title="Reset the VPN", created_at=clock.now(), updated_at=clock.now()
        )
        s.add(article)
        s.flush()
        article_id = article.id
    meant = {"name": "Li Lei", "organisation": "Acme Ltd"}

    def draft(customer_id, picked, **more):  # type: ignore[no-untyped-def]
        data = json.loads(json.dumps(_form(customer_id, **more).as_json()))
        return data | ({"_picked": picked} if picked is not None else {})

    same = intake.restore_draft(db, op, draft(cid, meant))
    assert same.form.customer_id == cid and same.caller is not None and same.dropped == []
    # on the desk the draft came from, that id was Sun Li's; here it is somebody else
    sun = {"name": "Sun Li", "organisation": "Delta Ltd"}
    foreign = intake.restore_draft(
        db, op, draft(stranger, sun, name="Sun Li", organisation="Delta Ltd", phone="135 1111 2222")
    )
    assert (foreign.form.customer_id, foreign.caller, foreign.dropped) == (None, None, ["caller"])
    assert (foreign.form.name, foreign.form.phone) == ("Sun Li", "135 1111 2222")  # the typed text stays
    assert intake.restore_draft(db, op, draft(cid + 1000, meant)).dropped == ["caller"]
    assert intake.restore_draft(db, op, draft(cid, None)).dropped == ["caller"]
    kept = intake.restore_draft(
        db, op, draft(cid, meant, kb_article_id=article_id, resolution="KB-0001 Reset the VPN")
    )
    assert kept.form.kb_article_id == article_id and kept.dropped == []
    other = intake.restore_draft(
        db, op, draft(cid, meant, kb_article_id=article_id, resolution="KB-0009 Something else")
    )
    assert (other.form.kb_article_id, other.form.resolution, other.dropped) == (None, "", ["article"])
    result = intake.save_call(db, op, foreign.form)  # a new caller here, not the stranger
    assert result.customer_id not in (cid, stranger)
    assert _people(db) == [
        ("Li Lei", "Acme Ltd", ["13900001111"]),
        ("Zhao Min", "Gamma Ltd", ["13700000000"]),  # no phone added to a stranger
        ("Sun Li", "Delta Ltd", ["13511112222"]),
    ]


def test_a_draft_belongs_to_one_login_on_one_desk(tmp_path):
    here, there = desk_key("sqlite:///desk-a.db"), desk_key("postgresql://desk@db.example:5432/desk")
    assert desk_key("postgresql://desk:secret@db.example:5432/desk") == there  # no password in it
    assert desk_key("postgresql+psycopg://desk@db.example:5432/desk") == there
    DraftStore(tmp_path, "olga", here).save({"name": "张三"})
    assert DraftStore(tmp_path, "olga", here).load() == {"name": "张三"}
    assert DraftStore(tmp_path, "olga", there).load() is None
    assert DraftStore(tmp_path, "bob", here).load() is None
    assert DraftStore(tmp_path, "olga_x", here).path != DraftStore(tmp_path, "olga x", here).path
    # a file copied over from elsewhere is not taken for this desk's
    DraftStore(tmp_path, "olga", there).path.write_bytes(DraftStore(tmp_path, "olga", here).path.read_bytes())
    assert DraftStore(tmp_path, "olga", there).load() is None
