"""The Starlette application of the fake Vault: auth, VQL query and paging, metadata, document files."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import vql
from .vault import (
    BURST_LIMIT,
    COUNTRY_FIELDS,
    DOCUMENT_PROPERTIES,
    DOCUMENT_TYPES,
    PRODUCT_FIELDS,
    Vault,
)

MAX_PAGE = 1000
OBJECTS = {"product__v": ("Product", "Products", PRODUCT_FIELDS),
           "country__v": ("Country", "Countries", COUNTRY_FIELDS)}


class VaultFailure(Exception):
    """A `FAILURE` envelope (HTTP 200 unless said otherwise)."""

    def __init__(self, kind: str, message: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.status, self.headers = kind, message, status, headers or {}

    def response(self) -> Response:
        return JSONResponse({"responseStatus": "FAILURE", "errors": [{"type": self.kind, "message": self.message}]},
                            self.status, headers=self.headers)


def success(**body: Any) -> JSONResponse:
    return JSONResponse({"responseStatus": "SUCCESS", **body})


Handler = Callable[[Vault, Request, dict[str, str]], Awaitable[Response] | Response]


def build_app(vault: Vault) -> Starlette:
    def endpoint(handler: Handler, signed_in: bool = True) -> Callable[[Request], Awaitable[Response]]:
        async def call(request: Request) -> Response:
            form = {k: str(v) for k, v in (await request.form()).items()} if request.method == "POST" else {}
            logged = {k: request.query_params.getlist(k) for k in request.query_params}
            logged.update({k: [v] for k, v in form.items() if k != "password"})
            vault.log.add(request.method, request.url.path, logged)
            limits = {"X-VaultAPI-BurstLimit": str(BURST_LIMIT),
                      "X-VaultAPI-BurstLimitRemaining": str(vault.burst_remaining())}
            try:
                rule = vault.throttles.take(request.url.path)
                if rule is not None:
                    headers = {**limits, "X-VaultAPI-BurstLimitRemaining": "0"}
                    if rule.retry_after is not None:
                        headers["Retry-After"] = str(rule.retry_after)
                    raise VaultFailure("API_LIMIT_EXCEEDED", "API limit exceeded: the burst limit for this Vault "
                                       "is used up, try again later", 429, headers)
                if signed_in and not vault.session_valid(request.headers.get("authorization") or ""):
                    raise VaultFailure("INVALID_SESSION_ID", "Invalid or expired session ID.")
                result = handler(vault, request, form)
                response = await result if isinstance(result, Awaitable) else result
            except VaultFailure as exc:
                response = exc.response()
            response.headers.update({k: v for k, v in limits.items() if k not in response.headers})
            return response

        return call

    v = "/api/{version}"
    return Starlette(routes=[
        Route(f"{v}/auth", endpoint(auth, signed_in=False), methods=["POST"]),
        Route(f"{v}/query", endpoint(query), methods=["POST"]),
        Route(f"{v}/query/{{query_id}}", endpoint(query), methods=["GET", "POST"]),
        Route(f"{v}/metadata/vobjects", endpoint(list_objects), methods=["GET"]),
        Route(f"{v}/metadata/vobjects/{{name}}", endpoint(describe_object), methods=["GET"]),
        Route(f"{v}/metadata/objects/documents/properties", endpoint(document_properties), methods=["GET"]),
        Route(f"{v}/metadata/objects/documents/types", endpoint(document_types), methods=["GET"]),
        Route(f"{v}/objects/documents/{{doc_id:int}}/file", endpoint(source_file), methods=["GET"]),
        Route(f"{v}/objects/documents/{{doc_id:int}}/versions/{{major:int}}/{{minor:int}}/file",
              endpoint(source_file), methods=["GET"]),
        Route(f"{v}/objects/documents/{{doc_id:int}}/renditions", endpoint(renditions), methods=["GET"]),
        Route(f"{v}/objects/documents/{{doc_id:int}}/versions/{{major:int}}/{{minor:int}}/renditions",
              endpoint(renditions), methods=["GET"]),
        Route(f"{v}/objects/documents/{{doc_id:int}}/renditions/{{kind}}", endpoint(rendition_file), methods=["GET"]),
        Route(f"{v}/objects/documents/{{doc_id:int}}/versions/{{major:int}}/{{minor:int}}/renditions/{{kind}}",
              endpoint(rendition_file), methods=["GET"]),
    ])


def auth(vault: Vault, request: Request, form: dict[str, str]) -> Response:
    session = vault.sign_in(form.get("username", ""), form.get("password", ""))
    if session is None:
        raise VaultFailure("USERNAME_OR_PASSWORD_INCORRECT",
                           f"Authentication failed for user: {form.get('username', '')}")
    return success(sessionId=session, userId=61_524, vaultIds=[{"id": 1776, "name": "PromoMats",
                                                                 "url": f"{request.base_url}api"}], vaultId=1776)


def _types(source: str) -> dict[str, str]:
    if source == "documents":
        return {p["name"]: str(p["type"]) for p in DOCUMENT_PROPERTIES if p["queryable"]}
    if source in OBJECTS:
        return {f["name"]: str(f["type"]) for f in OBJECTS[source][2]}
    raise vql.VqlError("INVALID_DATA", f"Invalid VQL query: unknown object [{source}]")


def query(vault: Vault, request: Request, form: dict[str, str]) -> Response:
    version = request.path_params["version"]
    query_id = request.path_params.get("query_id")
    params = dict(request.query_params)
    if query_id is not None:
        if query_id not in vault.queries:
            raise VaultFailure("INVALID_DATA", f"Invalid query id [{query_id}]")
        rows, size, offset = vault.queries[query_id], int(params.get("pagesize") or MAX_PAGE), int(
            params.get("pageoffset") or 0)
    else:
        text = form.get("q") or ""
        if not text:
            raise VaultFailure("PARAMETER_REQUIRED", "Missing required parameter [q]")
        try:
            statement = vql.parse(text)
            types = _types(statement.source.lower())
            if statement.source.lower() == "documents":
                records = vault.document_records(statement.all_versions)
            else:
                records = vault.object_records(statement.source)
            rows = vql.run(statement, records, types)
        except vql.VqlError as exc:
            raise VaultFailure(exc.kind, exc.message) from None
        size, offset = statement.pagesize or MAX_PAGE, statement.pageoffset
    size = min(size, MAX_PAGE)
    page = rows[offset:offset + size]
    details: dict[str, Any] = {"pagesize": size, "pageoffset": offset, "size": len(page), "total": len(rows)}
    if offset + size < len(rows) or offset > 0:
        if query_id is None:
            query_id = vault.remember(rows)
        base = f"/api/{version}/query/{quote(query_id)}"
        if offset + size < len(rows):
            details["next_page"] = f"{base}?{urlencode({'pagesize': size, 'pageoffset': offset + size})}"
        if offset > 0:
            details["previous_page"] = f"{base}?{urlencode({'pagesize': size, 'pageoffset': max(0, offset - size)})}"
    return success(responseDetails=details, data=page)


def list_objects(vault: Vault, request: Request, form: dict[str, str]) -> Response:
    version = request.path_params["version"]
    return success(objects=[{"url": f"/api/{version}/metadata/vobjects/{name}", "label": label,
                             "label_plural": plural, "name": name, "prefix": name[:3].upper(),
                             "status": ["active__v"], "source": "standard", "in_menu": True}
                            for name, (label, plural, _) in OBJECTS.items()])


def describe_object(vault: Vault, request: Request, form: dict[str, str]) -> Response:
    name = request.path_params["name"]
    if name not in OBJECTS:
        raise VaultFailure("INVALID_DATA", f"Object [{name}] not found")
    label, plural, fields = OBJECTS[name]
    return success(object={"name": name, "label": label, "label_plural": plural, "status": ["active__v"],
                           "fields": fields})


def document_properties(vault: Vault, request: Request, form: dict[str, str]) -> Response:
    return success(properties=DOCUMENT_PROPERTIES)


def document_types(vault: Vault, request: Request, form: dict[str, str]) -> Response:
    version = request.path_params["version"]
    return success(types=[{"label": label, "value": f"{request.base_url}api/{version}/metadata/objects/documents/"
                                                      f"types/{name}"} for label, name in DOCUMENT_TYPES],
                   lock="https://vault/api/lock")


def _version(vault: Vault, request: Request) -> tuple[int, tuple[int, int]]:
    doc_id = int(request.path_params["doc_id"])
    index = vault.find_document(doc_id)
    if index is None:
        raise VaultFailure("INVALID_DATA", f"Invalid document id [{doc_id}]")
    versions = vault.versions(index)
    if "major" in request.path_params:
        version = (int(request.path_params["major"]), int(request.path_params["minor"]))
        if version not in versions:
            raise VaultFailure("INVALID_DATA", f"Invalid document version [{version[0]}.{version[1]}]")
        return doc_id, version
    return doc_id, versions[-1]


def _file(body: bytes, name: str) -> Response:
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment;filename="{name.encode("ascii", "replace").decode()}";'
                                                    f"filename*=UTF-8''{quote(name)}"})


def source_file(vault: Vault, request: Request, form: dict[str, str]) -> Response:
    doc_id, version = _version(vault, request)
    record = vault.document(doc_id - 100, version)
    if record["filename__v"] is None:
        raise VaultFailure("INVALID_DATA", "The document has no source file (it is a placeholder)")
    return _file(vault.source_file(doc_id, version), record["filename__v"])


def renditions(vault: Vault, request: Request, form: dict[str, str]) -> Response:
    doc_id, _ = _version(vault, request)
    kinds = vault.renditions(doc_id)
    base = re.sub(r"/renditions$", "", request.url.path)
    return success(renditionTypes=kinds, renditions={k: f"{request.base_url}{base.lstrip('/')}/renditions/{k}"
                                                     for k in kinds})


def rendition_file(vault: Vault, request: Request, form: dict[str, str]) -> Response:
    doc_id, version = _version(vault, request)
    kind = request.path_params["kind"]
    if kind not in vault.renditions(doc_id):
        raise VaultFailure("INVALID_DATA", f"Rendition type [{kind}] not found for document [{doc_id}]")
    return _file(vault.rendition_file(doc_id, version, kind), f"viewable-{doc_id}.pdf")
