"""How a SaaS vendor's API is reached (connectors layer, shared REST layer): one `RestApi` per vendor.

A vendor folder declares, as data, what every call to its API shares:

* `hosts` - the API's host suffixes; `connectors/outbound.py` refuses every other host (the
  operator's `SLUICE_ENDPOINT_URL_<TYPE>` is added to them);
* `base_url` - where calls go: by default the profile's `instanceUrl`, else the operator's
  `SLUICE_ENDPOINT_URL_<TYPE>`, else `default_url`;
* `auth` - an `Auth` (auth.py), or a function choosing one from the profile's credentials;
* `errors` - reads a vendor error body into a `VendorError` (code, message); `envelope` does the
  same for vendors that answer errors with HTTP 200 (Slack's `{"ok": false}`, Marketo's
  `{"success": false}`);
* `classify` - maps a `VendorError` and status to a `ConnectorError` code; `throttled` and
  `expired` say which answers are retried after a wait and which after renewing the token.

Nothing here sends a request: `client.RestClient` does, with these rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView

if TYPE_CHECKING:
    from sluice.connectors.rest.auth import Auth


@dataclass(frozen=True, slots=True)
class VendorError:
    """An error the vendor answered: its own code (or `HTTP_<status>`) and message."""

    code: str
    message: str
    status: int = 0
    # Seconds the vendor asks to wait (Retry-After or a vendor header), when it says.
    retry_after: float | None = None


def json_error(response: httpx.Response, body: Any) -> VendorError:
    """A `VendorError` from the common error body shapes: `{"error": "...", "message"|"description": ...}`,
    `{"error": {"code", "message"}}`, `{"errors": [...]}`, `{"message": ...}`, or plain text."""
    status = response.status_code
    code, message = f"HTTP_{status}", ""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            code = str(error.get("code") or code)
            message = str(error.get("message") or error.get("detail") or "")
            detail = error.get("detail")
            if detail and str(detail) not in message:
                message = f"{message}: {detail}" if message else str(detail)
        elif error:
            code = str(error)
            message = str(body.get("description") or body.get("error_description") or body.get("message") or "")
        errors = body.get("errors")
        if not message and isinstance(errors, list) and errors:
            first = errors[0]
            if isinstance(first, Mapping):
                code = str(first.get("code") or code)
                message = str(first.get("message") or first.get("detail") or first.get("title") or "")
            else:
                message = "; ".join(str(e) for e in errors[:3])
        if not message and body.get("message"):
            message = str(body["message"])
    elif isinstance(body, str):
        message = body.strip()[:300]
    return VendorError(code, message or f"HTTP {status}", status)


def default_classify(error: VendorError) -> str:
    """The `ConnectorError` code for an error answer, by HTTP status."""
    status = error.status
    if status == 401:
        return "InvalidCredentials"
    if status == 403:
        return "AccessDenied"
    if status == 404:
        return "ResourceNotFound"
    if status == 429:
        return "ThrottlingError"
    if status in (400, 405, 409, 413, 414, 422):
        return "InvalidArgument"
    return "ServerError"


def _throttled(error: VendorError) -> bool:
    return error.status == 429


def _expired(error: VendorError) -> bool:
    return error.status == 401


@dataclass(frozen=True)
class RestApi:
    """What every call to one vendor's API shares (see the module docstring)."""

    connector_type: str
    vendor: str  # the vendor's name, as messages say it ("Zendesk")
    hosts: tuple[str, ...]
    auth: Auth | Callable[[ProfileView], Auth]
    default_url: str | None = None
    # (profile) -> base URL; None: `instanceUrl`, the endpoint override, then `default_url`.
    base_url: Callable[[ProfileView], str] | None = None
    errors: Callable[[httpx.Response, Any], VendorError] = json_error
    envelope: Callable[[httpx.Response, Any], VendorError | None] | None = None
    classify: Callable[[VendorError], str] = default_classify
    throttled: Callable[[VendorError], bool] = _throttled
    expired: Callable[[VendorError], bool] = _expired
    headers: Mapping[str, str] = field(default_factory=dict)
    # Header names whose value is seconds to wait before retrying (besides Retry-After), and
    # whether the value is a reset time in epoch seconds rather than a delay.
    wait_headers: tuple[str, ...] = ()

    def vendor_hosts(self) -> tuple[str, ...]:
        """The vendor's hosts plus the operator's endpoint override (`ConnectorSpec.vendor_hosts`)."""
        return outbound.known_hosts(self.connector_type, self.hosts)

    def url_of(self, profile: ProfileView) -> str:
        """The base URL calls go to, checked against the outbound rules."""
        if self.base_url is not None:
            url = self.base_url(profile)
        else:
            url = str(profile.properties.get("instanceUrl") or "").strip()
            url = url or outbound.endpoint_override(self.connector_type) or (self.default_url or "")
        if not url:
            raise ConnectorError("InvalidArgument", f"the {self.vendor} connector profile has no instanceUrl")
        if "://" not in url:
            url = f"https://{url}"
        # EndpointRefused is an InvalidArgument ConnectorError already.
        return outbound.check_vendor_url(url.rstrip("/"), allowed_host_suffixes=self.vendor_hosts(),
                                         what=f"the {self.vendor} instanceUrl")

    def auth_for(self, profile: ProfileView) -> Auth:
        """The `Auth` this profile's credentials use."""
        from sluice.connectors.rest.auth import Auth as AuthBase

        if isinstance(self.auth, AuthBase):
            return self.auth
        return self.auth(profile)
