"""A stand-in for the desk's call-event endpoint (POST /cti/TOKEN) on 127.0.0.1, for the sinks' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

TOKEN = "tok-9f2c1d"


class Endpoint:
    """Answers each POST to /cti/TOKEN with the next (status, body, headers) given, then 200."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, str, dict[str, str]]] = []
        self.bodies: list[object] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        assert request.match_info["token"] == TOKEN and request.content_type == "application/json"
        status, text, headers = self.answers.pop(0) if self.answers else (200, "ok", {})
        return web.Response(status=status, text=text, headers=headers)


async def serve_endpoint() -> AsyncIterator[Endpoint]:
    served = Endpoint()
    app = web.Application()
    app.router.add_post("/cti/{token}", served.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    served.url = f"http://127.0.0.1:{runner.addresses[0][1]}/cti/{TOKEN}"
    yield served
    await runner.cleanup()
