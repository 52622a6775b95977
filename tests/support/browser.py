"""Playwright fixtures for the console tests: Debian's Chromium against a real server (test support).

Playwright's own browser download is not reachable here, so the browser is the system Chromium
(`/usr/bin/chromium`, from `apt-get install chromium`; `SLUICE_TEST_CHROMIUM` names another).
Screenshots go to `test-artifacts/console/` in the repository (git-ignored), or to
`$SLUICE_TEST_ARTIFACTS/console/`.

Fixtures (imported by tests/integration/conftest.py, so every integration module can use them):

* `console_server` - one `sluice serve` per module (SQLite, one run worker), the default account's
  keys being `ACCESS_KEY` / `SECRET_KEY` from tests/support/server.py; a module's
  `CONSOLE_SERVER_ENV` dict, if it has one, is added to the server's environment; after the
  module, the server's log must hold no traceback;
* `browser` - one headless Chromium per test session;
* `page` - a fresh browser context (no cookies) and page per test, 1440 x 900;
* `signed_in_page` - `page`, signed in to `console_server` as the default account.

Helpers: `sign_in(page, server, ...)`, `screenshot(page, name)`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ACCESS_KEY, REGION, SECRET_KEY, SluiceServer

CHROMIUM = os.environ.get("SLUICE_TEST_CHROMIUM", "/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
WIDE = {"width": 1440, "height": 900}
NARROW = {"width": 375, "height": 812}


def artifacts_dir() -> Path:
    """Where screenshots go (created on first use)."""
    root = Path(os.environ.get("SLUICE_TEST_ARTIFACTS") or REPO / "test-artifacts")
    folder = root / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Any, name: str, full_page: bool = True) -> Path:
    """Save the page as `<artifacts>/console/<name>.png`; returns the path."""
    path = artifacts_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Any, server: SluiceServer, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
            region: str = REGION) -> None:
    """Fill in and submit the sign-in form (the caller checks where it landed)."""
    page.goto(f"{server.url}/console/signin")
    page.get_by_label("Access key id").fill(access_key)
    page.get_by_label("Secret access key").fill(secret_key)
    page.get_by_label("Region").select_option(region)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture(scope="module")
def console_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    """A running server for one test module (SQLite; one run worker, so flows really run)."""
    env = dict(getattr(request.module, "CONSOLE_SERVER_ENV", {}))
    server = SluiceServer(data_dir=tmp_path_factory.mktemp("console"), workers=1, extra_env=env)
    server.start()
    try:
        yield server
    finally:
        server.stop()
    # Every failure the console met was a handled one: nothing unhandled reached the log.
    assert "Traceback" not in server.log(), server.log()[-4000:]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium, driven by Playwright, for the whole session."""
    from playwright.sync_api import sync_playwright  # only the console tests pay for the import

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (make install-test) "
                    "or set SLUICE_TEST_CHROMIUM")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A new page in a fresh context (its own cookies), 1440 px wide."""
    context = browser.new_context(viewport=WIDE)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def signed_in_page(page: Any, console_server: SluiceServer) -> Any:
    """`page`, signed in to `console_server` as its default account, on the flows list."""
    sign_in(page, console_server)
    assert page.url.endswith("/console/flows"), page.url
    return page
