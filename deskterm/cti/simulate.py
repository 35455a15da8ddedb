"""`deskterm cti simulate`: realistic phone traffic played into the call-event endpoint, for demos and
for load figures.

Two halves. `plan` is pure and seeded: Poisson arrivals (exponential inter-arrival times) join one
queue served first-in first-out by the given agents' extensions; the agent free longest takes the
next caller and answers after a ring delay; talk times are lognormal around their mean; each caller
has an exponential patience beyond a short grace (nobody hangs up during the first rings) and hangs
up (cause `cancel`: a missed call) when the wait exceeds it; a few callers get a busy line
(`busy`) or ring an agent who does not pick up (`noAnswer`). After a call the agent wraps up for a
while before the next. Callers' numbers are the desk's known customers' (when given) or unknown
ones, written the ways Chinese numbers come (138 1234 5678, +86 …, 010-…).

`play` posts the plan's events (Zammad's generic CTI API, JSON) with aiohttp, each call's events in
order and the calls concurrently, at the plan's times divided by `speed` (0: as fast as it can);
a 503 or a connection error is retried with back-off. It returns a `Summary` (calls, answered,
abandoned, events sent, non-200 answers, events/s, p50/p95 latency).

No UI here (deskterm/cti is core): the CLI and `deskterm demo --ring` print or keep the summary."""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ANSWERED, ABANDONED, BUSY, NO_ANSWER = "answered", "abandoned", "busy", "noAnswer"
CAUSE = {ANSWERED: "normalClearing", ABANDONED: "cancel", BUSY: "busy", NO_ANSWER: "noAnswer"}
AREA_CODES = ("010", "021", "020", "0755", "028", "027", "0571", "025", "023", "029")
MOBILE_PREFIXES = ("138", "139", "136", "135", "150", "151", "158", "186", "187", "133", "177", "199")
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)  # then the event is given up (counted as failed)


@dataclass(frozen=True)
class Traffic:
    """What to simulate. Times are in simulated seconds."""

    calls_per_hour: float
    agents: Sequence[str]  # the extensions that answer the queue
    logins: Mapping[str, str] = field(default_factory=dict)  # extension -> login (the answer's `user`)
    duration: float | None = 3600.0  # arrivals stop after this (None: only `calls` limits)
    calls: int | None = None  # at most this many calls
    mean_talk: float = 240.0
    talk_spread: float = 0.6  # sigma of the talk time's logarithm
    mean_patience: float = 90.0
    patience_grace: float = 10.0  # nobody hangs up before this (longer than any ring delay)
    ring_delay: tuple[float, float] = (2.0, 9.0)  # an agent answers this long after the phone rings
    ring_timeout: float = 20.0  # a ringing phone nobody picks up gives up after this (noAnswer)
    wrap_up: float = 15.0  # mean seconds an agent works after a call before taking the next
    busy_share: float = 0.02
    no_answer_share: float = 0.02
    known_share: float = 0.6  # of callers with a known number (when `known` has any)
    known: Sequence[tuple[str, str]] = ()  # the desk's customers' phones: (as given, digits)
    queue: str = "hotline"
    dialled: str = "400 820 8820"
    prefix: str = "sim"  # call ids are <prefix>-<n>: give each run its own


@dataclass(frozen=True)
class PlannedCall:
    call_id: str
    caller: str
    outcome: str  # answered | abandoned | busy | noAnswer
    arrives: float
    ends: float
    extension: str = ""  # the agent whose phone rang ("" when none did)
    answered: float | None = None
    events: tuple[tuple[float, dict[str, Any]], ...] = ()  # (when, body) in order


