"""Salesforce OAuth 2.0 (connectors layer): turn a profile's credentials into a working access token.

The grants follow `SalesforceConnectorProfileCredentials` and docs/salesforce-wire.md:

* `accessToken` (+ `refreshToken`) given directly: kept, checked by one authenticated call, and
  refreshed when Salesforce says the session is invalid and a refresh token exists;
* `oAuthRequest {authCode, redirectUri}`: the authorization-code grant with Sluice's connected app
  (`SLUICE_SALESFORCE_CLIENT_ID` / `_SECRET`) at the login host - unless an `accessToken` comes
  with the code, which is then used like a directly given one; without a connected app the
  exchange is a server-side failure (`ServerError`), not the caller's;
* `oAuth2GrantType: CLIENT_CREDENTIALS`: client id/secret read from the Secrets Manager secret
  `clientCredentialsArn` as the profile's account (`ProfileView.aws`: the server's identity only
  for the default account; a secret of another AWS account is refused before any call), posted
  to the org's own `instanceUrl`;
* `oAuth2GrantType: JWT_BEARER`: the jwt-bearer grant with `assertion=jwtToken` at the login host.

Profiles reach connectors either as the connector's member (`{"accessToken": ...}`) or wrapped
in it (`{"Salesforce": {...}}`); `member` unwraps and `wrap_like` returns new credentials in the
shape they came in. Tokens never appear in messages or logs.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors import outbound
from sluice.connectors.aws_identity import AwsIdentity, resolve
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.salesforce import settings

MEMBER = "Salesforce"
TOKEN_PATH = "/services/oauth2/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def member(mapping: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Salesforce member of profile properties/credentials, whether wrapped or not."""
    if not mapping:
        return {}
    inner = mapping.get(MEMBER)
    if isinstance(inner, Mapping):
        return dict(inner)
    return dict(mapping)


def wrap_like(original: Mapping[str, Any] | None, flat: Mapping[str, Any]) -> dict[str, Any]:
    """`flat` credentials in the shape `original` had (wrapped in the Salesforce member or not)."""
    if original and isinstance(original.get(MEMBER), Mapping):
        return {MEMBER: dict(flat)}
    return dict(flat)


def is_sandbox(props: Mapping[str, Any]) -> bool:
    """True when the profile points at a sandbox org (`isSandboxEnvironment`)."""
    return bool(props.get("isSandboxEnvironment"))


def instance_url_of(creds: Mapping[str, Any], props: Mapping[str, Any]) -> str:
    """The org's base URL: the token answer's `instanceUrl`, else the profile's property."""
    url = str(creds.get("instanceUrl") or props.get("instanceUrl") or "").strip()
    return url.rstrip("/")


def obtain_tokens(profile: ProfileView, http: httpx.Client | None = None) -> dict[str, Any]:
    """Perform the grant the credentials ask for; the credentials to store (same shape as given)."""
    creds, props = member(profile.credentials), member(profile.properties)
    with _session(http) as client:
        flat = _obtain(creds, props, client, profile.aws)
    return wrap_like(profile.credentials, flat)


def check_profile(profile: ProfileView, http: httpx.Client | None = None) -> dict[str, Any]:
    """`ConnectorSpec.check_profile`: obtain tokens and prove them with one authenticated call."""
    creds, props = member(profile.credentials), member(profile.properties)
    with _session(http) as client:
        flat = _obtain(creds, props, client, profile.aws)
        if not _verify(flat, client):
            # A directly given token Salesforce no longer accepts: refresh it once if we can.
            flat = refresh(flat, props, client, profile.aws)
            if not _verify(flat, client):
                raise ConnectorError("InvalidCredentials", "Salesforce did not accept the access token")
    return wrap_like(profile.credentials, flat)


def refresh(
    creds: Mapping[str, Any], props: Mapping[str, Any], http: httpx.Client, aws: AwsIdentity | None = None
) -> dict[str, Any]:
    """New credentials after Salesforce refused the access token: a refresh-token grant, or the
    client-credentials / JWT grant run again. `InvalidCredentials` when nothing can renew it.
    `aws` is the profile's account's AWS identity (it reads a client-credentials secret)."""
    grant = str(creds.get("oAuth2GrantType") or "")
    if grant == "CLIENT_CREDENTIALS" or (grant == "JWT_BEARER" and not creds.get("refreshToken")):
        return _obtain({**creds, "accessToken": None, "oAuthRequest": None}, props, http, aws)
    refresh_token = creds.get("refreshToken")
    if not refresh_token:
        raise ConnectorError(
            "InvalidCredentials",
            "Salesforce refused the access token (INVALID_SESSION_ID) and the profile has no refresh token; "
            "update the connector profile with new credentials",
        )
    client_id, client_secret = settings.app_client()
    form = {"grant_type": "refresh_token", "refresh_token": str(refresh_token)}
    if client_id:
        form["client_id"] = client_id
    if client_secret:
        form["client_secret"] = client_secret
    answer = _token_request(http, settings.login_url(is_sandbox(props)) + TOKEN_PATH, form)
    return _stored(creds, props, answer, grant or "AUTHORIZATION_CODE")


