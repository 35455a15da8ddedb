"""The reference data a desk starts with (DOMAIN.md): teams, the category tree, SLA calendars and
policies. All of it is data, loaded idempotently after `db upgrade`; nothing here is hard-wired."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from ..db import Database
from ..models import AwayReason, CallThreshold, Category, SlaCalendar, SlaPolicy, Team, WrapupCode

# (name, name_zh, tier)
TEAMS = [
    ("Service Desk", "服务台", 1),
    ("Desktop Support", "桌面支持", 2),
    ("Network", "网络组", 2),
    ("Accounts", "账号管理组", 2),
    ("Messaging", "邮件组", 2),
    ("Server Engineering", "服务器工程组", 2),
    ("ERP Team", "ERP组", 2),
    ("Telephony", "电话组", 2),
    ("Security", "安全组", 2),
    ("Repair Centre", "维修中心", 2),
    ("Server Specialists", "服务器专家组", 3),
]

# (path, path_zh, team)
CATEGORIES = [
    ("Hardware/PC", "硬件/电脑", "Desktop Support"),
    ("Hardware/Printer", "硬件/打印机", "Desktop Support"),
    ("Hardware/Server", "硬件/服务器", "Server Engineering"),
    ("Network/VPN", "网络/VPN", "Network"),
    ("Network/Wi-Fi", "网络/无线", "Network"),
    ("Accounts/Password", "账号/密码", "Accounts"),
    ("Accounts/Access", "账号/权限", "Accounts"),
    ("E-mail", "邮件", "Messaging"),
    ("ERP/Login", "ERP/登录", "ERP Team"),
    ("ERP/Reports", "ERP/报表", "ERP Team"),
    ("Telephony", "电话", "Telephony"),
    ("Security/Virus and phishing", "安全/病毒与钓鱼", "Security"),
    ("Warranty and repair", "保修与维修", "Repair Centre"),
    ("Consultation", "咨询", "Service Desk"),
]
# Contacts the first line cannot resolve (hardware in a workshop, rights that need approval, a
# specialist team's work): left out of the net first-contact rate (services/kpi.py).
NOT_FIRST_LINE = {
    "Hardware/Server",
    "Accounts/Access",
    "ERP/Reports",
    "Security/Virus and phishing",
    "Warranty and repair",
}

# Why an agent is away, as the console offers it: (code, name, name_zh).
AWAY_REASONS = [
    ("break", "Break", "休息"),
    ("lunch", "Lunch", "午餐"),
    ("meeting", "Meeting", "会议"),
    ("training", "Training", "培训"),
    ("coaching", "Coaching", "辅导"),
    ("admin", "Admin work", "事务性工作"),
    ("not_ready", "Not ready", "未就绪"),  # the ready key's other side (app.ready)
]

# How a call ended for the desk: the code an agent closes after-call work with.
WRAPUP_CODES = [
    ("solved", "Solved on the call", "电话中解决"),
    ("ticket", "Ticket logged", "已建单"),
    ("chase", "Chased a ticket", "催办"),
    ("info", "Information given", "咨询解答"),
    ("transfer", "Transferred", "已转接"),
    ("wrong_number", "Wrong number", "打错电话"),
    ("silent", "Silent or dropped", "无声或断线"),
]

# The monitor's call figures: (figure, amber, red, higher is better). The service level is the share
# answered within the answer-speed target; waits are seconds.
CALL_THRESHOLDS = [
    ("service_level", 80.0, 70.0, True),
    ("abandon_rate", 5.0, 10.0, False),
    ("asa", 15.0, 30.0, False),
    ("longest_wait", 30.0, 60.0, False),
    ("waiting", 3.0, 6.0, False),
]

BUSINESS_HOURS = {str(d): [["09:00", "18:00"]] for d in range(5)}
CALENDARS = [
    ("24x7", True, {}),
    ("China business hours", False, {"hours": BUSINESS_HOURS, "country": "CN"}),
]
# priority: (respond minutes, resolve minutes, calendar); business days are 9 hours.
SLA_DEFAULTS = {
    1: (15, 4 * 60, "24x7"),
    2: (30, 8 * 60, "China business hours"),
    3: (2 * 60, 3 * 9 * 60, "China business hours"),
    4: (8 * 60, 5 * 9 * 60, "China business hours"),
    5: (9 * 60, 10 * 9 * 60, "China business hours"),
}


def seed(db: Database) -> None:
    with db.write() as session:
        seed_in(session)


def seed_in(session: Session) -> None:
    teams = {t.name: t for t in session.exec(select(Team)).all()}
    for name, name_zh, tier in TEAMS:
        if name not in teams:
            teams[name] = Team(name=name, name_zh=name_zh, tier=tier)
            session.add(teams[name])
    session.flush()
    have = set(session.exec(select(Category.path)).all())
    for path, path_zh, team in CATEGORIES:
        if path not in have:
            session.add(
                Category(
                    path=path, path_zh=path_zh, team_id=teams[team].id, first_line=path not in NOT_FIRST_LINE
                )
            )
    have_reasons = set(session.exec(select(AwayReason.code)).all())
    for position, (code, name, name_zh) in enumerate(AWAY_REASONS):
        if code not in have_reasons:
            session.add(AwayReason(code=code, name=name, name_zh=name_zh, position=position))
    have_codes = set(session.exec(select(WrapupCode.code)).all())
    for position, (code, name, name_zh) in enumerate(WRAPUP_CODES):
        if code not in have_codes:
            session.add(WrapupCode(code=code, name=name, name_zh=name_zh, position=position))
    have_figures = set(session.exec(select(CallThreshold.figure)).all())
    for figure, amber, red, higher in CALL_THRESHOLDS:
        if figure not in have_figures:
            session.add(CallThreshold(figure=figure, amber=amber, red=red, higher_is_better=higher))
    calendars = {c.name: c for c in session.exec(select(SlaCalendar)).all()}
    for name, always, spec in CALENDARS:
        if name not in calendars:
            calendars[name] = SlaCalendar(name=name, always_open=always, spec=json.dumps(spec))
            session.add(calendars[name])
    session.flush()
    calendar_ids = {name: c.id for name, c in calendars.items() if c.id is not None}  # all, once flushed
    have_policies = {(p.priority, p.customer_class) for p in session.exec(select(SlaPolicy)).all()}
    for prio, (respond, resolve, cal) in SLA_DEFAULTS.items():
        if (prio, "") not in have_policies:
            session.add(
                SlaPolicy(
                    name=f"P{prio}",
                    priority=prio,
                    customer_class="",
                    respond_minutes=respond,
                    resolve_minutes=resolve,
                    calendar_id=calendar_ids[cal],
                )
            )
