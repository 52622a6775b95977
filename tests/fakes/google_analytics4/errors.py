"""Google's error answer: `{"error": {"code", "message", "status"}}` (https://cloud.google.com/apis/design/errors)."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED"}


class GoogleError(Exception):
    """An error the fake answers with Google's body."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def response(self) -> Response:
        return JSONResponse({"error": {"code": self.code, "message": self.message, "status": STATUS[self.code]}},
                            self.code)
