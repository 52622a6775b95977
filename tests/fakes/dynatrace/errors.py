"""Dynatrace-shaped errors: `{"error": {"code", "message", "constraintViolations"}}` with the HTTP status."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

JSON = "application/json; charset=utf-8"


class DynatraceError(Exception):
    """An error answered as Dynatrace does; `violations` fill `constraintViolations` for 400s."""

    def __init__(self, status: int, message: str, violations: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.violations = violations
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The error envelope Dynatrace sends."""
        error: dict[str, Any] = {"code": self.status, "message": self.message}
        if self.violations is not None:
            error["constraintViolations"] = self.violations
        return {"error": error}

    def response(self) -> JSONResponse:
        """The HTTP response for this error."""
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers, media_type=JSON)


def bad_parameter(name: str, message: str) -> DynatraceError:
    """A 400 naming one query parameter, as Dynatrace's constraint violations do."""
    return DynatraceError(400, "Constraints violated.", [
        {"path": name, "message": message, "parameterLocation": "QUERY", "location": None}])
