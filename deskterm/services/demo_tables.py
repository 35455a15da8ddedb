"""The demo desk's data tables, read from scripts_data/demo.json: the cast of agents, names,
organisations, phone area codes, device models, problems by category and the engineers' notes."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def _tables() -> dict[str, Any]:
    """The demo's data tables (scripts_data/demo.json): the cast, names, organisations, phones,
    device models, problems by category and the engineers' notes."""
    with resources.files("deskterm").joinpath("scripts_data/demo.json").open(encoding="utf-8") as f:
        return dict(json.load(f))


_DATA = _tables()

# (login, name, number, role, tier, team, manager, language) — the demo cast, in manager order.
DEMO_AGENTS: list[tuple[str, str, str, str, int, str, str | None, str]] = [
    (a["login"], a["name"], a["number"], a["role"], a["tier"], a["team"], a["manager"], a["language"])
    for a in _DATA["agents"]
]
# login -> the phone extension the PBX rings (the hotline's operators first: 201…).
DEMO_EXTENSIONS: dict[str, str] = {a["login"]: a["extension"] for a in _DATA["agents"]}
ZH_SURNAMES: str = _DATA["zh_surnames"]
ZH_GIVEN: str = _DATA["zh_given"]
EN_FIRST: list[str] = _DATA["en_first"]
EN_LAST: list[str] = _DATA["en_last"]
ZH_CITIES: list[str] = _DATA["zh_cities"]
ZH_CORE: list[str] = _DATA["zh_core"]
ZH_TRADE: list[str] = _DATA["zh_trade"]
EN_ADJ: list[str] = _DATA["en_adj"]
EN_TRADE: list[str] = _DATA["en_trade"]
AREA_CODES: list[str] = _DATA["area_codes"]
# (model, kind, category)
DEVICE_MODELS: list[tuple[str, str, str]] = [
    (m["model"], m["kind"], m["category"]) for m in _DATA["device_models"]
]
# Problems by category: (English summary, Chinese summary, English symptoms, Chinese symptoms)
PROBLEMS: dict[str, list[tuple[str, str, str, str]]] = {
    category: [(p["summary_en"], p["summary_zh"], p["symptoms_en"], p["symptoms_zh"]) for p in problems]
    for category, problems in _DATA["problems"].items()
}
NOTES_EN: list[str] = _DATA["notes_en"]
NOTES_ZH: list[str] = _DATA["notes_zh"]
SURVEY_FIELDS = ("attitude", "quality", "technical", "speed")
