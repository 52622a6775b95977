"""Routes of the fake Customer Profiles API (Starlette), paths and methods as the model's `requestUri`s.

    POST /domains/{DomainName}                                CreateDomain
    GET  /domains/{DomainName}                                GetDomain
    PUT  /domains/{DomainName}/object-types/{ObjectTypeName}  PutProfileObjectType
    GET  /domains/{DomainName}/object-types/{ObjectTypeName}  GetProfileObjectType
    PUT  /domains/{DomainName}/profiles/objects               PutProfileObject
    POST /domains/{DomainName}/profiles/objects               ListProfileObjects (?max-results=&next-token=)

Errors are REST-JSON as AWS sends them: the status the model gives the exception (400
BadRequestException, 403 AccessDeniedException, 404 ResourceNotFoundException, 429
ThrottlingException, 500 InternalServerException), an `x-amzn-ErrorType` header naming it and a
body `{"Message": ...}`. Times are epoch seconds (the model's timestamps in JSON).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import auth
from .state import ApiError, CustomerProfilesState

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _error(error: ApiError) -> Response:
    body = {"Message": error.message} if error.status != 403 or error.code == "AccessDeniedException" \
        else {"message": error.message}
    return JSONResponse(body, status_code=error.status, headers={"x-amzn-ErrorType": error.code})


def build_app(state: CustomerProfilesState) -> Starlette:
    """The ASGI app over `state`."""

    async def handle(request: Request) -> Response:
        body = await request.body()
        state.requests.add(request.method, request.url.path, {k: request.query_params.getlist(k)
                                                              for k in request.query_params})
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode()
        query = request.scope.get("query_string", b"").decode()
        url = f"https://{request.headers.get('host', '')}{raw_path}" + (f"?{query}" if query else "")
        try:
            auth.check(request.method, url, {k.lower(): v for k, v in request.headers.items()}, body, state.keys)
            if state.take_throttle():
                raise ApiError("ThrottlingException", 429, "Rate exceeded")
            domain = request.path_params["domain"]
            if not NAME.match(domain):
                raise ApiError("BadRequestException", 400, f"DomainName {domain!r} does not match ^[a-zA-Z0-9_-]+$")
            payload: dict[str, Any] = json.loads(body) if body else {}
            return JSONResponse(_dispatch(state, request, domain, payload))
        except ApiError as error:
            return _error(error)
        except ValueError:
            return _error(ApiError("BadRequestException", 400, "The request body is not valid JSON"))

    return Starlette(routes=[
        Route("/domains/{domain}", handle, methods=["GET", "POST"]),
        Route("/domains/{domain}/object-types/{object_type}", handle, methods=["GET", "PUT"]),
        Route("/domains/{domain}/profiles/objects", handle, methods=["PUT", "POST"]),
    ])


def _dispatch(state: CustomerProfilesState, request: Request, domain: str, payload: dict[str, Any]) -> dict[str, Any]:
    path, method = request.url.path, request.method
    if path.endswith("/profiles/objects"):
        if method == "PUT":
            return {"ProfileObjectUniqueKey": state.put_object(domain, payload)}
        limit = int(request.query_params.get("max-results") or 20)
        items, token = state.list_objects(domain, payload, min(max(limit, 1), 100),
                                          request.query_params.get("next-token"))
        return {"Items": items, **({"NextToken": token} if token else {})}
    if "object_type" in request.path_params:
        name = request.path_params["object_type"]
        if method == "PUT":
            return state.put_object_type(domain, name, payload)
        return state.object_type(domain, name)
    found = state.create_domain(domain, payload) if method == "POST" else state.domain(domain)
    stats = {"ObjectCount": len(found.objects), "ProfileCount": len(found.profiles), "MeteringProfileCount": 0,
             "TotalSize": sum(len(o["Object"]) for o in found.objects.values())}
    return {"DomainName": found.name, "DefaultExpirationDays": found.expiration_days, "CreatedAt": found.created_at,
            "LastUpdatedAt": found.created_at, "Stats": stats, "Tags": found.tags}
