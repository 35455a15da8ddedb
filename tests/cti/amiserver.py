"""A fake Asterisk Manager Interface on a real TCP socket (127.0.0.1, a free port): the protocol's
text framing (header lines "Key: value" ending CRLF, a blank line ending each message), the greeting
line, the Login action with its Success / Error response, Ping / Pong, and a recorded event stream
replayed to each connection that logs in (each event written in two pieces, as TCP may deliver it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

GREETING = b"Asterisk Call Manager/5.0.2\r\n"
DROP = "DROP"  # in a replay: the server closes the connection there, as a crashing Asterisk does


def ami(event: str, **headers: str) -> str:
    """One AMI event as Asterisk writes it."""
    lines = [f"Event: {event}", "Privilege: agent,all", *(f"{k}: {v}" for k, v in headers.items())]
    return "\r\n".join(lines) + "\r\n\r\n"


def channel(prefix: str = "", **values: str) -> dict[str, str]:
    """The channel snapshot fields Asterisk 12+ puts in channel events (Dest-prefixed for the other side)."""
    fields = {
        "Channel": "PJSIP/trunk-00000012",
        "ChannelState": "6",
        "ChannelStateDesc": "Up",
        "CallerIDNum": "13800138000",
        "CallerIDName": "<unknown>",
        "ConnectedLineNum": "<unknown>",
        "ConnectedLineName": "<unknown>",
        "Language": "en",
        "AccountCode": "",
        "Context": "from-trunk",
        "Exten": "4008200",
        "Priority": "3",
        "Uniqueid": "1733380000.18",
        "Linkedid": "1733380000.18",
        **values,
    }
    return {f"{prefix}{k}": v for k, v in fields.items()}


@dataclass
class FakeAmi:
    user: str = "deskterm"
    secret: str = "s3cret"
    replays: list[list[str]] = field(default_factory=list)  # the n-th login gets replays[n]
    silent_pings: set[int] = field(default_factory=set)  # connections (0-based) that never answer a ping
    connections: int = 0
    logins: int = 0
    actions: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _open: set[asyncio.StreamWriter] = field(default_factory=set)

    async def __aenter__(self) -> FakeAmi:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)  # 0: any free port
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._open:
            writer.transport.abort()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number, self.connections = self.connections, self.connections + 1
        lock = asyncio.Lock()
        replaying: asyncio.Task[None] | None = None

        async def send(text: str) -> None:
            async with lock:
                writer.write(text.encode())
                await writer.drain()

        self._open.add(writer)
        writer.write(GREETING)
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                action = dict(line.split(": ", 1) for line in block.decode().split("\r\n") if ": " in line)
                self.actions.append(action)
                said = action.get("Action", "").lower()
                if said == "login":
                    if action.get("Username") != self.user or action.get("Secret") != self.secret:
                        await send(_response("Error", action, Message="Authentication failed"))
                        break  # Asterisk ends the session after a refused login
                    await send(_response("Success", action, Message="Authentication accepted"))
                    await send(ami("FullyBooted", Status="Fully Booted"))
                    replay = self.replays[self.logins] if self.logins < len(self.replays) else []
                    self.logins += 1
                    replaying = asyncio.create_task(self._replay(replay, writer, lock))
                elif said == "ping":
                    if number not in self.silent_pings:
                        await send(_response("Success", action, Ping="Pong", Timestamp="1733380000.000000"))
                elif said == "logoff":
                    await send(_response("Goodbye", action, Message="Thanks for all the fish."))
                    break
                else:
                    await send(_response("Error", action, Message="Invalid/unknown command"))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if replaying is not None and not replaying.done():
                replaying.cancel()
            self._open.discard(writer)
            writer.close()

    async def _replay(self, events: list[str], writer: asyncio.StreamWriter, lock: asyncio.Lock) -> None:
        for event in events:
            if event == DROP:
                writer.close()
                return
            data = event.encode()
            async with lock:  # in two pieces: a message split across reads
                for piece in (data[: len(data) // 3], data[len(data) // 3 :]):
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0)


def _response(status: str, action: dict[str, str], **headers: str) -> str:
    lines = [f"Response: {status}", f"ActionID: {action.get('ActionID', '')}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"