# -- grants ---------------------------------------------------------------------------------


def _obtain(
    creds: Mapping[str, Any], props: Mapping[str, Any], http: httpx.Client, aws: AwsIdentity | None = None
) -> dict[str, Any]:
    grant = str(creds.get("oAuth2GrantType") or "")
    login = settings.login_url(is_sandbox(props)) + TOKEN_PATH
    if grant == "CLIENT_CREDENTIALS":
        arn = str(creds.get("clientCredentialsArn") or "")
        if not arn:
            raise ConnectorError("InvalidArgument", "the CLIENT_CREDENTIALS grant needs a clientCredentialsArn")
        instance = str(props.get("instanceUrl") or creds.get("instanceUrl") or "").strip().rstrip("/")
        if not instance:
            raise ConnectorError(
                "InvalidArgument", "the CLIENT_CREDENTIALS grant needs the profile's instanceUrl (My Domain URL)"
            )
        # The client secret goes to a URL the caller chose: read it only for one of Salesforce's hosts.
        outbound.check_vendor_url(instance + TOKEN_PATH, allowed_host_suffixes=settings.vendor_hosts(),
                                  what="instanceUrl")
        secret_id, secret_key = read_client_secret(arn, aws)
        form = {"grant_type": "client_credentials", "client_id": secret_id, "client_secret": secret_key}
        return _stored(creds, props, _token_request(http, instance + TOKEN_PATH, form), grant)
    if grant == "JWT_BEARER":
        assertion = str(creds.get("jwtToken") or "")
        if not assertion:
            raise ConnectorError("InvalidArgument", "the JWT_BEARER grant needs a jwtToken")
        form = {"grant_type": JWT_GRANT, "assertion": assertion}
        return _stored(creds, props, _token_request(http, login, form), grant)
    request = creds.get("oAuthRequest") or {}
    # A token given with the code is used as is: whoever obtained it has already spent the code
    # (a code works once), so exchanging it again could only fail.
    if request.get("authCode") and not creds.get("accessToken"):
        client_id, client_secret = settings.app_client()
        if not client_id:
            # The request is sound; this server lacks configuration: the operator's problem, not
            # the caller's, hence a server-side error rather than a ValidationException.
            raise ConnectorError(
                "ServerError",
                "this Sluice server has no Salesforce connected app to exchange the authorization code with: "
                "the operator must set SLUICE_SALESFORCE_CLIENT_ID and SLUICE_SALESFORCE_CLIENT_SECRET "
                "(or pass the accessToken obtained with the code)",
            )
        form = {"grant_type": "authorization_code", "code": str(request["authCode"]), "client_id": client_id}
        if request.get("redirectUri"):
            form["redirect_uri"] = str(request["redirectUri"])
        if client_secret:
            form["client_secret"] = client_secret
        return _stored(creds, props, _token_request(http, login, form), "AUTHORIZATION_CODE")
    if creds.get("accessToken"):
        flat = _keep(creds)
        flat["instanceUrl"] = instance_url_of(creds, props)
        if not flat["instanceUrl"]:
            raise ConnectorError("InvalidArgument", "an accessToken needs the profile's instanceUrl")
        return flat
    if creds.get("refreshToken"):
        return refresh(creds, props, http, aws)
    raise ConnectorError(
        "InvalidArgument",
        "SalesforceConnectorProfileCredentials needs an accessToken, an oAuthRequest, or an oAuth2GrantType "
        "of CLIENT_CREDENTIALS or JWT_BEARER",
    )


SECRET_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):secret:.+$")


