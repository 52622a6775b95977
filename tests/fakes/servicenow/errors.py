"""ServiceNow-shaped REST errors: `{"error": {"message", "detail"}, "status": "failure"}`."""

from __future__ import annotations

from starlette.responses import JSONResponse


class ServiceNowError(Exception):
    """An error the fake answers with ServiceNow's REST error body and the given status and headers."""

    def __init__(self, status: int, message: str, detail: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {message}: {detail}")
        self.status = status
        self.message = message
        self.detail = detail
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        """The HTTP answer for this error."""
        body = {"error": {"message": self.message, "detail": self.detail}, "status": "failure"}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def not_authenticated() -> ServiceNowError:
    """401: no, wrong or expired credentials."""
    return ServiceNowError(401, "User Not Authenticated", "Required to provide Auth information")


def not_authorized() -> ServiceNowError:
    """403: the user's roles do not pass the table's ACL."""
    return ServiceNowError(403, "User Not Authorized", "Failed API level ACL Validation")


def invalid_table(name: str) -> ServiceNowError:
    """400: the path names a table the instance does not have."""
    return ServiceNowError(400, f"Invalid table {name}", None)


def no_record() -> ServiceNowError:
    """404: a sys_id that does not exist (or that ACLs hide)."""
    return ServiceNowError(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