def plan(traffic: Traffic, seed: int) -> list[PlannedCall]:
    """The calls and their events, deterministic for a seed: see the module's docstring."""
    if traffic.calls_per_hour <= 0 or not traffic.agents:
        return []
    if traffic.duration is None and traffic.calls is None:
        raise ValueError("give a duration or a number of calls")
    rng = random.Random(seed)
    talk_mu = math.log(traffic.mean_talk) - traffic.talk_spread**2 / 2  # lognormal with that mean
    free_at = {ext: 0.0 for ext in traffic.agents}
    order = {ext: i for i, ext in enumerate(traffic.agents)}
    calls: list[PlannedCall] = []
    now = 0.0
    while traffic.calls is None or len(calls) < traffic.calls:
        now += rng.expovariate(traffic.calls_per_hour / 3600)
        if traffic.duration is not None and now > traffic.duration:
            break
        call_id = f"{traffic.prefix}-{len(calls) + 1:06d}"
        caller = _caller(rng, traffic)
        patience = traffic.patience_grace + rng.expovariate(
            1 / max(1.0, traffic.mean_patience - traffic.patience_grace)
        )
        talk = max(5.0, rng.lognormvariate(talk_mu, traffic.talk_spread))
        ring = rng.uniform(*traffic.ring_delay)
        luck = rng.random()
        wrap = rng.expovariate(1 / traffic.wrap_up) if traffic.wrap_up > 0 else 0.0
        if luck < traffic.busy_share:
            calls.append(_ended(traffic, call_id, caller, BUSY, now, now + 1 + rng.random() * 2))
            continue
        agent = min(traffic.agents, key=lambda ext: (max(free_at[ext], now), order[ext]))
        rings_at = max(free_at[agent], now)
        gives_up = now + patience
        if gives_up <= rings_at:  # hung up while queued: no phone rang
            calls.append(_ended(traffic, call_id, caller, ABANDONED, now, gives_up))
            continue
        if luck < traffic.busy_share + traffic.no_answer_share:
            ends = min(rings_at + traffic.ring_timeout, gives_up)
            outcome = NO_ANSWER if ends < gives_up else ABANDONED
            free_at[agent] = ends
            calls.append(_ended(traffic, call_id, caller, outcome, now, ends, agent))
            continue
        answered = rings_at + ring
        if gives_up < answered:  # hung up while the agent's phone rang
            free_at[agent] = gives_up
            calls.append(_ended(traffic, call_id, caller, ABANDONED, now, gives_up, agent))
            continue
        ends = answered + talk
        free_at[agent] = ends + wrap
        answer = _body(traffic, call_id, caller, "answer", answeringNumber=agent)
        if agent in traffic.logins:
            answer["user"] = [traffic.logins[agent]]
        events = (
            (now, _body(traffic, call_id, caller, "newCall")),
            (answered, answer),
            (ends, _body(traffic, call_id, caller, "hangup", cause=CAUSE[ANSWERED], answeringNumber=agent)),
        )
        calls.append(PlannedCall(call_id, caller, ANSWERED, now, ends, agent, answered, events))
    return calls


def _ended(
    traffic: Traffic, call_id: str, caller: str, outcome: str, arrives: float, ends: float, agent: str = ""
) -> PlannedCall:
    """A call that ended without an answer: newCall, then hangup with the outcome's cause."""
    events = (
        (arrives, _body(traffic, call_id, caller, "newCall")),
        (ends, _body(traffic, call_id, caller, "hangup", cause=CAUSE[outcome])),
    )
    return PlannedCall(call_id, caller, outcome, arrives, ends, agent, None, events)


def _body(traffic: Traffic, call_id: str, caller: str, event: str, **more: Any) -> dict[str, Any]:
    body = {"event": event, "callId": call_id, "direction": "in", "from": caller, "to": traffic.dialled}
    return {**body, "queue": traffic.queue, **more}


def _caller(rng: random.Random, traffic: Traffic) -> str:
    if traffic.known and rng.random() < traffic.known_share:
        number, digits = rng.choice(traffic.known)
        return as_pbx_sends(number, digits, rng)
    if rng.random() < 0.02:
        return "anonymous"
    if rng.random() < 0.7:
        return as_pbx_sends("", f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}", rng)
    area = rng.choice(AREA_CODES)
    return as_pbx_sends("", f"{area}{rng.randrange(2, 9)}{rng.randrange(10**7):07d}"[:12], rng)


def as_pbx_sends(number: str, digits: str, rng: random.Random) -> str:
    """A phone (as a caller gave it, and its lookup digits: services/phones.py) the way PBXs send
    Chinese numbers: 138 1234 5678, +86 138 1234 5678, 13812345678; 010-8765 4321, +86 10 8765 4321.
    A foreign number (+44 …) is sent as given, without its extension."""
    if number.lstrip().startswith("+") and not number.lstrip().startswith("+86"):
        return number.split("转")[0].split(" x")[0].strip()
    if len(digits) == 11 and digits.startswith("1"):
        m = digits
        return rng.choice((f"{m[:3]} {m[3:7]} {m[7:]}", f"+86 {m[:3]} {m[3:7]} {m[7:]}", m, f"+86{m}"))
    if digits.startswith("0"):
        area = digits[:3] if digits[1] in "12" else digits[:4]
        local = digits[len(area) :]
        split = f"{local[:4]} {local[4:]}" if len(local) == 8 else local
        return rng.choice((f"{area}-{split}", f"+86 {area[1:]} {split}", digits))
    return digits


def events_in_order(calls: Sequence[PlannedCall]) -> list[tuple[float, dict[str, Any]]]:
    """Every planned event by time (a call's own events keep their order)."""
    return sorted((e for c in calls for e in c.events), key=lambda e: e[0])


# --- playing a plan into the endpoint -------------------------------------------------------------


