"""A shared-REST-layer connector serving an AWS-managed label (connectors layer, managed connectors).

Managed labels are CustomConnector profiles and flows, shaped alike whatever the vendor:

* a flow names its object as `CustomConnectorSourceProperties.entityName` (and
  `CustomConnectorDestinationProperties.entityName`), where the REST layer's `RestSource` and
  `RestDestination` read a built-in type's `object`. `ManagedRestConnector` is a `RestConnector`
  that makes that one translation (and, where the vendor has one, picks the change-time field an
  incremental flow naming no `datetimeTypeFieldName` reads by), so a vendor folder on the REST
  layer plugs into `managed/data_paths.py` unchanged (metadata, profile check and retries stay
  the layer's: the check is the vendor call that proves the credentials, renewing a refused
  access token once with the refresh token, as AppFlow validates a custom connector's);
* the profile's settings sit in `profileProperties` (`profile_property`, `instance_url`), its token endpoint in
  `oAuth2Properties.tokenUrl` (`token_url`), and OAuth tokens and client in the `oauth2`
  credentials member (`oauth2_bearer`);
* the operator's `SLUICE_ENDPOINT_URL_<LABEL>` stands for the vendor's hosts, paths kept
  (`on_override`), so tests reach their fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.rest.auth import Bearer, refresh_grant
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.destination import RestDestination
from sluice.connectors.rest.source import RestSource

OAUTH2 = "oauth2"


def source_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """CustomConnector source or destination properties as the REST layer reads them (`object` = `entityName`)."""
    translated = dict(props)
    if not translated.get("object"):
        translated["object"] = str(props.get("entityName") or "").strip()
    return translated


@dataclass(frozen=True)
class ManagedRestConnector(RestConnector):
    """A `RestConnector` reading CustomConnector source and destination properties (see the module docstring)."""

    # entity -> the field an incremental flow that names no `datetimeTypeFieldName` reads by
    # (None: the entity's own timestamp field, as the REST layer picks it).
    window_field: Callable[[str], str | None] | None = None

    def open_source(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestSource:
        """`ConnectorSpec.open_source`, with `entityName` as the object."""
        translated = source_properties(props)
        if ctx.window_end is not None and not ctx.window_field and self.window_field is not None:
            field = self.window_field(translated["object"])
            if field:
                ctx = replace(ctx, window_field=field)
        return super().open_source(profile, translated, ctx)

    def open_destination(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestDestination:
        """`ConnectorSpec.open_destination`, with `entityName` as the object."""
        return super().open_destination(profile, source_properties(props), ctx)


def profile_property(profile: ProfileView, key: str) -> str:
    """`profileProperties.<key>` of a CustomConnector profile, stripped ("" when absent)."""
    inner = profile.properties.get("profileProperties")
    return str((inner if isinstance(inner, Mapping) else {}).get(key) or "").strip()


def instance_url(profile: ProfileView, vendor: str, example: str) -> str:
    """`profileProperties.instanceUrl` as a URL (https when no scheme is given, no trailing slash);
    `InvalidArgument` naming `vendor` and an `example` URL when the profile has none."""
    url = profile_property(profile, "instanceUrl").rstrip("/")
    if not url:
        raise ConnectorError("InvalidArgument", f"the {vendor} connector profile has no profileProperties "
                             f"instanceUrl ({example})")
    return url if "://" in url else f"https://{url}"


def on_override(label: str, url: str) -> str:
    """`url` on the operator's endpoint override for `label` (its scheme and host in place of the
    vendor's; path and query kept), else `url` as is."""
    override = outbound.endpoint_override(label)
    if not override:
        return url
    parts = urlsplit(url)
    return override.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


def token_url(profile: ProfileView, label: str, default: str = "") -> str:
    """The profile's `oAuth2Properties.tokenUrl` (else `default`), on the endpoint override when set;
    "" when neither names one."""
    oauth = profile.properties.get("oAuth2Properties")
    declared = str((oauth if isinstance(oauth, Mapping) else {}).get("tokenUrl") or "").strip() or default
    return on_override(label, declared) if declared else ""


def oauth2_bearer(url: str, **grant: Any) -> Bearer:
    """`Authorization: Bearer <oauth2.accessToken>`, renewed by a refresh-token grant at `url` with
    the `oauth2` member's client id, secret and refresh token (client in the form); `grant` adds
    `TokenGrant` options (e.g. `extra={"scope": ...}`)."""
    return Bearer(token_key=f"{OAUTH2}.accessToken", refresh_token_key=f"{OAUTH2}.refreshToken",
                  grant=refresh_grant(lambda base, credentials: url, client_id_key=f"{OAUTH2}.clientId",
                                      client_secret_key=f"{OAUTH2}.clientSecret",
                                      refresh_token_key=f"{OAUTH2}.refreshToken", **grant))
