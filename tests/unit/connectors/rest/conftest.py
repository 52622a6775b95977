"""A small vendor API over https (the test CA) for the REST layer's tests: cursor pages of
records, an OAuth refresh endpoint, forced 429s, an envelope-error endpoint, and a request log."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.common.https import HttpsFake, RequestLog
from tests.support.tls import tls_env


class Vendor:
    """State of the test API."""

    def __init__(self, count: int = 25) -> None:
        self.records = [
            {"id": i, "name": f"rec-{i} ✓" if i % 4 else None, "updated_at": f"2024-01-01T00:00:{i % 60:02d}Z",
             "tags": ["a", str(i)], "owner": {"login": f"u{i}", "extra": {"deep": i}}}
            for i in range(count)
        ]
        self.token = "tok-1"
        self.tokens = itertools.count(2)
        self.throttle = 0
        self.unavailable = 0
        self.log = RequestLog()


def build_app(vendor: Vendor) -> Starlette:
    """The Starlette app serving `vendor`."""

    def authorized(request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {vendor.token}"

    async def items(request: Request) -> Response:
        vendor.log.add(request.method, request.url.path, {k: request.query_params.getlist(k)
                                                           for k in request.query_params})
        if vendor.throttle:
            vendor.throttle -= 1
            return JSONResponse({"error": "rate_limited", "description": "slow down"}, 429,
                                headers={"Retry-After": "0"})
        if vendor.unavailable:
            vendor.unavailable -= 1
            return Response("busy", 503)
        if not authorized(request):
            return JSONResponse({"error": "invalid_token", "description": "The access token expired"}, 401)
        size = int(request.query_params.get("size", "10"))
        start = int(request.query_params.get("after", "0"))
        since = request.query_params.get("since")
        chosen = [r for r in vendor.records if since is None or r["updated_at"] >= since]
        page = chosen[start:start + size]
        more = start + size < len(chosen)
        return JSONResponse({"items": page, "meta": {"after": str(start + size) if more else None, "more": more}})

    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != "refresh-1":
            return JSONResponse({"error": "invalid_grant", "error_description": "bad refresh token"}, 400)
        vendor.token = f"tok-{next(vendor.tokens)}"
        return JSONResponse({"access_token": vendor.token, "expires_in": 3600})

    async def envelope(request: Request) -> Response:
        return JSONResponse({"ok": False, "error": "channel_not_found"})

    return Starlette(routes=[Route("/items", items), Route("/oauth/token", token, methods=["POST"]),
                             Route("/envelope", envelope)])


@pytest.fixture
def vendor(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Vendor, str]]:
    """(the API's state, its base URL); the process trusts the test CA and allows 127.0.0.1."""
    for key, value in tls_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
    monkeypatch.setenv("SLUICE_REST_BACKOFF_BASE", "0")
    state = Vendor()
    with HttpsFake(build_app(state), name="rest-vendor") as fake:
        yield state, fake.url


def profile(url: str, **credentials: Any) -> Any:
    """A ProfileView for the test API, recording saved credentials in `.saved`."""
    from sluice.connectors.base import ProfileView

    saved: list[Any] = []
    view = ProfileView(name="p", connector_type="Zendesk", properties={"instanceUrl": url},
                       credentials={"accessToken": "tok-1", "refreshToken": "refresh-1", "clientId": "c",
                                    "clientSecret": "s", **credentials}, save_credentials=saved.append)
    return view, saved
