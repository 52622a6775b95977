"""How Sluice reaches an SAP system's OData service (connectors layer, SAP OData).

A profile (`SAPODataConnectorProfileProperties`) names the system and one service:

* base URL: `applicationHostUrl` (https) with `portNumber` (unless the host URL has a port);
  calls go to `<base><applicationServicePath>/...`; SAP systems are the customer's own hosts, so
  any public host is allowed (private ones only with SLUICE_ALLOW_PRIVATE_ENDPOINTS);
* `clientNumber` is sent as the `sap-client` query parameter of every request Sluice builds (and
  added to the links SAP answers when they lack it); `logonLanguage` as `sap-language`;
* auth (`SAPODataConnectorProfileCredentials`): `basicAuthCredentials` (user and password), or
  `oAuthCredentials` (bearer access token; renewed with the refresh token at
  `oAuthProperties.tokenUrl` when SAP answers 401; an `oAuthRequest` authorization code is
  exchanged there when the profile is created);
* errors: SAP Gateway's `{"error": {"code", "message": {"lang", "value"}, "innererror":
  {"errordetails": [...]}}}` (V2) or `{"error": {"code", "message"}}` (V4) becomes the message
  of the run or call; SAP's HTML logon pages become their text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.odata.links import absolute_link
from sluice.connectors.rest.api import RestApi, VendorError, json_error
from sluice.connectors.rest.auth import Auth, Basic, Bearer, refresh_grant

CONNECTOR_TYPE = "SAPOData"
BASIC = "basicAuthCredentials"
OAUTH = "oAuthCredentials"
_TAGS = re.compile(r"<[^>]+>")


def base_url(profile: ProfileView) -> str:
    """`https://host:port` of the profile's SAP system."""
    properties = profile.properties
    host = str(properties.get("applicationHostUrl") or "").strip().rstrip("/")
    if not host:
        raise ConnectorError("InvalidArgument", "the SAP OData connector profile has no applicationHostUrl")
    if "://" not in host:
        host = f"https://{host}"
    parts = urlsplit(host)
    port = properties.get("portNumber")
    if parts.port is None and port:
        netloc = f"{parts.hostname}:{int(port)}" if ":" not in (parts.hostname or "") else f"[{parts.hostname}]:{port}"
        host = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return host


def service_path(profile: ProfileView) -> str:
    """The service root path (`/sap/opu/odata/sap/API_SALES_ORDER_SRV`), without a trailing slash."""
    path = str(profile.properties.get("applicationServicePath") or "").strip().rstrip("/")
    if not path:
        raise ConnectorError("InvalidArgument", "the SAP OData connector profile has no applicationServicePath")
    return path if path.startswith("/") else f"/{path}"


def logon_params(profile: ProfileView) -> dict[str, str]:
    """`sap-client` and `sap-language` from the profile (what every request carries)."""
    params = {}
    client = str(profile.properties.get("clientNumber") or "").strip()
    if client:
        params["sap-client"] = client
    language = str(profile.properties.get("logonLanguage") or "").strip()
    if language:
        params["sap-language"] = language
    return params


def with_logon(url: str, profile: ProfileView, extra: Mapping[str, str] | None = None) -> str:
    """A link SAP answered (`__next`, `__delta`), with `sap-client` / `sap-language` (and `extra`)
    added where missing. The link's own query is kept byte for byte (`!deltatoken='...'`)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {k for k, _ in query}
    missing = [(k, v) for k, v in {**logon_params(profile), **(extra or {})}.items() if k not in present]
    if not missing:
        return url
    added = urlencode(missing)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, f"{parts.query}&{added}" if parts.query else added,
                       parts.fragment))


def resolve_link(link: str, request_url: str, profile: ProfileView,
                 extra: Mapping[str, str] | None = None) -> str:
    """A link SAP answered, made absolute against the request it answered (V4 next links may be
    relative), with the logon parameters added (`with_logon`). A link to another host than the
    profile's system is refused: the profile's credentials go with every request (odata/links.py)."""
    return with_logon(absolute_link(link, request_url, base_url(profile), "SAP"), profile, extra)


def sap_error(response: httpx.Response, body: Any) -> VendorError:
    """SAP's error body (see the module docstring) as a `VendorError`."""
    status = response.status_code
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        error = body["error"]
        message = error.get("message")
        if isinstance(message, Mapping):
            message = message.get("value")
        text = str(message or "")
        details = ((error.get("innererror") or {}).get("errordetails") or []) if isinstance(
            error.get("innererror"), Mapping) else []
        extra = [str(d.get("message")) for d in details if isinstance(d, Mapping) and d.get("message")
                 and str(d.get("message")) != text]
        if extra:
            text = f"{text} ({'; '.join(extra[:3])})" if text else "; ".join(extra[:3])
        return VendorError(str(error.get("code") or f"HTTP_{status}"), text or f"HTTP {status}", status)
    if isinstance(body, str) and "<" in body:
        text = " ".join(_TAGS.sub(" ", body).split())
        return VendorError(f"HTTP_{status}", text[:300] or f"HTTP {status}", status)
    return json_error(response, body)


def _token_url(profile: ProfileView) -> str:
    oauth = profile.properties.get("oAuthProperties") or {}
    url = str(oauth.get("tokenUrl") or "").strip() if isinstance(oauth, Mapping) else ""
    if not url:
        raise ConnectorError("InvalidArgument", "the SAP OData connector profile has oAuthCredentials but no "
                             "oAuthProperties.tokenUrl")
    return outbound.check_vendor_url(url, what="oAuthProperties.tokenUrl")


def choose_auth(profile: ProfileView) -> Auth:
    """Basic with `basicAuthCredentials`, else the OAuth bearer token of `oAuthCredentials`."""
    credentials = profile.credentials
    basic = credentials.get(BASIC)
    if isinstance(basic, Mapping) and basic.get("username"):
        return Basic(username_key=f"{BASIC}.username", password_key=f"{BASIC}.password")
    oauth = credentials.get(OAUTH)
    if isinstance(oauth, Mapping):
        request = oauth.get("oAuthRequest")
        code = request.get("authCode") if isinstance(request, Mapping) else None
        if oauth.get("refreshToken") or code:
            url = _token_url(profile)
            grant = refresh_grant(lambda base, creds: url, client_id_key=f"{OAUTH}.clientId",
                                  client_secret_key=f"{OAUTH}.clientSecret", refresh_token_key=f"{OAUTH}.refreshToken")
            return Bearer(token_key=f"{OAUTH}.accessToken", grant=grant, refresh_token_key=f"{OAUTH}.refreshToken")
        return Bearer(token_key=f"{OAUTH}.accessToken")
    raise ConnectorError("InvalidCredentials", "SAP OData connector profiles need basicAuthCredentials (username and "
                         "password) or oAuthCredentials")


class SapApi(RestApi):
    """`RestApi` for customer-hosted SAP systems: any public host (no vendor host list)."""

    def vendor_hosts(self) -> tuple[str, ...]:
        # None means "any public host" to the outbound guard; SAP systems live on the customer's hosts.
        return None  # type: ignore[return-value]

    def url_of(self, profile: ProfileView) -> str:
        return outbound.check_vendor_url(base_url(profile), allowed_host_suffixes=None,
                                         what="the SAP OData applicationHostUrl")


API = SapApi(CONNECTOR_TYPE, "SAP", hosts=(), auth=choose_auth, errors=sap_error)
