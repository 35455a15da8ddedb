"""The demo desk's callers: organisations, customers with phones written the way callers give them,
and their devices with warranty dates, bulk-loaded."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from ..db import Database, bulk_insert
from .demo_tables import (
    AREA_CODES,
    DEVICE_MODELS,
    EN_ADJ,
    EN_FIRST,
    EN_LAST,
    EN_TRADE,
    ZH_CITIES,
    ZH_CORE,
    ZH_GIVEN,
    ZH_SURNAMES,
    ZH_TRADE,
)
from .phones import digits as phone_digits


def next_id(conn: Connection, table: str) -> int:
    return (conn.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1


def fix_sequences(conn: Connection, tables: Sequence[str]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        )


@contextlib.contextmanager
def checks_after_load(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Inside the load's transaction: those of `tables` that are empty (a new desk) lose their
    secondary indexes for the load, and on PostgreSQL their foreign keys too, and get them back
    after it: each index built by one sort instead of a random insert per row, each foreign key
    checked by one join instead of a trigger per row (the ticket has sixteen indexes and eight
    keys). A failed load rolls back with them, so nothing is lost whatever happens. On PostgreSQL
    only tables the role owns; primary keys and unique constraints are kept."""
    empty = [t for t in tables if conn.exec_driver_sql(f"SELECT 1 FROM {t} LIMIT 1").first() is None]
    if conn.dialect.name == "sqlite":
        found = conn.execute(
            text(
                "SELECT 'DROP INDEX ' || name, sql FROM sqlite_master WHERE type = 'index' "
                "AND sql IS NOT NULL AND tbl_name IN (SELECT value FROM json_each(:t))"
            ),
            {"t": json.dumps(empty)},
        ).all()
    else:
        found = conn.execute(
            text(
                "SELECT 'DROP INDEX ' || quote_ident(c.relname), pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE t.relname = ANY(:t) AND t.relnamespace = to_regnamespace(current_schema()) "
                "AND pg_has_role(t.relowner, 'USAGE') AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
                "UNION ALL SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', t.relname, k.conname), "
                "format('ALTER TABLE %I ADD CONSTRAINT %I %s', t.relname, k.conname, "
                "pg_get_constraintdef(k.oid)) "
                "FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid "
                "WHERE k.contype = 'f' AND t.relname = ANY(:t) "
                "AND t.relnamespace = to_regnamespace(current_schema()) AND pg_has_role(t.relowner, 'USAGE')"
            ),
            {"t": empty},
        ).all()
    for drop, _create in found:
        conn.exec_driver_sql(drop)
    yield
    if found and conn.dialect.name == "postgresql":  # a million tickets' indexes sorted in memory
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
    for _drop, create in found:
        conn.exec_driver_sql(create)


def zh_name(rng: random.Random) -> str:
    return rng.choice(ZH_SURNAMES) + "".join(rng.choice(ZH_GIVEN) for _ in range(rng.choice((1, 2))))


def en_name(rng: random.Random) -> str:
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


def phone_as_given(rng: random.Random) -> str:
    """A phone written the way callers give them (DOMAIN.md)."""
    kind = rng.random()
    if kind < 0.6:
        n = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        return rng.choice([n, f"+86 {n[:3]} {n[3:7]} {n[7:]}", f"{n[:3]}-{n[3:7]}-{n[7:]}"])
    if kind < 0.9:
        area = rng.choice(AREA_CODES)
        local = f"{rng.randrange(2, 9)}{rng.randrange(10**7):07d}"
        ext = f" 转 {rng.randrange(100, 9999)}" if rng.random() < 0.3 else ""
        return rng.choice([f"{area}-{local[:4]} {local[4:]}{ext}", f"({area}) {local[:4]}-{local[4:]}{ext}"])
    return f"+1 (555) {rng.randrange(1000):03d}-{rng.randrange(10**4):04d}"


@dataclass
class People:
    """What add_people added: the ids the tickets use."""

    organisations: int
    first_customer: int
    devices: int
    devices_by_customer: dict[int, list[tuple[int, str, str]]]  # customer -> (device id, category, model)


def add_people(db: Database, rng: random.Random, *, customers: int, seed: int, now: datetime) -> People:
    """Organisations, customers, phones and devices (ids continue from what the desk has)."""
    n_orgs = max(20, customers // 25)
    with db.write() as s:
        conn = s.connection()
        org0, cust0, phone0, dev0 = (
            next_id(conn, t) for t in ("organisation", "customer", "customer_phone", "device")
        )
        orgs, names_used = [], set()
        for i in range(n_orgs):
            while True:
                if rng.random() < 0.6:
                    name = f"{rng.choice(ZH_CITIES)}{rng.choice(ZH_CORE)}{rng.choice(ZH_TRADE)}有限公司"
                else:
                    name = (
                        f"{rng.choice(EN_ADJ)} {rng.choice(EN_TRADE)} {rng.choice(['Ltd', 'Group', 'Co.'])}"
                    )
                name = f"{name} #{seed}-{i}" if name in names_used else name
                if name not in names_used:
                    break
            names_used.add(name)
            orgs.append(
                (org0 + i, name, "key" if rng.random() < 0.15 else "standard", now - timedelta(days=400))
            )
        existing = set(conn.execute(text("SELECT name FROM organisation")).scalars())
        orgs = [o for o in orgs if o[1] not in existing]
        bulk_insert(conn, "organisation", ["id", "name", "customer_class", "created_at"], orgs)
        org_ids = [o[0] for o in orgs] or [org0]
        cust_rows: list[tuple[Any, ...]] = []
        phone_rows: list[tuple[Any, ...]] = []
        dev_rows: list[tuple[Any, ...]] = []
        devices_by_customer: dict[int, list[tuple[int, str, str]]] = {}
        serial_seen: set[str] = set()
        for i in range(customers):
            cid = cust0 + i
            name = zh_name(rng) if rng.random() < 0.6 else en_name(rng)
            cust_rows.append(
                (cid, name, rng.choice(org_ids), "", now - timedelta(days=rng.randrange(90, 900)))
            )
            for _ in range(1 if rng.random() < 0.85 else 2):
                given = phone_as_given(rng)
                phone_rows.append((phone0 + len(phone_rows), cid, given, phone_digits(given)))
            for _ in range(rng.choice((0, 1, 1, 2))):
                model, _kind, cat = rng.choice(DEVICE_MODELS)
                while True:
                    serial = f"{model.split()[-1].replace('-', '')}-{rng.randrange(36**6):06X}"
                    if serial not in serial_seen:
                        break
                serial_seen.add(serial)
                did = dev0 + len(dev_rows)
                warranty = (now + timedelta(days=rng.randrange(-700, 1100))).date()
                dev_rows.append(
                    (did, f"{serial}-{seed}" if seed != 1 else serial, model, cid, None, warranty, now)
                )
                devices_by_customer.setdefault(cid, []).append((did, cat, model))
        bulk_insert(conn, "customer", ["id", "name", "organisation_id", "email", "created_at"], cust_rows)
        bulk_insert(conn, "customer_phone", ["id", "customer_id", "number", "digits"], phone_rows)
        bulk_insert(
            conn,
            "device",
            ["id", "serial", "model", "customer_id", "organisation_id", "warranty_end", "created_at"],
            dev_rows,
        )
        fix_sequences(conn, ["organisation", "customer", "customer_phone", "device"])
    return People(len(orgs), cust0, len(dev_rows), devices_by_customer)
