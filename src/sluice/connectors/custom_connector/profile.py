"""Custom connector profiles (connectors layer): OAuth2 as AppFlow does it, credential checks, calls.

`check_profile(profile)` (`ConnectorSpec.check_profile`) does what AppFlow does when a custom
connector profile is created or updated:

1. OAUTH2 only - obtains tokens at `oAuth2Properties.tokenUrl` (which must be one of the
   registration's `oAuth2Defaults.tokenUrls` when the connector lists any; `{{name}}` template
   parts match one URL segment), form-encoded, with `tokenUrlCustomProperties` added:
   an `oAuthRequest.authCode` is exchanged (authorization_code, with `redirectUri` and
   `codeVerifier`); `CLIENT_CREDENTIALS` profiles get a client_credentials token; a profile
   with only a refresh token is refreshed; an `accessToken` given as is is used as is.
2. Sends `ValidateConnectorRuntimeSettingsRequest` (scope CONNECTOR_PROFILE, the
   `profileProperties`) and `ValidateCredentialsRequest` (`credentials.secretArn` =
   `profile.credentials_arn`, which the caller has made readable with the credentials being
   checked). A refusal raises the connector's own error: its message, its code (the SDK's
   InvalidCredentials -> `InvalidCredentials`; a ValidateCredentials failure without a code
   counts as InvalidCredentials).
3. Returns the credentials to store: the input, with the tokens obtained and the single-use
   `oAuthRequest` removed.

`Session` is how metadata, source and destination call the connector: it builds the
`connectorContext` (runtime settings, credentials ARN and SDK authentication type, the latest
`supportedApiVersions` entry) and, when an OAUTH2 profile's call is refused with
InvalidCredentials, refreshes the token once (`refresh_if_needed`), saves it through
`profile.save_credentials` (the connector reads it from the secret again) and retries.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import httpx

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.custom_connector import sdk
from sluice.connectors.custom_connector.invoke import invoker_for
from sluice.connectors.custom_connector.limits import call_timeout
from sluice.connectors.custom_connector.secrets import authentication_type, sdk_authentication_type

log = logging.getLogger(__name__)

TOKEN_TIMEOUT = 30.0
VALIDATE_TIMEOUT = 60.0
_DIGITS = re.compile(r"(\d+)")
# Codes a connector may answer ValidateCredentials with that still mean "these credentials are refused".
_REFUSED = frozenset({"InvalidCredentials", "AccessDenied", "ClientError", "InvalidArgument"})


# -- registration facts ----------------------------------------------------------------------


def configuration(profile: ProfileView) -> Mapping[str, Any]:
    """The registration's AppFlow `ConnectorConfiguration` ({} when unknown)."""
    config = (profile.registration or {}).get("configuration")
    return config if isinstance(config, Mapping) else {}


