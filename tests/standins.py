"""Local stand-ins of third-party HTTP APIs, served from a thread for the duration of a test."""
from __future__ import annotations

import asyncio
import threading

from aiohttp import web

from tests.servers import free_port


class StandIn:
    """An aiohttp application on 127.0.0.1:<free port>, run in a background thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self.calls = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        self.routes(app)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> "StandIn":
        self._thread.start()
        self._ready.wait(10)
        return self
