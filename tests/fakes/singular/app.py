"""The Starlette application of the fake account: API key, throttling, request log, reports and metadata."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .account import (
    APPS,
    CONVERSION_METRICS,
    COUNTRIES,
    CUSTOM_DIMENSIONS,
    DIMENSIONS,
    MAX_RUNNING,
    METRICS,
    OS,
    SOURCES,
    Account,
    Report,
)

Handler = Callable[[Account, Request, dict[str, str]], Awaitable[Response] | Response]


class SingularError(Exception):
    """An error answer in Singular's envelope."""

    def __init__(self, status: int, substatus: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.substatus, self.message, self.headers = status, substatus, message, headers or {}

    def response(self) -> Response:
        return JSONResponse({"status": 1, "substatus": self.substatus, "value": self.message}, self.status,
                            headers=self.headers)


def ok(value: Any) -> JSONResponse:
    return JSONResponse({"status": 0, "substatus": 0, "value": value})


def _api(account: Account, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()} if request.method == "POST" else {}
        logged = {k: request.query_params.getlist(k) for k in request.query_params if k != "api_key"}
        logged.update({k: [v] for k, v in form.items() if k != "api_key"})
        account.log.add(request.method, request.url.path, logged)
        try:
            rule = account.throttles.take(request.url.path)
            if rule is not None:
                headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
                raise SingularError(429, 429, "Too many requests: rate limit exceeded, try again later", headers)
            key = request.headers.get("authorization") or request.query_params.get("api_key") or form.get("api_key")
            if key != account.api_key:
                raise SingularError(401, 1, "Invalid or missing API key")
            result = handler(account, request, form)
            return await result if isinstance(result, Awaitable) else result
        except SingularError as exc:
            return exc.response()
    return endpoint


def _names(text: str | None) -> list[str]:
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def _date(form: dict[str, str], name: str) -> date:
    try:
        return date.fromisoformat(form.get(name, ""))
    except ValueError:
        raise SingularError(400, 2, f"Invalid or missing {name}: use YYYY-MM-DD") from None


def create(account: Account, request: Request, form: dict[str, str]) -> Response:
    """`POST /api/v2.0/create_async_report`: validate, compute the rows, answer the report id."""
    start, end = _date(form, "start_date"), _date(form, "end_date") if form.get("end_date") else None
    end = end or start
    if end < start:
        raise SingularError(400, 2, "end_date must not be before start_date")
    dimensions, metrics = _names(form.get("dimensions")), _names(form.get("metrics"))
    unknown = [d for d in dimensions if d not in DIMENSIONS] + [m for m in metrics if m not in METRICS]
    if unknown:
        raise SingularError(400, 3, f"Invalid dimensions or metrics: {', '.join(unknown)}")
    if not metrics:
        raise SingularError(400, 3, "At least one metric is required")
    if form.get("format", "json") not in ("json", "csv"):
        raise SingularError(400, 2, "format must be json or csv")
    if account.running() >= MAX_RUNNING:
        raise SingularError(429, 4, "Too many concurrent async reports (limit 100)")
    try:
        filters = json.loads(form["filters"]) if form.get("filters") else []
    except ValueError:
        raise SingularError(400, 2, "filters must be a JSON list") from None
    for name in ("app", "source"):
        if form.get(name):
            filters.append({"dimension": name, "operator": "in", "values": _names(form[name])})
    report = account.new_report(form)
    rows = [r for n in range((end - start).days + 1) for r in account.rows_of(start + timedelta(days=n))]
    rows = [r for r in rows if all(_passes(r, f) for f in filters)]
    report.pending = _aggregate(rows, dimensions, metrics, form.get("time_breakdown", "all"))
    return ok({"report_id": report.report_id})


def _passes(row: dict[str, Any], rule: dict[str, Any]) -> bool:
    value = row.get(str(rule.get("dimension")))
    inside = value in (rule.get("values") or [])
    return inside if rule.get("operator", "in") == "in" else not inside


def _aggregate(rows: list[dict[str, Any]], dimensions: list[str], metrics: list[str],
               breakdown: str) -> list[dict[str, Any]]:
    keys = (["start_date", "end_date"] if breakdown == "day" else []) + dimensions
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row.get(k) for k in keys)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {k: row.get(k) for k in keys} | {m: None for m in metrics}
        for metric in metrics:
            if row.get(metric) is not None:
                group[metric] = (group[metric] or 0) + row[metric]
    return list(groups.values())


def report_status(account: Account, request: Request, form: dict[str, str]) -> Response:
    """`GET /api/v2.0/get_report_status`: QUEUED/STARTED until enough checks, then DONE (or FAILED)."""
    report = account.reports.get(request.query_params.get("report_id", ""))
    if report is None:
        raise SingularError(404, 5, "Report not found")
    report.checks += 1
    value: dict[str, Any] = {"report_id": report.report_id}
    if report.checks <= account.checks_before_done:
        value["status"] = "QUEUED" if report.checks == 1 else "STARTED"
        return ok(value)
    result, report.pending = report.pending, None
    if result is not None:
        if len(result) > account.row_limit:
            report.error = f"The report exceeds the row limit ({account.row_limit} rows); query fewer days"
        else:
            report.rows = result
    if report.error:
        return ok(value | {"status": "FAILED", "error": report.error})
    base = str(request.base_url).rstrip("/")
    return ok(value | {"status": "DONE", "download_url": f"{base}/download/{report.report_id}?sig={report.token}",
                       "url_expires_in": 3600})


def download(account: Account, request: Request) -> Response:
    """The finished report's JSON (its link carries its own signature; no API key)."""
    report = account.reports.get(request.path_params["report_id"])
    account.log.add("GET", request.url.path, {})
    if report is None or report.rows is None or request.query_params.get("sig") != report.token:
        return Response("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", 403,
                        media_type="application/xml")
    return ok({"results": report.rows})


def filters(account: Account, request: Request, form: dict[str, str]) -> Response:
    """`GET /api/v2.0/reporting/filters`: the dimensions reports may filter on, with their values."""
    options = {"app": APPS, "source": SOURCES, "os": OS, "platform": ("iOS", "Android"), "country_field": COUNTRIES}
    return ok({"dimensions": [{"name": name, "display_name": name.replace("_", " ").title(),
                               "values": [{"name": v, "display_name": v} for v in values]}
                              for name, values in options.items()]})


def custom_dimensions(account: Account, request: Request, form: dict[str, str]) -> Response:
    return ok({"custom_dimensions": list(CUSTOM_DIMENSIONS)})


def conversion_metrics(account: Account, request: Request, form: dict[str, str]) -> Response:
    return ok({"metrics": list(CONVERSION_METRICS)})


def build_app(account: Account) -> Starlette:
    """The fake's ASGI app."""

    async def download_endpoint(request: Request) -> Response:
        return download(account, request)

    return Starlette(routes=[
        Route("/api/v2.0/create_async_report", _api(account, create), methods=["POST"]),
        Route("/api/v2.0/get_report_status", _api(account, report_status)),
        Route("/api/v2.0/reporting/filters", _api(account, filters)),
        Route("/api/custom_dimensions", _api(account, custom_dimensions)),
        Route("/api/conversion_metrics", _api(account, conversion_metrics)),
        Route("/download/{report_id}", download_endpoint),
    ])


__all__ = ["Report", "build_app"]
