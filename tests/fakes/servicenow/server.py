"""Serve a fake instance over https on 127.0.0.1 (a daemon thread for tests)."""

from __future__ import annotations

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .auth import Auth
from .instance import Instance


class FakeServiceNow(HttpsFake):
    """A fake ServiceNow instance over TLS; `state` is its `Instance` (data, auth and test controls)."""

    USER = Auth.ADMIN
    PASSWORD = Auth.ADMIN_PASSWORD
    CLIENT_ID = Auth.CLIENT_ID
    CLIENT_SECRET = Auth.CLIENT_SECRET

    def __init__(self, counts: dict[str, int] | None = None, seed: int = 7, port: int = 0,
                 instance: Instance | None = None, token_ttl: float = 1800) -> None:
        self.state = instance or Instance(counts, seed, token_ttl=token_ttl)
        super().__init__(build_app(self.state), port=port, name="fake-servicenow")

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`, the `host` pysnow takes."""
        return self.url.removeprefix("https://")

    def __enter__(self) -> FakeServiceNow:
        self.start()
        return self
