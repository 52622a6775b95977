"""Integration fixtures on top of the shared `server`: extra servers on the same backend.

Some behaviours need a server started with different settings (a tiny quota, S3 endpoint and
credentials for moto). `start_sibling` starts one on the same backend as the module's `server`
(a fresh PostgreSQL database when that one runs on PostgreSQL) and stops it with the module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.server import SluiceServer


@pytest.fixture(scope="module")
def start_sibling(
    server: SluiceServer, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., SluiceServer]]:
    """A factory: `start_sibling(SOME_ENV="x")` -> a running server on `server`'s backend."""
    started: list[SluiceServer] = []

    def start(**extra_env: str) -> SluiceServer:
        database_url = None
        if server.database_url:
            database_url = request.getfixturevalue("postgres").create_database()
        sibling = SluiceServer(
            data_dir=tmp_path_factory.mktemp("sibling"), database_url=database_url, workers=0, extra_env=extra_env
        )
        started.append(sibling)
        return sibling.start()

    yield start
    for sibling in started:
        sibling.stop()


@pytest.fixture(scope="module")
def server_log_stays_clean(server: SluiceServer) -> Iterator[None]:
    """After the module: the server logged no unhandled exception (every error was a modelled one)."""
    yield
    log = server.log()
    assert "Traceback" not in log, log[-4000:]


# The console's Playwright fixtures (Debian Chromium against a real server), for test_console_*.py.
from tests.support.browser import browser, console_server, page, signed_in_page  # noqa: E402, F401
