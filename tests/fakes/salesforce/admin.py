"""Out-of-process control of the fake org under `/__fake/` (faults, tokens, keys, counters, data, timeouts)."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .org import Org

FAULT_KEYS = {"method", "path_regex", "status", "error_code", "count", "retry_after", "delay", "message"}


def routes(org: Org) -> list[Route]:
    """Admin routes; unauthenticated, as they exist only in the fake."""

    async def body(request: Request) -> dict:
        raw = await request.body()
        return json.loads(raw) if raw else {}

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            org.faults.clear()
            return JSONResponse({"ok": True})
        spec = await body(request)
        unknown = set(spec) - FAULT_KEYS
        if unknown:
            return JSONResponse({"error": f"unknown keys {sorted(unknown)}"}, status_code=400)
        org.faults.add(**spec)
        return JSONResponse({"ok": True, "pending": len(org.faults.pending())})

    async def expire_tokens(request: Request) -> Response:
        org.auth.expire_all_tokens()
        return JSONResponse({"ok": True})

    async def auth_codes(request: Request) -> Response:
        spec = await body(request)
        org.auth.add_auth_code(spec["code"], spec["redirect_uri"], spec.get("user", org.auth.DEFAULT_USER))
        return JSONResponse({"ok": True})

    async def jwt_key(request: Request) -> Response:
        org.auth.set_jwt_public_key((await body(request))["pem"])
        return JSONResponse({"ok": True})

    async def clients(request: Request) -> Response:
        spec = await body(request)
        org.auth.register_client(spec["client_id"], spec["client_secret"])
        return JSONResponse({"ok": True})

    async def token(request: Request) -> Response:
        """A ready access token, so tests can skip the OAuth dance."""
        spec = await body(request)
        return JSONResponse({"access_token": org.auth.issue_token(spec.get("user", org.auth.DEFAULT_USER),
                                                                  ttl=spec.get("ttl"))})

    async def counters(request: Request) -> Response:
        return JSONResponse({"counters": dict(org.counters), "api_usage": org.api_usage, "api_max": org.api_max,
                             "events": len(org.events)})

    async def reset_counters(request: Request) -> Response:
        org.reset_counters()
        return JSONResponse({"ok": True})

    async def seed(request: Request) -> Response:
        spec = await body(request)
        await run_in_threadpool(org.seed, spec.get("counts"), spec.get("seed", 7))
        return JSONResponse({"ok": True})

    async def cometd_timeout(request: Request) -> Response:
        org.cometd_timeout = float((await body(request))["seconds"])
        return JSONResponse({"ok": True})

    async def api_limit(request: Request) -> Response:
        spec = await body(request)
        org.api_max = int(spec.get("max", org.api_max))
        org.api_usage = int(spec.get("usage", org.api_usage))
        return JSONResponse({"ok": True})

    return [
        Route("/__fake/faults", faults, methods=["POST", "DELETE"]),
        Route("/__fake/expire-tokens", expire_tokens, methods=["POST"]),
        Route("/__fake/auth-codes", auth_codes, methods=["POST"]),
        Route("/__fake/jwt-key", jwt_key, methods=["POST"]),
        Route("/__fake/clients", clients, methods=["POST"]),
        Route("/__fake/token", token, methods=["POST"]),
        Route("/__fake/counters", counters, methods=["GET"]),
        Route("/__fake/reset-counters", reset_counters, methods=["POST"]),
        Route("/__fake/seed", seed, methods=["POST"]),
        Route("/__fake/cometd-timeout", cometd_timeout, methods=["POST"]),
        Route("/__fake/api-limit", api_limit, methods=["POST"]),
    ]
