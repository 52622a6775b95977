"""Secrets Manager's GetSecretValue for custom connectors' credentials (API layer).

Requests carry `X-Amz-Target: secretsmanager.GetSecretValue` (the JSON 1.1 protocol boto3 speaks
for Secrets Manager) and are signed for the `secretsmanager` service with an account's connector
keys (`store.connector_keys`), each issued for one connector label of one account: the key's scope
decides which profiles' secrets it reads. Only GetSecretValue is offered: it is all a connector needs.
"""

from __future__ import annotations

import json
import logging

import anyio
from starlette.types import Receive, Scope, Send

from sluice.protocol.context import CONTEXT_KEY, RequestContext
from sluice.service.connector_secrets import ConnectorSecrets, SecretNotFound
from sluice.store.connector_keys import key_scope

log = logging.getLogger("sluice.api.secrets")
TARGET_PREFIX = "secretsmanager."
CONTENT_TYPE = b"application/x-amz-json-1.1"


def is_secrets_request(scope: Scope) -> bool:
    """True for a Secrets Manager JSON 1.1 request."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"x-amz-target":
            return value.decode("latin-1").startswith(TARGET_PREFIX)
    return False


async def _answer(send: Send, status: int, body: dict[str, object], request_id: str) -> None:
    data = json.dumps(body, default=str).encode()
    headers = [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(data)).encode()),
               (b"x-amzn-requestid", request_id.encode())]
    if status >= 400:
        headers.append((b"x-amzn-errortype", str(body.get("__type")).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _error(code: str, message: str) -> dict[str, object]:
    return {"__type": code, "message": message, "Message": message}


class SecretsEndpoint:
    """Answers signed GetSecretValue calls from connector code."""

    def __init__(self, secrets: ConnectorSecrets) -> None:
        self.secrets = secrets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context: RequestContext = scope[CONTEXT_KEY]
        target = dict(scope["headers"]).get(b"x-amz-target", b"").decode("latin-1")
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if target != TARGET_PREFIX + "GetSecretValue":
            operation = target[len(TARGET_PREFIX):]
            await _answer(send, 400, _error("UnknownOperationException",
                                            f"Sluice answers only GetSecretValue, not {operation}."),
                          context.request_id)
            return
        try:
            params = json.loads(body or b"{}")
            secret_id = str(params["SecretId"])
        except (ValueError, KeyError, TypeError):
            await _answer(send, 400, _error("InvalidParameterException", "SecretId is required."),
                          context.request_id)
            return
        issued_for = key_scope(context.access_key_id)  # (account id, connector label tag)
        try:
            if issued_for is None or issued_for[0] != context.account_id:
                raise SecretNotFound(secret_id)
            answer = await anyio.to_thread.run_sync(self.secrets.get_secret_value, context.account_id,
                                                    issued_for[1], secret_id)
        except SecretNotFound:
            await _answer(send, 400, _error("ResourceNotFoundException",
                                            "Secrets Manager can't find the specified secret."), context.request_id)
            return
        except Exception:
            log.exception("request %s: GetSecretValue failed", context.request_id)
            await _answer(send, 500, _error("InternalServiceError", "An internal error occurred."),
                          context.request_id)
            return
        await _answer(send, 200, answer, context.request_id)
