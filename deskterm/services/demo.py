"""Realistic bilingual demo data: organisations, callers with phones, devices with warranty dates,
agents in teams and tiers with a manager chain, and tickets in every status with their histories,
spread over the last 90 days. Bulk-loaded (COPY on PostgreSQL, executemany on SQLite), so a
million tickets load in minutes, not hours."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, text
from sqlmodel import select

from .. import clock
from ..db import Database, bulk_insert
from ..models import OPEN_STATUSES, Category, Status, Team
from . import reference
from .auth import Actor, hash_password, require
from .errors import PermissionDenied
from .phones import digits as phone_digits
from .priority import priority_for
from .sla import policy_for
from .sla_calendar import due_time

Progress = Callable[[str, int, int], None]  # (stage, done, total)

DEMO_PASSWORD = "demo"

# (login, name, number, role, tier, team, manager, language) — the demo cast, in manager order.
DEMO_AGENTS: list[tuple[str, str, str, str, int, str, str | None, str]] = [
    ("admin", "Admin", "001", "admin", 3, "Service Desk", None, "en"),
    ("head", "Zhou Min 周敏", "002", "supervisor", 3, "Service Desk", None, "zh"),
    ("supervisor", "Sarah Lin", "010", "supervisor", 2, "Service Desk", "head", "en"),
    ("operator", "Olivia Chen", "017", "operator", 1, "Service Desk", "supervisor", "en"),
    ("wang.fang", "王芳", "018", "operator", 1, "Service Desk", "supervisor", "zh"),
    ("li.na", "李娜", "019", "operator", 1, "Service Desk", "supervisor", "zh"),
    ("tom.baker", "Tom Baker", "020", "operator", 1, "Service Desk", "supervisor", "en"),
    ("eng.lead", "Liu Yang 刘洋", "030", "supervisor", 3, "Desktop Support", "head", "zh"),
    ("engineer", "Ethan Park", "031", "engineer", 2, "Desktop Support", "eng.lead", "en"),
    ("zhang.wei", "张伟", "032", "engineer", 2, "Desktop Support", "eng.lead", "zh"),
    ("chen.jie", "陈杰", "033", "engineer", 2, "Network", "eng.lead", "zh"),
    ("maria.g", "Maria Garcia", "034", "engineer", 2, "Network", "eng.lead", "en"),
    ("zhao.lei", "赵磊", "035", "engineer", 2, "Accounts", "eng.lead", "zh"),
    ("sam.okoro", "Sam Okoro", "036", "engineer", 2, "Accounts", "eng.lead", "en"),
    ("huang.li", "黄丽", "037", "engineer", 2, "Messaging", "eng.lead", "zh"),
    ("ivan.p", "Ivan Petrov", "038", "engineer", 2, "Server Engineering", "eng.lead", "en"),
    ("sun.hao", "孙浩", "039", "engineer", 2, "Server Engineering", "eng.lead", "zh"),
    ("zhou.qiang", "周强", "040", "engineer", 2, "ERP Team", "eng.lead", "zh"),
    ("nina.k", "Nina Kowalski", "041", "engineer", 2, "ERP Team", "eng.lead", "en"),
    ("wu.tao", "吴涛", "042", "engineer", 2, "Telephony", "eng.lead", "zh"),
    ("xu.ming", "徐明", "043", "engineer", 2, "Security", "eng.lead", "zh"),
    ("omar.h", "Omar Haddad", "044", "engineer", 2, "Security", "eng.lead", "en"),
    ("ma.jun", "马军", "045", "engineer", 2, "Repair Centre", "eng.lead", "zh"),
    ("kate.d", "Kate Doyle", "046", "engineer", 2, "Repair Centre", "eng.lead", "en"),
    ("expert", "Gao Feng 高峰", "050", "engineer", 3, "Server Specialists", "eng.lead", "zh"),
    ("raj.s", "Raj Sharma", "051", "engineer", 3, "Server Specialists", "eng.lead", "en"),
]

ZH_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
ZH_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉梅志强文斌晓东海燕红"
EN_FIRST = [
    "James",
    "Mary",
    "John",
    "Linda",
    "Robert",
    "Susan",
    "Michael",
    "Karen",
    "David",
    "Lisa",
    "William",
    "Nancy",
    "Richard",
    "Betty",
    "Joseph",
    "Sandra",
    "Thomas",
    "Ashley",
    "Daniel",
    "Emily",
    "Paul",
    "Donna",
    "Mark",
    "Michelle",
    "Steven",
    "Laura",
    "Kevin",
    "Sarah",
    "Brian",
    "Amy",
]
EN_LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
]
ZH_CITIES = [
    "上海",
    "北京",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "成都",
    "武汉",
    "天津",
    "苏州",
    "西安",
    "青岛",
    "济南",
    "呼和浩特",
    "长沙",
]
ZH_CORE = [
    "华信",
    "恒通",
    "中科",
    "鑫达",
    "远航",
    "星辰",
    "金桥",
    "万达",
    "海川",
    "瑞丰",
    "嘉禾",
    "天成",
    "博远",
    "东方",
    "宏图",
    "新锐",
    "蒙牛",
    "伊泰",
]
ZH_TRADE = [
    "乳业",
    "物流",
    "科技",
    "制药",
    "银行",
    "证券",
    "电力",
    "医院",
    "学校",
    "地产",
    "化工",
    "汽车",
    "食品",
    "传媒",
]
EN_ADJ = [
    "Northwind",
    "Bluewater",
    "Summit",
    "Pioneer",
    "Evergreen",
    "Silverline",
    "Redwood",
    "Harbor",
    "Granite",
    "Meridian",
]
EN_TRADE = [
    "Logistics",
    "Dairy",
    "Bank",
    "Hospital",
    "Foods",
    "Energy",
    "Pharma",
    "Motors",
    "Media",
    "Insurance",
    "Retail",
    "Labs",
]
AREA_CODES = ["010", "021", "020", "0755", "0571", "025", "028", "027", "022", "0471"]

# (model, kind, category)
DEVICE_MODELS = [
    ("Helix NS5280", "server", "Hardware/Server"),
    ("Helix NS8480", "server", "Hardware/Server"),
    ("Corvo L450", "laptop", "Hardware/PC"),
    ("Corvo B570", "laptop", "Hardware/PC"),
    ("Printek LP-2100", "printer", "Hardware/Printer"),
    ("Printek MF-4500", "printer", "Hardware/Printer"),
    ("VP-200", "phone", "Telephony"),
]

# Problems by category: (English summary, Chinese summary, English symptoms, Chinese symptoms)
PROBLEMS: dict[str, list[tuple[str, str, str, str]]] = {
    "Hardware/PC": [
        (
            "Laptop will not power on",
            "笔记本无法开机",
            "Pressing the power button does nothing; the charging light is off.",
            "按电源键没有反应，充电指示灯不亮。",
        ),
        (
            "Laptop battery drains fast",
            "笔记本电池掉电快",
            "Battery goes from full to empty in an hour.",
            "电池充满后一小时就没电了。",
        ),
        (
            "PC is very slow",
            "电脑运行很慢",
            "Opening any program takes minutes since yesterday.",
            "从昨天开始打开任何程序都要几分钟。",
        ),
        (
            "Blue screen on start-up",
            "开机蓝屏",
            "Blue screen with CRITICAL_PROCESS_DIED after the update.",
            "更新后开机蓝屏，提示CRITICAL_PROCESS_DIED。",
        ),
    ],
    "Hardware/Printer": [
        (
            "Paper jam on the printer",
            "打印机卡纸",
            "The printer shows a red light and paper is stuck inside.",
            "打印机亮红灯，里面卡着纸。",
        ),
        (
            "Print jobs stuck in the queue",
            "打印任务卡在队列中",
            "Documents sit in the queue and never print.",
            "文档一直在打印队列里，打印不出来。",
        ),
        (
            "Scanner does not send to e-mail",
            "扫描无法发送到邮箱",
            "Scan to e-mail fails with an SMTP error.",
            "扫描到邮箱时提示SMTP错误。",
        ),
    ],
    "Hardware/Server": [
        (
            "RAID degraded on the server",
            "服务器RAID降级",
            "The management console reports a degraded virtual disk.",
            "管理界面提示虚拟磁盘降级。",
        ),
        (
            "Server fan alarm",
            "服务器风扇告警",
            "The front panel shows a fan failure and the server is loud.",
            "前面板显示风扇故障，服务器噪音很大。",
        ),
        (
            "Server does not boot after power cut",
            "断电后服务器无法启动",
            "After the power cut the server stops at the BIOS screen.",
            "断电后服务器停在BIOS界面。",
        ),
    ],
    "Network/VPN": [
        (
            "VPN cannot connect",
            "VPN连接不上",
            "The VPN client times out when connecting from home.",
            "在家连接VPN客户端超时。",
        ),
        (
            "VPN connected but intranet does not open",
            "VPN已连接但无法访问内网",
            "VPN says connected, intranet sites do not load.",
            "VPN显示已连接，但打不开内网网站。",
        ),
    ],
    "Network/Wi-Fi": [
        (
            "Wi-Fi drops every few minutes",
            "无线网络频繁掉线",
            "The laptop loses Wi-Fi in the meeting rooms.",
            "在会议室笔记本经常断开无线。",
        ),
        (
            "No internet on the 3rd floor",
            "三楼无法上网",
            "Nobody on the third floor can open websites.",
            "三楼所有人都打不开网页。",
        ),
    ],
    "Accounts/Password": [
        (
            "Account locked out",
            "账户被锁定",
            "Too many wrong passwords; Windows says the account is locked.",
            "密码输错多次，提示账户已锁定。",
        ),
        (
            "Password expired",
            "密码过期",
            "Cannot log in: the password has expired.",
            "登录时提示密码已过期。",
        ),
    ],
    "Accounts/Access": [
        (
            "Need access to the finance share",
            "需要开通财务共享盘权限",
            "New colleague needs read access to the finance share.",
            "新同事需要财务共享盘的读取权限。",
        ),
    ],
    "E-mail": [
        (
            "Outlook does not open",
            "Outlook打不开",
            "Outlook hangs on the loading profile screen.",
            "Outlook卡在正在加载配置文件界面。",
        ),
        (
            "Mailbox full",
            "邮箱已满",
            "Cannot send mail: the mailbox is over its quota.",
            "邮箱超出配额，无法发送邮件。",
        ),
    ],
    "ERP/Login": [
        (
            "Cannot log in to ERP",
            "无法登录ERP",
            "ERP says the responsibility is not valid.",
            "登录ERP提示职责无效。",
        ),
    ],
    "ERP/Reports": [
        (
            "ERP report ends with an error",
            "ERP报表运行出错",
            "The month-end report request ends in Error.",
            "月结报表请求状态为错误。",
        ),
    ],
    "Telephony": [
        (
            "Desk phone has no dial tone",
            "座机没有拨号音",
            "The VP-200 shows 'No service' and no dial tone.",
            "VP-200显示无服务，没有拨号音。",
        ),
    ],
    "Security/Virus and phishing": [
        (
            "Suspicious e-mail received",
            "收到可疑邮件",
            "An e-mail asks to confirm the bank password via a link.",
            "邮件要求通过链接确认银行密码。",
        ),
        (
            "Antivirus found a virus",
            "杀毒软件发现病毒",
            "The antivirus quarantined a file from a USB stick.",
            "杀毒软件隔离了U盘中的一个文件。",
        ),
    ],
    "Warranty and repair": [
        (
            "Repair status of a laptop",
            "查询笔记本维修进度",
            "Caller sent the laptop for repair last week and asks for news.",
            "客户上周寄修笔记本，询问维修进度。",
        ),
    ],
    "Consultation": [
        (
            "How to book a meeting room",
            "如何预订会议室",
            "Caller asks how to book a meeting room with a projector.",
            "客户咨询如何预订带投影的会议室。",
        ),
        (
            "Warranty period question",
            "保修期咨询",
            "Caller asks how long the warranty of a new laptop is.",
            "客户咨询新笔记本的保修期。",
        ),
    ],
}

SURVEY_FIELDS = ("attitude", "quality", "technical", "speed")

NOTES_EN = [
    "Called the customer, reproduced the problem.",
    "Waiting for the spare part from the warehouse.",
    "Remote session done; customer confirms it works.",
    "Replaced the part on site.",
]
NOTES_ZH = ["已致电客户，复现了问题。", "等待仓库备件。", "已远程处理，客户确认正常。", "已上门更换配件。"]


@dataclass
class DemoSummary:
    agents: int
    organisations: int
    customers: int
    devices: int
    tickets: int
    events: int


def _next_id(conn: Connection, table: str) -> int:
    return (conn.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1


def _fix_sequences(conn: Connection, tables: Sequence[str]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        )


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


def ensure_agents(
    db: Database, actor: Actor | None = None, *, with_demo_logins: bool = False
) -> dict[str, int]:
    """The demo cast (idempotent); returns login -> id. A desk that has agents already takes demo
    data only from an admin (`actor`), and the demo logins (their password is published: 'demo')
    only when asked for them."""
    from ..models import Agent
    from .agents import lock_agent_table

    reference.seed(db)
    with db.write() as s:
        lock_agent_table(s)
        teams = {t.name: t.id for t in s.exec(select(Team)).all()}
        have = {a.login: a for a in s.exec(select(Agent)).all()}
        if have:
            if actor is None:
                raise PermissionDenied("this desk has agents: only an admin may add demo data to it")
            require(s, actor, "demo.load")
            missing = [a[0] for a in DEMO_AGENTS if a[0] not in have]
            if missing and not with_demo_logins:
                raise PermissionDenied(
                    "this desk has agents: demo data would add logins with the published password "
                    f"'{DEMO_PASSWORD}' ({', '.join(missing[:3])}, ...); ask for them explicitly "
                    "(--with-demo-logins)"
                )
        for login, name, number, role, tier, team, manager, lang in DEMO_AGENTS:
            if login in have:
                continue
            if any(a.number == number for a in have.values()):
                number = f"9{number}"
            agent = Agent(
                login=login,
                name=name,
                number=number,
                role=role,
                tier=tier,
                team_id=teams[team],
                manager_id=have[manager].id if manager and manager in have else None,
                email=f"{login}@desk.example",
                password_hash=hash_password(DEMO_PASSWORD),
                kb_editor=role != "operator" or login == "wang.fang",
                language=lang,
                created_at=clock.now(),
            )
            s.add(agent)
            s.flush()
            have[login] = agent
        return {login: a.id for login, a in have.items()}  # type: ignore[misc]


def generate(
    db: Database,
    *,
    actor: Actor | None = None,
    with_demo_logins: bool = False,
    tickets: int = 3000,
    customers: int | None = None,
    seed: int = 1,
    progress: Progress | None = None,
    batch: int = 20_000,
) -> DemoSummary:
    """Add demo data to a migrated database. Run again to add more (ids continue). A desk with
    agents takes it only from an admin (`actor`), and the demo logins only `with_demo_logins`."""
    rng = random.Random(seed)
    report = progress or (lambda stage, done, total: None)
    agent_ids = ensure_agents(db, actor, with_demo_logins=with_demo_logins)
    customers = customers or max(200, tickets // 20)
    now = clock.now()
    with db.read() as s:
        teams = {t.id: t for t in s.exec(select(Team)).all()}
        categories = {c.path: c for c in s.exec(select(Category)).all()}
        calendars = {p: policy_for(s, p, "standard") for p in range(1, 6)}
    team_engineers: dict[int, list[int]] = {}
    for login, _n, _num, role, _tier, team, _m, _l in DEMO_AGENTS:
        if role == "engineer":
            tid = next(t.id for t in teams.values() if t.name == team)
            team_engineers.setdefault(tid, []).append(agent_ids[login])  # type: ignore[arg-type]
    operators = [agent_ids[a[0]] for a in DEMO_AGENTS if a[3] == "operator"]

    # organisations, customers, phones, devices
    n_orgs = max(20, customers // 25)
    with db.write() as s:
        conn = s.connection()
        org0, cust0, phone0, dev0 = (
            _next_id(conn, t) for t in ("organisation", "customer", "customer_phone", "device")
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
        cust_rows, phone_rows, dev_rows = [], [], []
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
        _fix_sequences(conn, ["organisation", "customer", "customer_phone", "device"])
    report("customers", customers, customers)

    cat_paths = list(PROBLEMS)

    @lru_cache(maxsize=200_000)
    def due(prio: int, slot: datetime, minutes_kind: int) -> datetime:
        policy, cal = calendars[prio]
        return due_time(cal, slot, policy.respond_minutes if minutes_kind == 0 else policy.resolve_minutes)

    total_events = 0
    done = 0
    span = 90 * 86400
    while done < tickets:
        n = min(batch, tickets - done)
        with db.write() as s:
            conn = s.connection()
            top = conn.execute(
                text("UPDATE counter SET value = value + :n WHERE name = 'ticket' RETURNING value"), {"n": n}
            ).scalar_one()
            first_number = top - n + 1
            tid0, ev0 = _next_id(conn, "ticket"), _next_id(conn, "ticket_event")
            log0 = _next_id(conn, "agent_state_log")
            t_rows, e_rows = [], []
            log_rows: list[tuple[Any, ...]] = []  # the operator's talk and wrap-up (handle time)
            cb_rows: list[tuple[Any, ...]] = []
            sv_rows: list[tuple[Any, ...]] = []
            for i in range(n):
                tid = tid0 + i
                # newer tickets are likelier (the backlog is recent); business hours likelier
                age = span * (rng.random() ** 1.6)
                created = now - timedelta(seconds=age)
                if created.hour < 1 or created.hour > 10:  # outside 09-18 Shanghai (UTC+8)
                    created = created - timedelta(hours=rng.randrange(0, 8))
                cust = cust0 + rng.randrange(customers)
                devs = devices_by_customer.get(cust, [])
                if devs and rng.random() < 0.55:
                    device_id, cat_path, _model = rng.choice(devs)
                else:
                    device_id, cat_path = None, rng.choice(cat_paths)
                cat = categories[cat_path]
                summary_en, summary_zh, sym_en, sym_zh = rng.choice(PROBLEMS[cat_path])
                zh = rng.random() < 0.55
                summary, symptoms = (summary_zh, sym_zh) if zh else (summary_en, sym_en)
                kind = (
                    "consultation"
                    if cat_path == "Consultation"
                    else rng.choices(["incident", "request", "complaint"], [0.8, 0.17, 0.03])[0]
                )
                impact, urgency = rng.choice((1, 2, 2, 3, 3, 3)), rng.choice((1, 2, 2, 3, 3))
                prio = priority_for(impact, urgency)
                team = teams[cat.team_id]  # type: ignore[index]
                slot = created.replace(second=0, microsecond=0, minute=created.minute - created.minute % 10)
                offset = created - slot
                respond_by = due(prio, slot, 0) + offset
                resolve_by = due(prio, slot, 1) + offset
                # status by age: most old tickets are closed, recent ones still open
                days = age / 86400
                r = rng.random()
                if days > 20:
                    status = (
                        Status.CLOSED if r < 0.985 else (Status.RESOLVED if r < 0.995 else Status.IN_PROGRESS)
                    )
                elif days > 3:
                    status = rng.choices(
                        [
                            Status.CLOSED,
                            Status.RESOLVED,
                            Status.IN_PROGRESS,
                            Status.PENDING_CUSTOMER,
                            Status.ASSIGNED,
                        ],
                        [0.78, 0.10, 0.06, 0.03, 0.03],
                    )[0]
                else:
                    status = rng.choices(
                        [
                            Status.NEW,
                            Status.ASSIGNED,
                            Status.IN_PROGRESS,
                            Status.PENDING_THIRD_PARTY,
                            Status.RESOLVED,
                            Status.CLOSED,
                        ],
                        [0.3, 0.2, 0.25, 0.05, 0.12, 0.08],
                    )[0]
                first_contact = kind == "consultation" or (
                    status in (Status.RESOLVED, Status.CLOSED) and r < 0.25
                )
                operator = rng.choice(operators)
                engineers = team_engineers.get(team.id, operators)  # type: ignore[arg-type]
                # a call solved at first contact stays with the operator who took it
                assignee = (
                    operator if first_contact else None if status == Status.NEW else rng.choice(engineers)
                )
                handle = rng.randrange(90, 600)
                t = created
                events: list[tuple[Any, ...]] = []
                callbacks: list[tuple[Any, ...]] = []
                surveys: list[tuple[Any, ...]] = []

                # called at once in this iteration, so the late binding B023 warns of cannot bite
                def ev(
                    at: datetime, actor: int | None, kind_: str, body: str = "", data: dict | None = None
                ) -> None:
                    events.append(  # noqa: B023
                        (
                            tid,  # noqa: B023
                            actor,
                            at,
                            kind_,
                            body,
                            False,
                            json.dumps(data, ensure_ascii=False) if data else "",
                        )
                    )

                ev(t, operator, "created", summary, {"priority": prio})
                assigned_at = responded = resolved_at = closed_at = paused_at = None
                if assignee is not None and not first_contact:
                    t = t + timedelta(minutes=rng.randrange(2, 40))
                    assigned_at = responded = t
                    ev(t, assignee, "claimed", "")
                    if status != Status.ASSIGNED:
                        t = t + timedelta(minutes=rng.randrange(5, 120))
                        ev(t, assignee, "status", "", {"from": "assigned", "to": "in_progress"})
                        t = t + timedelta(minutes=rng.randrange(5, 300))
                        ev(t, assignee, "note", rng.choice(NOTES_ZH if zh else NOTES_EN))
                    if status in (Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY):
                        ev(t, assignee, "status", "", {"from": "in_progress", "to": str(status)})
                        paused_at = t  # the SLA clock stands while the customer or a third party is awaited
                resolution = ""
                if status in (Status.RESOLVED, Status.CLOSED):
                    t = t + timedelta(minutes=rng.randrange(3, 600)) if not first_contact else created
                    resolved_at = t
                    resolution = (
                        "已按知识库方案处理。" if zh else "Fixed following the knowledge base solution."
                    )
                    ev(t, assignee or operator, "resolved", resolution)
                if status == Status.CLOSED:
                    t = t + timedelta(hours=rng.randrange(1, 48))
                    closed_at = t
                    ev(t, operator, "callback", "", {"outcome": "fixed"})
                    callbacks.append((tid, operator, t, "fixed", ""))
                    if rng.random() < 0.6:  # most customers answer the survey
                        ratings = [rng.choices((1, 2, 3, 4), (0.55, 0.3, 0.1, 0.05))[0] for _ in range(4)]
                        ev(t, operator, "survey", "", dict(zip(SURVEY_FIELDS, ratings, strict=True)))
                        surveys.append((tid, operator, *ratings, "", t))
                    ev(t, operator, "closed", "")
                if t > now:  # keep every time in the past
                    shift = t - now + timedelta(minutes=1)
                    events = [(e[0], e[1], e[2] - shift, *e[3:]) for e in events]
                    created -= shift
                    assigned_at = assigned_at and assigned_at - shift
                    responded = responded and responded - shift
                    resolved_at = resolved_at and resolved_at - shift
                    closed_at = closed_at and closed_at - shift
                    paused_at = paused_at and paused_at - shift
                    callbacks = [(*row[:2], row[2] - shift, *row[3:]) for row in callbacks]
                    surveys = [(*row[:-1], row[-1] - shift) for row in surveys]
                    t = now - timedelta(minutes=1)
                cb_rows += callbacks
                sv_rows += surveys
                wrap_up = min(created + timedelta(seconds=20 + handle * 7 % 100), now)
                log_rows += [
                    (operator, "on_call", "", created - timedelta(seconds=handle), created, True),
                    (operator, "after_call", "", created, wrap_up, False),
                ]
                for e in events:
                    e_rows.append((ev0 + len(e_rows), *e))
                t_rows.append(
                    (
                        tid,
                        f"SR-{first_number + i:06d}",
                        kind,
                        cat.id,
                        impact,
                        urgency,
                        prio,
                        str(status),
                        status in OPEN_STATUSES,
                        "phone",
                        "phone" if first_contact else "on_site",
                        cust,
                        device_id,
                        summary,
                        symptoms,
                        "unknown",
                        team.id,
                        team.tier,
                        assignee,
                        operator,
                        0,
                        0,
                        respond_by,
                        resolve_by,
                        responded,
                        paused_at,
                        0,
                        created,
                        handle,
                        first_contact,
                        resolution,
                        created,
                        t,
                        assigned_at,
                        assigned_at,  # first_assigned_at: demo tickets are picked up once
                        resolved_at,
                        closed_at,
                        1 + len(events),
                    )
                )
            bulk_insert(conn, "ticket", TICKET_COLUMNS, t_rows)
            bulk_insert(
                conn,
                "ticket_event",
                ["id", "ticket_id", "actor_id", "at", "kind", "body", "public", "data"],
                e_rows,
            )
            bulk_insert(conn, "callback", ["ticket_id", "agent_id", "at", "outcome", "note"], cb_rows)
            bulk_insert(
                conn,
                "agent_state_log",
                ["id", "agent_id", "state", "reason", "started_at", "ended_at", "handled"],
                [(log0 + i, *row) for i, row in enumerate(log_rows)],
            )
            bulk_insert(
                conn,
                "survey",
                [
                    "ticket_id",
                    "agent_id",
                    "attitude",
                    "quality",
                    "technical",
                    "speed",
                    "comment",
                    "created_at",
                ],
                sv_rows,
            )
            _fix_sequences(conn, ["ticket", "ticket_event", "callback", "survey", "agent_state_log"])
            total_events += len(e_rows)
        done += n
        report("tickets", done, tickets)
    if not db.is_sqlite:
        # after a bulk load autovacuum lags behind: fresh planner statistics, and a visibility map
        # so counts are index-only (the queue's five counts: 100 ms -> 7 ms on 1M tickets)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    return DemoSummary(len(agent_ids), len(orgs), customers, len(dev_rows), tickets, total_events)


TICKET_COLUMNS = [
    "id",
    "number",
    "kind",
    "category_id",
    "impact",
    "urgency",
    "priority",
    "status",
    "is_open",
    "channel",
    "service_mode",
    "customer_id",
    "device_id",
    "summary",
    "description",
    "warranty",
    "team_id",
    "tier",
    "assignee_id",
    "created_by_id",
    "escalation_level",
    "chase_count",
    "respond_by",
    "resolve_by",
    "responded_at",
    "sla_paused_at",
    "sla_paused_seconds",
    "call_started_at",
    "handle_seconds",
    "first_contact",
    "resolution",
    "created_at",
    "updated_at",
    "assigned_at",
    "first_assigned_at",
    "resolved_at",
    "closed_at",
    "version",
]
