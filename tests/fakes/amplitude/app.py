"""The Starlette application of the fake project: basic auth, throttling, request log, export and event list."""

from __future__ import annotations

import base64
import gzip
import io
import zipfile
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .project import EVENT_TYPES, Project

Handler = Callable[[Project, Request], Response]
MAX_RANGE = timedelta(days=365)


def _authorized(project: Project, request: Request) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        key, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return project.keys.get(key) == secret and bool(secret)


def _api(project: Project, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        project.log.add(request.method, request.url.path, {k: request.query_params.getlist(k)
                                                           for k in request.query_params})
        if project.throttles.take(request.url.path) is not None:
            return JSONResponse({"error": "Too many requests; your request exceeded the rate limit"}, 429)
        if not _authorized(project, request):
            return PlainTextResponse("Invalid API key/secret key", 401,
                                     headers={"WWW-Authenticate": 'Basic realm="Amplitude"'})
        return handler(project, request)
    return endpoint


def _hour(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text or "", "%Y%m%dT%H").replace(tzinfo=UTC)
    except ValueError:
        return None


def export(project: Project, request: Request) -> Response:
    """`GET /api/2/export`: a zip of `<app>/<app>_<date>_<hour>#0.json.gz`, one per hour holding data."""
    start, end = _hour(request.query_params.get("start")), _hour(request.query_params.get("end"))
    if start is None or end is None:
        return PlainTextResponse("Invalid start/end parameter: use YYYYMMDDTHH", 400)
    if end < start or end - start > MAX_RANGE:
        return PlainTextResponse("Invalid time range: end must follow start, at most 365 days", 400)
    hours: dict[datetime, list[bytes]] = defaultdict(list)
    total = 0
    for uploaded, event in project.events_between(start.timestamp(), (end + timedelta(hours=1)).timestamp()):
        hour = datetime.fromtimestamp(uploaded, UTC).replace(minute=0, second=0, microsecond=0)
        hours[hour].append(orjson.dumps(event))
        total += 1
    if not hours:
        return PlainTextResponse("Raw data files were not found.", 404)
    if project.max_export_events is not None and total > project.max_export_events:
        return PlainTextResponse("The file size of the exported data is too large. Shorten the time ranges and "
                                 "try again. The limit size is 4GB.", 400)
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w", zipfile.ZIP_STORED) as archive:
        for hour in sorted(hours):
            name = f"123456/123456_{hour:%Y-%m-%d}_{hour.hour}#0.json.gz"
            archive.writestr(name, gzip.compress(b"\n".join(hours[hour]) + b"\n", compresslevel=1))
    return Response(body.getvalue(), media_type="application/zip")


def events_list(project: Project, request: Request) -> Response:
    """`GET /api/2/events/list`: the project's event types with this week's totals."""
    counts: dict[str, int] = defaultdict(int)
    for event in project.all_events():
        counts[str(event["event_type"])] += 1
    data: list[dict[str, Any]] = [
        {"value": name, "display": name, "totals": counts.get(name, 0), "hidden": False, "deleted": False,
         "non_active": False, "flow_hidden": False, "id": 1000 + i} for i, name in enumerate(EVENT_TYPES)]
    data.append({"value": "Old Event", "display": "Old Event", "totals": 0, "hidden": True, "deleted": True,
                 "non_active": True, "flow_hidden": True, "id": 999})
    return JSONResponse({"data": data})


def build_app(project: Project) -> Starlette:
    """The fake's ASGI app."""
    return Starlette(routes=[
        Route("/api/2/export", _api(project, export)),
        Route("/api/2/events/list", _api(project, events_list)),
    ])
