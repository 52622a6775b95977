"""The Starlette application of the fake: token endpoint, Management/Metadata v3 and Reporting v4 routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.common.google import report_day

from .backend import ACCOUNTS, COLUMNS, CUSTOM_DIMENSIONS, CUSTOM_METRICS, Backend

Handler = Callable[[Backend, Request], Awaitable[Response]]
MAX_DIMENSIONS, MAX_METRICS, MAX_PAGE = 7, 10, 100_000
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED"}
# The v3 (Management / Metadata) APIs' error bodies also carry an `errors` list of {domain, reason, message}
# (https://developers.google.com/analytics/devguides/config/mgmt/v3/errors); Google's client reads it as the
# error details and retries some 403s by its `reason`.
V3_REASONS = {400: ("global", "invalidParameter"), 401: ("global", "invalidCredentials"),
              403: ("global", "insufficientPermissions"), 404: ("global", "notFound"),
              429: ("usageLimits", "rateLimitExceeded")}


class GoogleError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def response(self, v3: bool = False) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": STATUS[self.code]}
        if v3:
            domain, reason = V3_REASONS[self.code]
            error["errors"] = [{"domain": domain, "reason": reason, "message": self.message}]
        return JSONResponse({"error": error}, self.code)


def _api(backend: Backend, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        logged = {k: request.query_params.getlist(k) for k in request.query_params}
        if request.method == "POST":
            logged["body"] = [(await request.body()).decode("utf-8", "replace")]  # what was pushed down
        backend.log.add(request.method, request.url.path, logged)
        try:
            if backend.throttles.take(request.url.path) is not None:
                raise GoogleError(429, "Quota Error: The number of requests per 100 seconds exceeds the limit.")
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme != "Bearer" or not backend.valid(token):
                raise GoogleError(401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                                  "token, login cookie or other valid authentication credential.")
            return await handler(backend, request)
        except GoogleError as exc:
            return exc.response(v3=request.url.path.startswith("/analytics/v3/"))
    return endpoint


async def token(backend: Backend, request: Request) -> Response:
    """`POST /token`: authorization_code and refresh_token grants."""
    form = dict(await request.form())
    backend.log.add("POST", "/token", {"grant_type": [str(form.get("grant_type"))]})
    if form.get("client_id") != backend.client_id or form.get("client_secret") != backend.client_secret:
        return JSONResponse({"error": "invalid_client", "error_description": "The OAuth client was not found."}, 401)
    grant = form.get("grant_type")
    if grant == "refresh_token":
        if form.get("refresh_token") not in backend.refresh_tokens:
            return JSONResponse({"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
                                400)
        return JSONResponse(backend.issue())
    if grant == "authorization_code":
        code = str(form.get("code") or "")
        if code not in backend.codes:
            return JSONResponse({"error": "invalid_grant", "error_description": "Malformed auth code."}, 400)
        backend.codes.discard(code)
        return JSONResponse(backend.issue() | {"refresh_token": backend.refresh_token})
    return JSONResponse({"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"},
                        400)


def _paged(request: Request, items: list[dict[str, Any]], kind: str, **extra: Any) -> Response:
    try:
        start = int(request.query_params.get("start-index", "1"))
        size = min(1000, int(request.query_params.get("max-results", "1000")))
    except ValueError:
        raise GoogleError(400, "Invalid value for start-index or max-results") from None
    page = items[start - 1:start - 1 + size]
    return JSONResponse({"kind": kind, "username": "analyst@acme.example", "totalResults": len(items),
                         "startIndex": start, "itemsPerPage": size, "items": page, **extra})


async def account_summaries(backend: Backend, request: Request) -> Response:
    items = [{"id": a["id"], "kind": "analytics#accountSummary", "name": a["name"], "starred": False,
              "webProperties": [{"kind": "analytics#webPropertySummary", "id": p["id"], "name": p["name"],
                                 "internalWebPropertyId": p["id"].split("-")[1], "level": p["level"],
                                 "websiteUrl": p["websiteUrl"],
                                 "profiles": [{"kind": "analytics#profileSummary", "id": v, "name": n, "type": "WEB"}
                                              for v, n in p["views"].items()]}
                                for p in a["properties"]]} for a in ACCOUNTS]
    return _paged(request, items, "analytics#accountSummaries")


def _property(request: Request) -> None:
    account, prop = request.path_params["account"], request.path_params["property"]
    if not any(a["id"] == account and any(p["id"] == prop for p in a["properties"]) for a in ACCOUNTS):
        raise GoogleError(403, f"User does not have permission to perform this operation on property {prop}.")


async def custom_dimensions(backend: Backend, request: Request) -> Response:
    _property(request)
    return _paged(request, list(CUSTOM_DIMENSIONS), "analytics#customDimensions")


async def custom_metrics(backend: Backend, request: Request) -> Response:
    _property(request)
    return _paged(request, list(CUSTOM_METRICS), "analytics#customMetrics")


async def columns(backend: Backend, request: Request) -> Response:
    items = [{"id": c, "kind": "analytics#column", "attributes": {"type": t, "dataType": d, "status": s, "uiName": u,
                                                                   "group": "Fake", "description": f"{u} ({c})"}}
             for c, t, d, s, u in COLUMNS]
    return JSONResponse({"kind": "analytics#columns", "etag": "\"fake-etag\"", "totalResults": len(items),
                         "attributeNames": ["type", "dataType", "group", "status", "uiName", "description"],
                         "items": items})


def _date(text: Any, now: datetime) -> datetime:
    parsed = report_day(text, now.replace(hour=0, minute=0, second=0, microsecond=0))
    if parsed is None:
        raise GoogleError(400, f"Invalid value '{text or ''}' for start_date or end_date")
    return parsed


def _known(name: str, kind: str) -> bool:
    if any(c == name and t == kind for c, t, _, _, _ in COLUMNS):
        return True
    custom = CUSTOM_DIMENSIONS if kind == "DIMENSION" else CUSTOM_METRICS
    return any(c["id"] == name for c in custom)


async def batch_get(backend: Backend, request: Request) -> Response:
    """`POST /v4/reports:batchGet` with one or more report requests (one report each)."""
    body = await request.json()
    requests_ = body.get("reportRequests") or []
    if not requests_ or len(requests_) > 5:
        raise GoogleError(400, "There must be between 1 and 5 reportRequests.")
    return JSONResponse({"reports": [_report(backend, r) for r in requests_]})


def _report(backend: Backend, spec: dict[str, Any]) -> dict[str, Any]:
    view = str(spec.get("viewId") or "")
    if not any(view in p["views"] for a in ACCOUNTS for p in a["properties"]):
        raise GoogleError(403, "User does not have sufficient permissions for this profile.")
    dimensions = [str(d.get("name")) for d in spec.get("dimensions") or []]
    metrics = [str(m.get("expression")) for m in spec.get("metrics") or []]
    if len(dimensions) > MAX_DIMENSIONS:
        raise GoogleError(400, f"Requested {len(dimensions)} dimensions; only {MAX_DIMENSIONS} are allowed.")
    if not metrics or len(metrics) > MAX_METRICS:
        raise GoogleError(400, f"Requested {len(metrics)} metrics; between 1 and {MAX_METRICS} are allowed.")
    unknown = [d for d in dimensions if not _known(d, "DIMENSION")] + [m for m in metrics if not _known(m, "METRIC")]
    if unknown:
        raise GoogleError(400, f"Unknown dimension(s) or metric(s): {', '.join(unknown)}")
    size = int(spec.get("pageSize") or 1000)
    if size > MAX_PAGE or size < 1:
        raise GoogleError(400, f"pageSize must be between 1 and {MAX_PAGE}")
    now = datetime.fromtimestamp(backend.clock(), UTC)
    ranges = spec.get("dateRanges") or [{"startDate": "7daysAgo", "endDate": "yesterday"}]
    start, end = _date(ranges[0].get("startDate"), now), _date(ranges[0].get("endDate"), now)
    if end < start:
        raise GoogleError(400, "The end date must not be before the start date.")
    rows = backend.rows_between(view, start, end + timedelta(days=1))
    groups: dict[tuple[Any, ...], list[float]] = {}
    for row in rows:
        key = tuple(row.get(d, "(not set)") for d in dimensions)
        sums = groups.setdefault(key, [0.0] * len(metrics))
        for i, metric in enumerate(metrics):
            sums[i] += float(row.get(metric) or 0)
    ordered = sorted(groups.items())
    offset = int(spec.get("pageToken") or 0)
    page = ordered[offset:offset + size]
    types = {c: d for c, _, d, _, _ in COLUMNS} | {c["id"]: c["type"] for c in CUSTOM_METRICS}
    data: dict[str, Any] = {
        "rows": [{"dimensions": list(k), "metrics": [{"values": [_text(v, types.get(m, "INTEGER"))
                                                                  for v, m in zip(s, metrics, strict=True)]}]}
                 for k, s in page],
        "rowCount": len(ordered), "isDataGolden": end < now - timedelta(days=2)}
    if backend.sampling is not None:
        data["samplesReadCounts"] = [str(backend.sampling[0])]
        data["samplingSpaceSizes"] = [str(backend.sampling[1])]
    report: dict[str, Any] = {"columnHeader": {
        "dimensions": dimensions,
        "metricHeader": {"metricHeaderEntries": [{"name": m, "type": types.get(m, "INTEGER")} for m in metrics]}},
        "data": data}
    if offset + size < len(ordered):
        report["nextPageToken"] = str(offset + size)
    return report


def _text(value: float, data_type: str) -> str:
    return str(int(value)) if data_type == "INTEGER" else repr(round(value, 6))


def build_app(backend: Backend) -> Starlette:
    """The fake's ASGI app."""

    async def token_endpoint(request: Request) -> Response:
        return await token(backend, request)

    mgmt = "/analytics/v3/management"
    return Starlette(routes=[
        Route("/token", token_endpoint, methods=["POST"]),
        Route(f"{mgmt}/accountSummaries", _api(backend, account_summaries)),
        Route(f"{mgmt}/accounts/{{account}}/webproperties/{{property}}/customDimensions",
              _api(backend, custom_dimensions)),
        Route(f"{mgmt}/accounts/{{account}}/webproperties/{{property}}/customMetrics", _api(backend, custom_metrics)),
        Route("/analytics/v3/metadata/ga/columns", _api(backend, columns)),
        Route("/v4/reports:batchGet", _api(backend, batch_get), methods=["POST"]),
    ])
