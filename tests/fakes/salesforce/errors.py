"""Salesforce-shaped errors and injectable faults for the fake org."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field


class SalesforceError(Exception):
    """An error answered as Salesforce does: HTTP status plus `[{"message", "errorCode"}]`."""

    def __init__(self, status: int, error_code: str, message: str, headers: dict[str, str] | None = None,
                 fields: list[str] | None = None):
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = dict(headers or {})
        self.fields = fields

    def body(self) -> list[dict]:
        """The JSON body Salesforce sends for this error."""
        entry: dict = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            entry["fields"] = self.fields
        return [entry]


# What Salesforce says for the statuses tests inject without naming an error code.
DEFAULT_FAULTS = {
    400: ("BAD_REQUEST", "Bad request"),
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    404: ("NOT_FOUND", "The requested resource does not exist"),
    429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
    500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support."),
    502: ("SERVER_UNAVAILABLE", "Bad gateway"),
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable, please try again later"),
}
LIMIT_MESSAGES = {"REQUEST_LIMIT_EXCEEDED": "TotalRequests Limit exceeded."}


@dataclass
class Fault:
    """One injected failure: requests matching `method` and `path_regex` fail `count` times (-1: forever)."""

    method: str
    path_regex: str
    status: int
    error_code: str | None = None
    count: int = 1
    retry_after: float | None = None
    delay: float = 0
    message: str | None = None
    pattern: re.Pattern = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pattern = re.compile(self.path_regex)

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method.upper() == method.upper()) and bool(self.pattern.search(path))

    def error(self) -> SalesforceError:
        """The SalesforceError this fault answers with (a status of 0 means: only delay, no failure)."""
        code, message = DEFAULT_FAULTS.get(self.status, ("UNKNOWN_EXCEPTION", "Injected fault"))
        if self.error_code and self.error_code != code:
            code = self.error_code
            message = LIMIT_MESSAGES.get(code, f"Injected fault {code}")
        headers = {}
        if self.retry_after is not None:
            ra = self.retry_after
            headers["Retry-After"] = str(int(ra)) if float(ra).is_integer() else str(ra)
        return SalesforceError(self.status, code, self.message or message, headers)


class Faults:
    """The registry of pending faults; thread-safe since routes run in a threadpool."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, method: str, path_regex: str, status: int, error_code: str | None = None, count: int = 1,
            retry_after: float | None = None, delay: float = 0, message: str | None = None) -> Fault:
        """Make the next `count` requests matching method (or "*") and path regex (searched) fail."""
        fault = Fault(method, path_regex, status, error_code, count, retry_after, delay, message)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first pending fault matching this request, using up one of its occurrences."""
        with self._lock:
            for fault in self._faults:
                if fault.count != 0 and fault.matches(method, path):
                    if fault.count > 0:
                        fault.count -= 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.count != 0]
