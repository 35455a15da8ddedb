"""`deskterm cti asterisk`: the command end to end (a fake AMI and a stand-in endpoint on 127.0.0.1,
the command in its own process), and the one-line errors a user can cause."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from typer.testing import CliRunner

from deskterm.cli import make_app
from tests.cti.amiserver import FakeAmi
from tests.cti.test_asterisk import MAPPED, STREAM


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(make_app(), ["cti", "asterisk", *args], env=env)


def test_without_a_secret_and_a_terminal_it_says_where_the_secret_comes_from(monkeypatch):
    monkeypatch.delenv("DESKTERM_AMI_SECRET", raising=False)
    done = invoke("--host", "pbx", "--user", "deskterm", "--url", "http://127.0.0.1:8765/cti/t")
    assert done.exit_code == 2
    assert "deskterm: --user deskterm: set DESKTERM_AMI_SECRET or run in a terminal" in done.output


def test_a_url_that_is_not_http_is_refused():
    done = invoke("--host", "pbx", "--user", "u", "--secret", "s", "--url", "127.0.0.1:8765/cti/t")
    assert done.exit_code == 2 and "not an http:// or https:// URL" in done.output


async def _command(port: int, url: str, secret: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "DESKTERM_AMI_SECRET": secret, "PYTHONPATH": os.pathsep.join(sys.path)}
    args = ["cti", "asterisk", "--host", "127.0.0.1", "--port", str(port), "--user", "deskterm", "--url", url]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deskterm",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_the_command_posts_the_mapped_calls_and_stops_cleanly_on_sigterm(endpoint):
    async with FakeAmi(replays=[STREAM]) as fake:
        command = await _command(fake.port, endpoint.url, "s3cret")

        async def delivered() -> None:
            while len(endpoint.bodies) < len(MAPPED):
                await asyncio.sleep(0.02)

        try:
            await asyncio.wait_for(delivered(), timeout=30)  # a safety net, not a measure
        finally:
            command.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(command.communicate(), timeout=30)
    assert endpoint.bodies == MAPPED
    assert command.returncode == 0, err.decode()
    log = err.decode()
    assert "logged in to the AMI at 127.0.0.1" in log and "stopped: 5 events posted, 0 given up" in log
    assert "s3cret" not in log and "tok-9f2c1d" not in log


async def test_a_refused_login_ends_the_command_with_one_line(endpoint):
    async with FakeAmi() as fake:
        command = await _command(fake.port, endpoint.url, "wrong")
        _, err = await asyncio.wait_for(command.communicate(), timeout=30)
    assert command.returncode == 1
    assert err.decode().splitlines()[-1] == (
        f"deskterm: the AMI at 127.0.0.1:{fake.port} refused the login of deskterm: Authentication failed"
    )
    assert "Traceback" not in err.decode() and endpoint.bodies == []
