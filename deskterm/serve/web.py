"""The browser side of `deskterm serve` (textual-serve): one console process per tab, at deskterm's
own login screen, on deskterm's own page (templates/app_index.html). Meant to sit behind the desk's
TLS reverse proxy (docs/DEPLOY.md); `public_url` is the address agents type."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp_jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from .sessions import LOGIN_META, DeskSession, idle_message

if TYPE_CHECKING:
    from .server import ServeContext

log = logging.getLogger("deskterm.serve")

TEMPLATES = Path(__file__).parent / "templates"


def client_address(request: web.Request) -> str:
    """The browser's address. Behind a reverse proxy on this host the peer is the proxy: then the
    address the proxy appended to X-Forwarded-For (the last one; earlier ones the client can forge)."""
    peer = request.remote or "?"
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        local = False
    if local and forwarded.strip():
        return forwarded.split(",")[-1].strip()[:60]
    return peer


class ConsoleService(AppService):
    """textual-serve's process bridge, with deskterm's environment, activity and login reporting."""

    def __init__(
        self, command: str, *, session: DeskSession, env: dict[str, str], idle_minutes: float, **kwargs: Any
    ) -> None:
        super().__init__(command, **kwargs)
        self.session = session
        self.env = env
        self.idle_minutes = idle_minutes
        self.on_login: Any = None

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment.update(self.env)
        return environment

    async def on_data(self, payload: bytes) -> None:
        self.session.output()
        await super().on_data(payload)

    async def on_meta(self, data: bytes) -> None:
        meta = json.loads(data)
        if meta.get("type") == LOGIN_META:
            if self.on_login is not None:
                self.on_login(str(meta.get("login", ""))[:40])
            return
        if meta.get("type") == "exit" and self.session.end_reason == "idle":  # say why, then close
            await self.remote_write_bytes(f"\r\n{idle_message(self.idle_minutes)}\r\n".encode())
        await super().on_meta(data)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None


class DeskWebServer(Server):
    def __init__(self, ctx: ServeContext, host: str, port: int, public_url: str | None) -> None:
        super().__init__(
            "deskterm",
            host=host,
            port=port,
            title="deskterm",
            public_url=public_url,
            templates_path=TEMPLATES,
        )
        self.ctx = ctx
        self.configured_url = public_url

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its logo and the command line here; deskterm logs its own line."""

    async def make_app(self) -> web.Application:
        return await self._make_app()

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.ctx.supervisor.full():
            text = self.ctx.supervisor.refusal()
            return web.Response(status=503, text=text + "\n", headers={"Retry-After": "60"})
        # Without a configured public URL, the address the browser used (works on any interface).
        base = (self.configured_url or f"{request.scheme}://{request.host}").rstrip("/")
        ws_base = "wss" + base[5:] if base.startswith("https") else "ws" + base[4:]
        context = {
            "font_size": _int(request.query.get("fontsize"), 16),
            "app_websocket_url": f"{ws_base}/ws",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": "deskterm"},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        await websocket.prepare(request)
        session = self.ctx.supervisor.open("web", client_address(request))
        if session is None:
            await websocket.send_bytes(f"\r\n{self.ctx.supervisor.refusal()}\r\n".encode())
            await websocket.close(code=1013, message=b"full")  # 1013: try again later
            return websocket
        args = ["--source", f"web:{session.peer}"] + (["--demo"] if self.ctx.demo else [])
        service = ConsoleService(
            "exec " + shlex.join(self.ctx.console_command(*args)),  # exec: signals reach the console
            session=session,
            env=self.ctx.child_env,
            idle_minutes=self.ctx.idle_seconds / 60,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
        )
        service.on_login = lambda login: self.ctx.supervisor.logged_in(session, login)
        reason = "tab closed"
        try:
            await service.start(width, height)
            session.pid = service.pid
            await self._relay(websocket, service, session)
        except asyncio.CancelledError:
            reason = "server stopping"
        except Exception as error:
            log.exception("session %d failed: %s", session.number, error)
            reason = "failed"
        finally:
            await service.stop()
            self.ctx.supervisor.close(session, reason)
        await websocket.close()
        return websocket

    async def _relay(
        self, websocket: web.WebSocketResponse, service: AppService, session: DeskSession
    ) -> None:
        """The browser's keys, pastes and resizes to the console (textual-serve's protocol)."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            envelope = message.json()
            kind = envelope[0] if isinstance(envelope, list) and envelope else None
            if kind == "stdin":
                session.touch()
                await service.send_bytes(str(envelope[1]).encode("utf-8"))
            elif kind == "resize":
                session.touch()
                await service.set_terminal_size(
                    _int(envelope[1].get("width"), 80), _int(envelope[1].get("height"), 24)
                )
            elif kind == "ping":
                await websocket.send_json(["pong", envelope[1]])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()


def _int(value: Any, default: int) -> int:
    try:
        return max(1, min(int(value), 1000))
    except (TypeError, ValueError):
        return default
