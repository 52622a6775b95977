"""`GET /metrics`: the Prometheus text exposition, guarded as the operator chose (api layer).

`SLUICE_METRICS`: `loopback` (default) answers only clients connecting from 127.0.0.1 or ::1
(a Prometheus agent on the same host, or behind a reverse proxy the operator controls); `open`
answers anyone; `off` answers 404 to everyone. With `SLUICE_METRICS_TOKEN` set, a request
carrying `Authorization: Bearer <token>` is answered from anywhere (unless `off`), and one with a
wrong token is refused. The counts themselves come from `engine/metrics.py`.
"""

from __future__ import annotations

import hmac
import json

from starlette.types import Scope, Send

from sluice.engine import metrics
from sluice.settings import current

METRICS_PATH = "/metrics"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def allowed(scope: Scope) -> int:
    """200 when this request may read the metrics, else the status to refuse it with."""
    settings = current().observability
    if settings.metrics == "off":
        return 404
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
    given = headers.get("authorization", "")
    if settings.metrics_token and given:
        expected = f"Bearer {settings.metrics_token}"
        return 200 if hmac.compare_digest(given.encode(), expected.encode()) else 401
    if settings.metrics == "open":
        return 200
    client = (scope.get("client") or ("", 0))[0]
    return 200 if client in LOOPBACK else 403


async def serve_metrics(scope: Scope, send: Send) -> None:
    """Answer one `/metrics` request."""
    status = allowed(scope) if scope.get("method") in ("GET", "HEAD") else 405
    if status == 200:
        body, content_type = metrics.exposition(), metrics.CONTENT_TYPE.encode()
    else:
        messages = {401: "a valid bearer token is required", 403: "metrics are served to loopback clients only",
                    404: "metrics are off", 405: "use GET"}
        body, content_type = json.dumps({"message": messages[status]}).encode(), b"application/json"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body if scope.get("method") != "HEAD" else b""})
