"""The fake tickets API over HTTP (standard library only).

- `GET /v1/tickets?limit=&page_token=&updated_since=`: a page of tickets ordered by id,
  `{"tickets": [...], "next_page_token": "..." | null}`; `limit` 1..100 (default 50);
  `updated_since` (ISO date-time) keeps tickets with `updated_at >= updated_since`.
- `GET /v1/tickets/{id}`: one ticket, or 404.
- `POST /v1/tickets`: create one ticket from a JSON object: 201 with the ticket, or 422
  `{"error": "validation_failed", "message", "field"}` (empty `subject`, unknown `status`,
  `priority` not 1..4, unknown fields).
- Every /v1 call needs `Authorization: Bearer <apiKey>`, else 401 `{"error": "unauthorized"}`.
- `POST /v1/__control` `{"delay": seconds, "fail": {"status": 503, "count": 2}, "reset": true}`
  injects latency or failures into the following /v1 calls; `GET /v1/__control` shows counters.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

STATUSES = ("open", "pending", "solved", "closed")
FIELDS = {"id", "subject", "description", "status", "priority", "requester", "created_at", "updated_at"}
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    """ISO 8601 UTC with a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(count: int) -> list[dict[str, Any]]:
    """Deterministic tickets 1..count."""
    tickets = []
    for n in range(1, count + 1):
        created = EPOCH + timedelta(hours=n * 7)
        tickets.append({"id": n, "subject": f"Ticket {n}", "description": f"Generated ticket number {n}",
                        "status": STATUSES[n % 4], "priority": n % 4 + 1, "requester": f"user{n % 17}@example.com",
                        "created_at": stamp(created), "updated_at": stamp(created + timedelta(minutes=n % 90))})
    return tickets


def encode_token(offset: int) -> str:
    """An opaque page token."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_token(token: str) -> int:
    """The offset in a page token; ValueError when it is not one of ours."""
    text = base64.urlsafe_b64decode(token.encode()).decode()
    if not text.startswith("offset:"):
        raise ValueError(token)
    return int(text[7:])


class FakeJsonApi:
    """The tickets API on 127.0.0.1; start()/stop() or a `with` block."""

    def __init__(self, port: int = 0, api_key: str = "test-key", tickets: int = 250) -> None:
        self.api_key = api_key
        self.tickets = generate(tickets)
        self.delay = 0.0
        self.fail_status = 0
        self.fail_count = 0
        self.requests: dict[str, int] = {}
        self.lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.api = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> FakeJsonApi:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"fake-json-api-{self.port}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeJsonApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self, key: str) -> None:
        """Count one request of a kind (e.g. "GET /v1/tickets")."""
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1

    def take_failure(self) -> int:
        """The status to fail this call with (0: none), consuming one injected failure."""
        with self.lock:
            if self.fail_count <= 0:
                return 0
            self.fail_count -= 1
            return self.fail_status

    def validate(self, body: Any) -> tuple[str, str] | None:
        """(field, message) for an invalid new ticket, or None."""
        if not isinstance(body, dict):
            return "", "body must be a JSON object"
        unknown = sorted(set(body) - FIELDS)
        if unknown:
            return unknown[0], f"unknown field {unknown[0]}"
        if not str(body.get("subject") or "").strip():
            return "subject", "subject must not be empty"
        if body.get("status", "open") not in STATUSES:
            return "status", f"status must be one of {', '.join(STATUSES)}"
        if body.get("priority", 2) not in (1, 2, 3, 4):
            return "priority", "priority must be 1, 2, 3 or 4"
        return None

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Store a validated ticket, assigning id and timestamps."""
        now = stamp(datetime.now(UTC))
        with self.lock:
            ticket = {"id": (self.tickets[-1]["id"] if self.tickets else 0) + 1, "description": "", "status": "open",
                      "priority": 2, "requester": None, **{k: v for k, v in body.items() if k != "id"},
                      "created_at": now, "updated_at": now}
            self.tickets.append(ticket)
        return ticket


class _QuietServer(ThreadingHTTPServer):
    """Clients dropping kept-alive connections are normal, not errors worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def api(self) -> FakeJsonApi:
        return self.server.api  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def _gate(self, key: str) -> bool:
        """Count, delay, authenticate and inject failures; False when the call was already answered."""
        self.api.count(key)
        if self.api.delay:
            time.sleep(self.api.delay)
        if self.headers.get("Authorization") != f"Bearer {self.api.api_key}":
            self._json(401, {"error": "unauthorized", "message": "Missing or invalid API key"})
            return False
        status = self.api.take_failure()
        if status:
            self._json(status, {"error": "injected", "message": f"Injected failure {status}"},
                       {"Retry-After": "1"} if status == 429 else None)
            return False
        return True

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == "/v1/__control":
            self._json(200, {"delay": self.api.delay, "failCount": self.api.fail_count, "requests": self.api.requests,
                             "tickets": len(self.api.tickets)})
            return
        single = re.fullmatch(r"/v1/tickets/(\d+)", url.path)
        if url.path not in ("/v1/tickets", "/v1/tickets/") and not single:
            self._json(404, {"error": "not_found", "message": url.path})
            return
        if not self._gate(f"GET {'/v1/tickets/{id}' if single else '/v1/tickets'}"):
            return
        if single:
            ticket = next((t for t in self.api.tickets if t["id"] == int(single.group(1))), None)
            self._json(200 if ticket else 404, ticket or {"error": "not_found", "message": "no such ticket"})
            return
        try:
            limit = int(query.get("limit", 50))
            offset = decode_token(query["page_token"]) if query.get("page_token") else 0
            if not 1 <= limit <= 100:
                raise ValueError("limit")
        except (ValueError, UnicodeDecodeError):
            self._json(400, {"error": "bad_request", "message": "bad limit or page_token"})
            return
        tickets = self.api.tickets
        since = query.get("updated_since")
        if since:
            tickets = [t for t in tickets if t["updated_at"] >= since]
        page = tickets[offset:offset + limit]
        next_token = encode_token(offset + limit) if offset + limit < len(tickets) else None
        self._json(200, {"tickets": page, "next_page_token": next_token})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        try:
            body = self._read_body()
        except ValueError:
            self._json(400, {"error": "bad_request", "message": "body is not JSON"})
            return
        if url.path == "/v1/__control":
            self._control(body or {})
            return
        if url.path not in ("/v1/tickets", "/v1/tickets/"):
            self._json(404, {"error": "not_found", "message": url.path})
            return
        if not self._gate("POST /v1/tickets"):
            return
        problem = self.api.validate(body)
        if problem:
            self._json(422, {"error": "validation_failed", "field": problem[0], "message": problem[1]})
            return
        self._json(201, self.api.create(body))

    def _control(self, body: dict[str, Any]) -> None:
        with self.api.lock:
            if body.get("reset"):
                self.api.delay, self.api.fail_count, self.api.fail_status = 0.0, 0, 0
                self.api.requests.clear()
            if "delay" in body:
                self.api.delay = float(body["delay"])
            if "fail" in body:
                self.api.fail_status = int(body["fail"].get("status", 503))
                self.api.fail_count = int(body["fail"].get("count", 1))
        self._json(200, {"delay": self.api.delay, "failCount": self.api.fail_count})
