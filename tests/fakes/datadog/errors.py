"""The error a fake Datadog handler raises; the app answers it as `{"errors": [message]}` (fake side)."""

from __future__ import annotations


class DatadogError(Exception):
    """An API error with its HTTP status (400 for bad arguments, 404 for unknown objects)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