def api_version(profile: ProfileView) -> str | None:
    """The latest of the registration's `supportedApiVersions` (natural order: v9 < v10)."""
    versions = [str(v) for v in configuration(profile).get("supportedApiVersions") or [] if v is not None]
    if not versions:
        return None

    def key(version: str) -> list[Any]:
        return [(0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(version) if part]

    return max(versions, key=key)


def profile_properties(profile: ProfileView) -> dict[str, Any]:
    """The profile's `profileProperties` (the CONNECTOR_PROFILE runtime settings)."""
    values = (profile.properties or {}).get("profileProperties")
    return dict(values) if isinstance(values, Mapping) else {}


def lambda_arn(profile: ProfileView) -> str:
    """The registration's Lambda function ARN (ResourceNotFound when the profile has none)."""
    arn = (profile.registration or {}).get("lambdaArn")
    if not arn:
        label = profile.connector_label or (profile.registration or {}).get("connectorLabel") or "?"
        raise ConnectorError("ResourceNotFound", f"the custom connector {label!r} has no registered Lambda function")
    return str(arn)


# -- calling the connector --------------------------------------------------------------------


class Session:
    """Calls to one profile's connector; an OAUTH2 token the connector refuses is refreshed and the call retried."""

    def __init__(self, profile: ProfileView, settings: Mapping[str, Any] | None = None,
                 data_dir: str | None = None, invoker: Any = None) -> None:
        self.profile = profile
        # Runtime settings: the profile's, then the flow's customProperties (SOURCE/DESTINATION scope).
        self.settings = {**profile_properties(profile), **(settings or {})}
        registration = profile.registration or {}
        self.invoker = invoker or invoker_for(
            lambda_arn(profile), profile.invocation_env, data_dir,
            account_id=registration.get("accountId"), default_account=bool(registration.get("defaultAccount")),
            aws=profile.aws,
        )
        self.api_version = api_version(profile)

    def context(self, entity_definition: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The `connectorContext` of a request."""
        credentials = self.profile.credentials or {}
        kind = sdk_authentication_type(credentials) if credentials.get("authenticationType") else None
        return sdk.connector_context(runtime_settings=self.settings, credentials_arn=self.profile.credentials_arn,
                                     authentication_type=kind, api_version=self.api_version,
                                     entity_definition=entity_definition)

    def call(self, type_name: str, what: str, timeout: float | None = None,
             entity_definition: Mapping[str, Any] | None = None, accept: Any = None, **fields: Any) -> dict[str, Any]:
        """Send one request (with a fresh `connectorContext`); the checked response dict.

        `accept(answer)` may take a failed answer as it is (WriteData's per-record failures).
        A refused token is refreshed once per call, so a long run outlives many token lifetimes.
        """
        refreshed = False
        while True:
            event = sdk.request(type_name, connectorContext=self.context(entity_definition), **fields)
            try:
                answer = self.invoker.invoke(event, timeout=timeout)
                if accept is not None and isinstance(answer, Mapping) and accept(answer):
                    return dict(answer)
                return sdk.check(answer, what)
            except ConnectorError as exc:
                if exc.code != "InvalidCredentials" or refreshed:
                    raise
                refreshed = True
                renewed = refresh_if_needed(self.profile)
                if renewed is None:
                    raise
                log.info("custom connector %s: access token refreshed after %s was refused", self.label, what)
                self.profile = renewed

    @property
    def label(self) -> str:
        return str(self.profile.connector_label or (self.profile.registration or {}).get("connectorLabel") or "")


# -- OAuth2 -----------------------------------------------------------------------------------


def _oauth2_defaults(profile: ProfileView) -> Mapping[str, Any]:
    auth = configuration(profile).get("authenticationConfig") or {}
    defaults = auth.get("oAuth2Defaults") if isinstance(auth, Mapping) else None
    return defaults if isinstance(defaults, Mapping) else {}


def _template(url: str) -> re.Pattern[str]:
    """A token URL of the registration as a pattern: `{{name}}` matches one host label or path segment."""
    parts = re.split(r"\{\{[^{}]*\}\}", url)
    return re.compile("[^/?#.]+".join(re.escape(part) for part in parts))


def http_client() -> httpx.Client:
    """The HTTP client token requests use (one per request; tests replace this factory): it calls
    only public https endpoints (connectors/outbound.py)."""
    return outbound.vendor_http_client(timeout=TOKEN_TIMEOUT)


def token_url(profile: ProfileView) -> str:
    """`oAuth2Properties.tokenUrl`, checked against the registration's declared token URLs."""
    props = (profile.properties or {}).get("oAuth2Properties") or {}
    url = str(props.get("tokenUrl") or "")
    if not url:
        raise ConnectorError("InvalidArgument", "an OAUTH2 custom connector profile needs oAuth2Properties.tokenUrl")
    # The client secret and codes are posted there: a public https endpoint only, whatever the registration says.
    url = outbound.check_vendor_url(url, what="oAuth2Properties.tokenUrl")
    allowed = [str(u) for u in _oauth2_defaults(profile).get("tokenUrls") or []]
    if allowed and not any(_template(u).fullmatch(url) for u in allowed):
        raise ConnectorError(
            "InvalidArgument",
            f"oAuth2Properties.tokenUrl {url!r} is not one of the token URLs the connector declares "
            f"({', '.join(allowed)})",
        )
    return url


def grant_type(profile: ProfileView) -> str:
    props = (profile.properties or {}).get("oAuth2Properties") or {}
    return str(props.get("oAuth2GrantType") or "AUTHORIZATION_CODE").upper()


def request_token(
    profile: ProfileView, form: Mapping[str, str], *, client: httpx.Client | None = None
) -> dict[str, Any]:
    """POST `form` (plus `tokenUrlCustomProperties`) to the token URL; the token answer."""
    url = token_url(profile)
    props = (profile.properties or {}).get("oAuth2Properties") or {}
    custom = props.get("tokenUrlCustomProperties") or {}
    body = {**{str(k): str(v) for k, v in custom.items()}, **{k: v for k, v in form.items() if v}}
    http = client or http_client()
    try:
        response = http.post(url, data=body, headers={"Accept": "application/json"})
    except httpx.HTTPError:
        raise outbound.unreachable("the token endpoint", url) from None
    finally:
        if client is None:
            http.close()
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 400 or not isinstance(answer, Mapping) or not answer.get("access_token"):
        reason = ""
        if isinstance(answer, Mapping):
            reason = str(answer.get("error_description") or answer.get("error") or answer.get("message") or "")
        reason = reason or response.text[:200] or f"HTTP {response.status_code}"
        code = "ServerError" if response.status_code >= 500 else "InvalidCredentials"
        raise ConnectorError(code, f"the token endpoint {url} refused the {form.get('grant_type')} grant: {reason}")
    return dict(answer)


def _client_auth(oauth2: Mapping[str, Any]) -> dict[str, str]:
    """client_secret_post: the client's id and secret in the form (RFC 6749 2.3.1)."""
    return {"client_id": str(oauth2.get("clientId") or ""), "client_secret": str(oauth2.get("clientSecret") or "")}


def _with_tokens(oauth2: Mapping[str, Any], answer: Mapping[str, Any]) -> dict[str, Any]:
    updated = {k: v for k, v in oauth2.items() if k != "oAuthRequest"}
    updated["accessToken"] = str(answer["access_token"])
    if answer.get("refresh_token"):
        updated["refreshToken"] = str(answer["refresh_token"])
    return updated


def obtain_tokens(profile: ProfileView, *, client: httpx.Client | None = None) -> dict[str, Any]:
    """The OAUTH2 credentials with tokens obtained the way the profile's grant type says."""
    credentials = dict(profile.credentials or {})
    oauth2 = dict(credentials.get("oauth2") or {})
    client_auth = _client_auth(oauth2)
    request = oauth2.get("oAuthRequest") or {}
    grant = grant_type(profile)
    if grant not in ("AUTHORIZATION_CODE", "CLIENT_CREDENTIALS"):
        raise ConnectorError("InvalidArgument", f"custom connectors support the AUTHORIZATION_CODE and "
                             f"CLIENT_CREDENTIALS grant types, not {grant}")
    supported = [str(g) for g in _oauth2_defaults(profile).get("oauth2GrantTypesSupported") or []]
    if supported and grant not in supported:
        raise ConnectorError("InvalidArgument", f"the connector does not support the {grant} grant type "
                             f"(it supports {', '.join(supported)})")
    if request.get("authCode"):
        form = {"grant_type": "authorization_code", "code": str(request["authCode"]),
                "redirect_uri": str(request.get("redirectUri") or ""),
                "code_verifier": str(request.get("codeVerifier") or ""), **client_auth}
    elif grant == "CLIENT_CREDENTIALS" and oauth2.get("clientId"):
        form = {"grant_type": "client_credentials", **client_auth}
        scopes = _oauth2_defaults(profile).get("oauthScopes")
        if scopes:
            form["scope"] = " ".join(str(s) for s in scopes)
    elif oauth2.get("accessToken"):
        credentials["oauth2"] = {k: v for k, v in oauth2.items() if k != "oAuthRequest"}
        return credentials
    elif oauth2.get("refreshToken"):
        form = {"grant_type": "refresh_token", "refresh_token": str(oauth2["refreshToken"]), **client_auth}
    else:
        raise ConnectorError("InvalidArgument", "OAUTH2 credentials need an accessToken, a refreshToken, an "
                             "oAuthRequest.authCode, or a clientId and clientSecret with CLIENT_CREDENTIALS")
    credentials["oauth2"] = _with_tokens(oauth2, request_token(profile, form, client=client))
    return credentials


def refresh_if_needed(profile: ProfileView, *, client: httpx.Client | None = None) -> ProfileView | None:
    """A new access token for an OAUTH2 profile whose token was refused, saved; None if none can be had.

    A refresh token is used when there is one; CLIENT_CREDENTIALS profiles ask for a new token.
    The new credentials go through `profile.save_credentials`, so the credentials secret the
    connector reads holds them before the call is retried.
    """
    credentials = profile.credentials or {}
    if str(credentials.get("authenticationType") or "").upper() != "OAUTH2":
        return None
    oauth2 = dict(credentials.get("oauth2") or {})
    client_auth = _client_auth(oauth2)
    if oauth2.get("refreshToken"):
        form = {"grant_type": "refresh_token", "refresh_token": str(oauth2["refreshToken"]), **client_auth}
    elif grant_type(profile) == "CLIENT_CREDENTIALS" and oauth2.get("clientId"):
        form = {"grant_type": "client_credentials", **client_auth}
    else:
        return None
    try:
        answer = request_token(profile, form, client=client)
    except ConnectorError as exc:
        # The code only: the message quotes the token endpoint's answer, which may echo what was sent.
        log.warning("custom connector profile %s: token refresh failed (%s)", profile.name, exc.code)
        return None
    new = {**credentials, "oauth2": _with_tokens(oauth2, answer)}
    if profile.save_credentials is not None:
        profile.save_credentials(new)
    return replace(profile, credentials=new)


# -- check_profile ------------------------------------------------------------------------------


def check_profile(profile: ProfileView, *, invoker: Any = None, client: httpx.Client | None = None) -> dict[str, Any]:
    """`ConnectorSpec.check_profile` for custom connectors (see the module docstring)."""
    credentials = dict(profile.credentials or {})
    check_authentication(profile)
    if authentication_type(credentials) == "OAUTH2":
        credentials = obtain_tokens(profile, client=client)
        profile = replace(profile, credentials=credentials)
        if profile.save_credentials is not None:
            # The connector reads the credentials secret: it must hold the tokens just obtained.
            profile.save_credentials(credentials)
    session = Session(profile, invoker=invoker)
    settings = profile_properties(profile)
    answer = session.invoker.invoke(
        sdk.request(sdk.VALIDATE_CONNECTOR_RUNTIME_SETTINGS, scope="CONNECTOR_PROFILE",
                    connectorRuntimeSettings=settings),
        timeout=call_timeout(VALIDATE_TIMEOUT),
    )
    try:
        sdk.check(answer, "ValidateConnectorRuntimeSettings")
    except ConnectorError as exc:
        # A refusal without an error code (only errorsByInputField) is about the values given.
        code = "InvalidArgument" if _refused_without_code(answer) else exc.code
        raise ConnectorError(code, f"the connector refused the profile properties: {exc.message}",
                             exc.retry_after) from None
    context = session.context()
    answer = session.invoker.invoke(
        sdk.request(sdk.VALIDATE_CREDENTIALS, credentials=context.get("credentials"),
                    connectorRuntimeSettings=settings),
        timeout=call_timeout(VALIDATE_TIMEOUT),
    )
    try:
        sdk.check(answer, "ValidateCredentials")
    except ConnectorError as exc:
        refused = exc.code in _REFUSED or _refused_without_code(answer)
        raise ConnectorError("InvalidCredentials" if refused else exc.code, exc.message, exc.retry_after) from None
    return credentials


def _refused_without_code(answer: Any) -> bool:
    """True for an SDK answer `isSuccess: false` that names no error code (not for garbage)."""
    if not isinstance(answer, Mapping) or answer.get("isSuccess") is not False:
        return False
    details = answer.get("errorDetails")
    return not (isinstance(details, Mapping) and details.get("errorCode"))


def check_authentication(profile: ProfileView) -> None:
    """InvalidArgument when the registration does not offer the profile's authentication type."""
    auth = configuration(profile).get("authenticationConfig")
    if not isinstance(auth, Mapping):
        return  # nothing declared: the connector's ValidateCredentials decides
    credentials = profile.credentials or {}
    kind = authentication_type(credentials)
    flag = {"OAUTH2": "isOAuth2Supported", "APIKEY": "isApiKeyAuthSupported", "BASIC": "isBasicAuthSupported",
            "CUSTOM": "isCustomAuthSupported"}[kind]
    if auth.get(flag) is False:
        raise ConnectorError("InvalidArgument", f"the connector does not support {kind} authentication")
    if kind == "CUSTOM":
        declared = [str(c.get("customAuthenticationType")) for c in auth.get("customAuthConfigs") or []
                    if isinstance(c, Mapping)]
        chosen = str((credentials.get("custom") or {}).get("customAuthenticationType") or "")
        if declared and chosen not in declared:
            raise ConnectorError("InvalidArgument", f"customAuthenticationType {chosen!r} is not one the connector "
                                 f"declares ({', '.join(declared)})")