@dataclass
class Summary:
    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # answered, abandoned, busy, noAnswer
    events_sent: int = 0  # answered 200
    statuses: Counter[str] = field(default_factory=Counter)  # stored, duplicate, rejected
    non_200: Counter[int] = field(default_factory=Counter)  # HTTP status -> answers (0: no connection)
    failed: int = 0  # events given up after the retries
    latencies: list[float] = field(default_factory=list)  # seconds, each request answered 200
    elapsed: float = 0.0

    @property
    def answered(self) -> int:
        return self.outcomes[ANSWERED]

    @property
    def abandoned(self) -> int:
        return self.outcomes[ABANDONED]

    @property
    def events_per_second(self) -> float:
        return self.events_sent / self.elapsed if self.elapsed > 0 else 0.0

    def latency_ms(self, q: float) -> float:
        """The q-quantile (0.5, 0.95) of the 200 answers' latency, in milliseconds."""
        if not self.latencies:
            return 0.0
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[max(0, min(98, round(q * 100) - 1))] * 1000

    def lines(self) -> list[str]:
        o = self.outcomes
        refused = ", ".join(f"{code or 'no connection'}: {n}" for code, n in sorted(self.non_200.items()))
        return [
            f"calls {self.calls}: answered {o[ANSWERED]}, abandoned {o[ABANDONED]}, "
            f"busy {o[BUSY]}, no answer {o[NO_ANSWER]}",
            f"events sent {self.events_sent} (stored {self.statuses['stored']}, duplicate "
            f"{self.statuses['duplicate']}, rejected {self.statuses['rejected']}); non-200 answers "
            f"{sum(self.non_200.values())}{f' ({refused})' if refused else ''}; given up {self.failed}",
            f"{self.elapsed:.1f} s, {self.events_per_second:.1f} events/s, latency p50 "
            f"{self.latency_ms(0.5):.1f} ms, p95 {self.latency_ms(0.95):.1f} ms",
        ]


async def play(
    url: str,
    calls: Sequence[PlannedCall],
    *,
    speed: float = 1.0,
    connections: int = 16,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    stop: asyncio.Event | None = None,
    on_event: Callable[[dict[str, Any], float], None] | None = None,
) -> Summary:
    """Post the plan's events to `url` (see the module's docstring); `speed` compresses time
    (60: an hour in a minute; 0: no waiting at all); at most `connections` requests are in flight.
    `stop` ends it early (calls under way are dropped). `on_event(body, latency)` hears each event
    answered 200."""
    import aiohttp

    summary = Summary()
    started = time.monotonic()

    def due(at: float) -> float:
        return 0.0 if speed <= 0 else max(0.0, started + at / speed - time.monotonic())

    gate = asyncio.Semaphore(connections)  # requests in flight: latency is the endpoint's, not a queue's here

    async def post(session: aiohttp.ClientSession, body: dict[str, Any]) -> None:
        for delay in (*retry_delays, None):
            async with gate:
                sent = time.monotonic()
                try:
                    async with session.post(url, json=body) as answer:
                        status = answer.status
                        reply = await answer.json(content_type=None) if status == 200 else None
                        retry_after = answer.headers.get("Retry-After", "")
                except (aiohttp.ClientError, TimeoutError):
                    status, reply, retry_after = 0, None, ""
            if status == 200:
                latency = time.monotonic() - sent
                summary.latencies.append(latency)
                summary.events_sent += 1
                summary.statuses[str((reply or {}).get("status", "?"))] += 1
                if on_event is not None:
                    on_event(body, latency)
                return
            summary.non_200[status] += 1
            if delay is None or status not in (0, 503):
                break
            wait = min(delay, float(retry_after)) if retry_after.isdigit() else delay
            await asyncio.sleep(wait)
        summary.failed += 1

    async def one_call(session: aiohttp.ClientSession, call: PlannedCall) -> None:
        for at, body in call.events:
            await asyncio.sleep(due(at))
            await post(session, body)
        summary.calls += 1
        summary.outcomes[call.outcome] += 1

    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks: set[asyncio.Task[None]] = set()
        stopping = asyncio.ensure_future(stop.wait()) if stop is not None else None
        try:
            for call in sorted(calls, key=lambda c: c.arrives):
                wait = due(call.arrives)
                if stopping is not None:
                    await asyncio.wait({stopping}, timeout=wait)
                    if stopping.done():
                        break
                elif wait:
                    await asyncio.sleep(wait)
                task = asyncio.ensure_future(one_call(session, call))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if tasks:
                pending = {*tasks, stopping} if stopping is not None else set(tasks)
                while tasks and not (stopping is not None and stopping.done()):
                    await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    pending = {t for t in pending if not t.done()}
        finally:
            for task in tasks:
                task.cancel()
            if stopping is not None:
                stopping.cancel()
    summary.elapsed = time.monotonic() - started
    return summary
