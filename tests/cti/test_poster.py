"""The HTTP poster sink against a small aiohttp server on 127.0.0.1: delivered, retried after a
bounded back-off (503, a refused connection), given up on 400 / 403 and when the budget is spent."""

from __future__ import annotations

import logging
import socket

import pytest

from deskterm.cti.poster import CtiPoster, masked
from tests.cti.endpoint import TOKEN

EVENT = {"event": "newCall", "callId": "1733380000.18", "from": "13800138000", "to": "4008200", "user": []}


class Pauses(list[float]):
    """The poster's sleep: the pauses it asked for, taken at once (no test waits on the clock)."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


async def test_an_event_the_endpoint_takes_is_posted_once_as_json(endpoint):
    async with CtiPoster(endpoint.url, sleep=Pauses()) as poster:
        assert await poster(EVENT) is True
    assert endpoint.bodies == [EVENT] and poster.posted == 1 and poster.given_up == 0


async def test_a_503_is_retried_with_a_doubling_back_off(endpoint):
    endpoint.answers = [(503, "busy", {}), (503, "busy", {}), (503, "busy", {})]
    pauses = Pauses()
    async with CtiPoster(endpoint.url, first_delay=0.5, max_delay=1.5, sleep=pauses) as poster:
        assert await poster(EVENT) is True
    assert endpoint.bodies == [EVENT] * 4
    assert pauses == [0.5, 1.0, 1.5]  # doubling, capped
    assert poster.posted == 1


async def test_a_retry_after_is_followed_within_the_cap(endpoint):
    endpoint.answers = [(503, "busy", {"Retry-After": "7"}), (503, "busy", {"Retry-After": "120"})]
    pauses = Pauses()
    async with CtiPoster(endpoint.url, max_delay=30, sleep=pauses) as poster:
        assert await poster(EVENT) is True
    assert pauses == [7.0, 30.0]


@pytest.mark.parametrize(("status", "said"), [(403, "wrong token"), (400, "callId: missing")])
async def test_a_refusal_is_given_up_at_once_and_logged_without_the_token(endpoint, caplog, status, said):
    endpoint.answers = [(status, said, {})]
    pauses = Pauses()
    with caplog.at_level(logging.ERROR, logger="deskterm.cti.poster"):
        async with CtiPoster(endpoint.url, sleep=pauses) as poster:
            assert await poster(EVENT) is False
            assert await poster(EVENT) is True  # the next event is tried as usual
    assert len(endpoint.bodies) == 2 and pauses == []
    assert poster.given_up == 1 and poster.posted == 1
    where = endpoint.url.replace(TOKEN, "…")
    assert caplog.messages == [
        f"newCall 1733380000.18: the endpoint {where} answered {status} ({said}): given up"
    ]
    assert TOKEN not in caplog.text


async def test_an_endpoint_that_stays_away_is_given_up_when_the_back_off_budget_is_spent(caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens once closed
    pauses = Pauses()
    url = f"http://127.0.0.1:{port}/cti/{TOKEN}"
    with caplog.at_level(logging.WARNING, logger="deskterm.cti.poster"):
        async with CtiPoster(url, first_delay=1, max_delay=4, give_up_after=12, sleep=pauses) as poster:
            assert await poster(EVENT) is False
    assert pauses == [1, 2, 4, 4]  # 11 s of back-off; one more would pass 12
    assert poster.given_up == 1
    assert "given up" in caplog.messages[-1] and TOKEN not in caplog.text


async def test_a_wrong_path_is_final_and_a_proxys_502_is_retried(endpoint):
    pauses = Pauses()
    async with CtiPoster(endpoint.url.replace("/cti/", "/nowhere/"), sleep=pauses) as lost:
        assert await lost(EVENT) is False  # 404
    endpoint.answers = [(502, "bad gateway", {})]
    async with CtiPoster(endpoint.url, sleep=pauses) as poster:
        assert await poster(EVENT) is True
    assert pauses == [0.5] and endpoint.bodies == [EVENT, EVENT]


def test_the_url_in_logs_has_no_token():
    assert masked("http://desk.example:8765/cti/abc123") == "http://desk.example:8765/cti/…"
    assert masked("https://u:p@desk.example/x/cti/abc") == "https://desk.example/x/cti/…"