def read_client_secret(arn: str, aws: AwsIdentity | None = None) -> tuple[str, str]:
    """(client id, client secret) from the Secrets Manager secret `arn` (JSON), read as `aws`.

    Only a secret of the identity's own AWS account is read: an ARN naming another account is
    refused before any call (the server's identity, used for the default account, is not checked:
    its reach is the operator's own choice).
    """
    from botocore.exceptions import BotoCoreError, ClientError

    identity = resolve(aws)
    match = SECRET_ARN.match(arn)
    if match is None:
        raise ConnectorError("InvalidArgument", f"clientCredentialsArn {arn!r} is not a Secrets Manager secret ARN")
    identity.require()
    if not identity.is_server:
        own = identity.aws_account_id()
        if match.group("account") != own:
            raise ConnectorError(
                "InvalidArgument",
                f"the secret {arn} belongs to AWS account {match.group('account')}, not to this account's "
                f"AWS identity ({own}); AppFlow reads only secrets of its own account",
            )
    try:
        # boto3 reads AWS_ENDPOINT_URL_SECRETS_MANAGER (the service id) by itself; the spelling
        # without the underscore, as people often write it, is honoured here too.
        endpoint = os.environ.get("AWS_ENDPOINT_URL_SECRETSMANAGER") or None
        client = identity.session(match.group("region")).client("secretsmanager", endpoint_url=endpoint)
        secret = client.get_secret_value(SecretId=arn)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Error")
        raise ConnectorError(
            "InvalidCredentials", f"could not read the client credentials secret {arn} ({code})"
        ) from None
    except BotoCoreError as exc:
        raise ConnectorError(
            "ServerError", f"could not reach Secrets Manager for {arn} ({type(exc).__name__})"
        ) from None
    try:
        data = json.loads(secret.get("SecretString") or "{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConnectorError("InvalidArgument", f"the secret {arn} is not a JSON object")
    client_id = data.get("clientId") or data.get("client_id")
    client_secret = data.get("clientSecret") or data.get("client_secret")
    if not client_id or not client_secret:
        raise ConnectorError("InvalidArgument", f"the secret {arn} needs clientId and clientSecret")
    return str(client_id), str(client_secret)


# -- HTTP -----------------------------------------------------------------------------------


class _session:
    """The given httpx client, or a short-lived one closed on exit."""

    def __init__(self, http: httpx.Client | None) -> None:
        self._given = http
        self._own: httpx.Client | None = None

    def __enter__(self) -> httpx.Client:
        if self._given is not None:
            return self._given
        self._own = settings.http_client()
        return self._own

    def __exit__(self, *exc: object) -> None:
        if self._own is not None:
            self._own.close()


def _token_request(http: httpx.Client, url: str, form: Mapping[str, str]) -> dict[str, Any]:
    try:
        response = http.post(url, data=dict(form), headers={"Accept": "application/json"})
    except httpx.HTTPError:
        raise outbound.unreachable("Salesforce's token endpoint", url) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
        return body
    if response.status_code >= 500 or response.status_code == 429:
        raise ConnectorError("ServerError", f"Salesforce's token endpoint answered HTTP {response.status_code}")
    reason = "authentication failure"
    if isinstance(body, dict):
        reason = str(body.get("error_description") or body.get("error") or reason)
    elif isinstance(body, list) and body and isinstance(body[0], dict):
        reason = str(body[0].get("message") or reason)
    raise ConnectorError("InvalidCredentials", reason)


def _verify(flat: Mapping[str, Any], http: httpx.Client) -> bool:
    """True when Salesforce accepts the access token (one cheap REST call); raises when unreachable."""
    headers = {"Authorization": f"Bearer {flat.get('accessToken')}", "Accept": "application/json"}
    base = f"{flat['instanceUrl']}/services/data/v{settings.API_VERSION}"
    try:
        # The version's resource list: any API user may read it (/limits needs more permissions).
        response = http.get(base, headers=headers)
    except httpx.HTTPError:
        raise outbound.unreachable("Salesforce", base) from None
    if response.status_code == 200:
        return True
    if response.status_code == 401:
        return False
    if response.status_code == 403:
        message = _error_message(response)
        code = "ThrottlingError" if "REQUEST_LIMIT_EXCEEDED" in message else "InvalidCredentials"
        raise ConnectorError(code, message)
    raise ConnectorError("ServerError", f"Salesforce answered HTTP {response.status_code}: {_error_message(response)}")


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return f"{body[0].get('errorCode', 'ERROR')}: {body[0].get('message', '')}"
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("message") or f"HTTP {response.status_code}")
    return f"HTTP {response.status_code}"


def _keep(creds: Mapping[str, Any]) -> dict[str, Any]:
    """The members needed to call and re-authenticate (the single-use auth code is dropped)."""
    keys = ("accessToken", "refreshToken", "instanceUrl", "oAuth2GrantType", "clientCredentialsArn", "jwtToken")
    return {key: creds[key] for key in keys if creds.get(key)}


def _stored(
    creds: Mapping[str, Any], props: Mapping[str, Any], answer: Mapping[str, Any], grant: str
) -> dict[str, Any]:
    flat = _keep(creds)
    flat["accessToken"] = str(answer["access_token"])
    if answer.get("refresh_token"):
        flat["refreshToken"] = str(answer["refresh_token"])
    flat["instanceUrl"] = str(answer.get("instance_url") or instance_url_of(creds, props)).rstrip("/")
    if not flat["instanceUrl"]:
        raise ConnectorError("ServerError", "Salesforce's token answer has no instance_url")
    flat["oAuth2GrantType"] = grant
    return flat
