"""The Redshift Data API stand-in's HTTP face: AWS JSON 1.1, one POST route, `X-Amz-Target`.

Requests must carry a SigV4 `Authorization` header for the `redshift-data` service (the
signature itself is not verified: the stand-in has no secret keys); the access key id is
recorded in `state.callers`. Errors are `{"__type": ..., "Message": ...}` with status 400, as
AWS JSON services answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.redshift.state import RUNNING, ApiError, Part, RedshiftDataState, Statement

_CREDENTIAL = re.compile(r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/\d{8}/[\w-]+/redshift-data/aws4_request,")
CONTENT_TYPE = "application/x-amz-json-1.1"


def build_app(state: RedshiftDataState) -> Starlette:
    """The ASGI app serving `state`."""
    operations: dict[str, Callable[[RedshiftDataState, dict[str, Any]], dict[str, Any]]] = {
        "ExecuteStatement": _execute, "BatchExecuteStatement": _batch, "DescribeStatement": _describe,
        "GetStatementResult": _result, "CancelStatement": _cancel, "ListStatements": _list,
    }

    async def endpoint(request: Request) -> Response:
        try:
            match = _CREDENTIAL.match(request.headers.get("authorization", ""))
            if match is None:
                raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
            target = request.headers.get("x-amz-target", "")
            prefix, _, name = target.partition(".")
            if prefix != "RedshiftData" or name not in operations:
                raise ApiError("UnknownOperationException", f"Unknown operation {target}")
            try:
                params = json.loads(await request.body() or b"{}")
            except ValueError:
                raise ApiError("SerializationException",
                               "Start of structure or map found where not expected.") from None
            state.callers.append(match["key"])
            if state.deny:
                raise ApiError("AccessDeniedException", f"User: {match['key']} is not authorized to perform: "
                               f"redshift-data:{name} because no identity-based policy allows the action")
            body = operations[name](state, params)
            return Response(json.dumps(body, default=str), media_type=CONTENT_TYPE)
        except ApiError as exc:
            return JSONResponse({"__type": exc.type, "Message": exc.message, **exc.extra}, status_code=exc.status,
                                media_type=CONTENT_TYPE)

    return Starlette(routes=[Route("/", endpoint, methods=["POST"])])


def _require(params: dict[str, Any], name: str) -> Any:
    if params.get(name) in (None, "", []):
        raise ApiError("ValidationException", f"1 validation error detected: Value null at '{name[0].lower()}"
                                              f"{name[1:]}' failed to satisfy constraint: Member must not be null")
    return params[name]


def _submitted(statement: Statement) -> dict[str, Any]:
    return {"Id": statement.id, "CreatedAt": statement.created, "Database": statement.database,
            **{k: v for k, v in statement.target.items() if v}}


def _execute(state: RedshiftDataState, params: dict[str, Any]) -> dict[str, Any]:
    sql = _require(params, "Sql")
    return _submitted(state.submit([str(sql)], params, batch=False))


def _batch(state: RedshiftDataState, params: dict[str, Any]) -> dict[str, Any]:
    sqls = _require(params, "Sqls")
    if not isinstance(sqls, list) or len(sqls) > 40:
        raise ApiError("ValidationException", "Sqls must hold between 1 and 40 statements.")
    return _submitted(state.submit([str(s) for s in sqls], params, batch=True))


def _part_data(part: Part) -> dict[str, Any]:
    data = {"Id": part.id, "Status": part.status, "CreatedAt": part.created, "UpdatedAt": part.updated,
            "QueryString": part.sql, "ResultRows": part.result_rows, "HasResultSet": part.has_result_set,
            "Duration": int((part.updated - part.created) * 1e9) if part.status not in RUNNING else -1}
    if part.error:
        data["Error"] = part.error
    return data


def _describe(state: RedshiftDataState, params: dict[str, Any]) -> dict[str, Any]:
    statement, part = state.find(str(_require(params, "Id")))
    if part is not None:
        return {**_part_data(part), "Database": statement.database}
    body: dict[str, Any] = {
        "Id": statement.id, "Status": statement.status, "Database": statement.database,
        "CreatedAt": statement.created, "UpdatedAt": statement.updated,
        "HasResultSet": any(p.has_result_set for p in statement.parts),
        "ResultRows": sum(max(p.result_rows, 0) for p in statement.parts) if not statement.batch
        else statement.parts[-1].result_rows,
        "Duration": int((statement.updated - statement.created) * 1e9) if statement.status not in RUNNING else -1,
        **{k: v for k, v in statement.target.items() if v},
    }
    if statement.batch:
        body["SubStatements"] = [_part_data(p) for p in statement.parts]
    else:
        body["QueryString"] = statement.parts[0].sql
    if statement.error:
        body["Error"] = statement.error
    return body


def _field(value: Any) -> dict[str, Any]:
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"longValue": value}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


def _result(state: RedshiftDataState, params: dict[str, Any]) -> dict[str, Any]:
    statement_id = str(_require(params, "Id"))
    statement, part = state.find(statement_id)
    if part is None:
        if statement.batch:
            raise ApiError("ValidationException", "Use the sub-statement id (<id>:<n>) to fetch a batch's results.")
        part = statement.parts[0]
    if part.status != "FINISHED":
        raise ApiError("ResourceNotFoundException", f"Query does not have result. Please check query status with "
                       f"DescribeStatement: {statement_id}", ResourceId=statement_id)
    if not part.has_result_set:
        raise ApiError("ResourceNotFoundException", f"Query does not have result: {statement_id}",
                       ResourceId=statement_id)
    token = params.get("NextToken")
    start = int(token) if isinstance(token, str) and token.isdigit() else 0
    end = start + state.page_rows
    body: dict[str, Any] = {"Records": [[_field(v) for v in row] for row in part.rows[start:end]],
                            "ColumnMetadata": part.columns, "TotalNumRows": len(part.rows)}
    if end < len(part.rows):
        body["NextToken"] = str(end)
    return body


def _cancel(state: RedshiftDataState, params: dict[str, Any]) -> dict[str, Any]:
    return {"Status": state.cancel(str(_require(params, "Id")))}


def _list(state: RedshiftDataState, params: dict[str, Any]) -> dict[str, Any]:
    wanted_status = params.get("Status") or "ALL"
    name = params.get("StatementName")
    found = [s for s in sorted(state.statements.values(), key=lambda s: s.created, reverse=True)
             if (wanted_status == "ALL" or s.status == wanted_status)
             and (not name or (s.name or "").startswith(name))]
    return {"Statements": [
        {"Id": s.id, "Status": s.status, "StatementName": s.name, "CreatedAt": s.created, "UpdatedAt": s.updated,
         "IsBatchStatement": s.batch, "QueryStrings" if s.batch else "QueryString":
         [p.sql for p in s.parts] if s.batch else s.parts[0].sql}
        for s in found[: int(params.get("MaxResults") or 100)]
    ]}
