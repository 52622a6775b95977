"""How one AWS-managed connector is declared (connectors layer), and the configuration derived from it.

AppFlow ships "AWS managed" connectors built on the Custom Connector SDK: a profile names one with
`connectorType: CustomConnector` and the managed `connectorLabel`, and no `RegisterConnector` is
needed. A `Managed` declaration states what AppFlow's `DescribeConnector(connectorType=
CustomConnector, connectorLabel=...)` answers for the label - its roles, authentication schemes
(with each custom scheme's `authParameters`), the profile properties it takes (runtime settings of
scope CONNECTOR_PROFILE) and its API versions - and `Managed.configuration` builds that
`ConnectorConfiguration` once, so the catalog answer and the checks of profiles and flows read the
same facts.

Imports nothing heavy: the service reads this at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sluice.connectors.configuration import ALL_FREQUENCIES, ON_DEMAND_AND_SCHEDULED, connector_configuration
from sluice.connectors.custom_connector import CAPABILITIES as CUSTOM_CAPABILITIES

CONNECTOR_TYPE = "CustomConnector"
# The model's only `ConnectorProvisioningType`: managed connectors are SDK connectors that run as
# AWS-owned Lambda functions, so they answer as LAMBDA-provisioned, with no function ARN of the caller's.
PROVISIONING_TYPE = "LAMBDA"
# The CustomConnector type's operators (the whole `Operators` enum): what a flow's tasks may name.
OPERATORS: tuple[str, ...] = tuple(CUSTOM_CAPABILITIES["supportedOperators"])


@dataclass(frozen=True, slots=True)
class Param:
    """One credential a custom authentication scheme takes (`AuthParameter`)."""

    key: str
    label: str
    required: bool = True
    sensitive: bool = False
    # Values the connector offers to choose from (`connectorSuppliedValues`), e.g. JDBC drivers.
    choices: tuple[str, ...] = ()

    def shape(self) -> dict[str, Any]:
        """The `AuthParameter` dict."""
        answer: dict[str, Any] = {"key": self.key, "isRequired": self.required, "label": self.label,
                                  "description": self.label, "isSensitiveField": self.sensitive}
        if self.choices:
            answer["connectorSuppliedValues"] = list(self.choices)
        return answer


@dataclass(frozen=True, slots=True)
class CustomAuth:
    """One `CustomAuthConfig`: a named scheme and the credentials (`credentialsMap` keys) it takes."""

    name: str
    params: tuple[Param, ...]

    def shape(self) -> dict[str, Any]:
        """The `CustomAuthConfig` dict."""
        return {"customAuthenticationType": self.name, "authParameters": [p.shape() for p in self.params]}


@dataclass(frozen=True, slots=True)
class OAuth2:
    """The connector's OAuth 2.0 defaults (`OAuth2Defaults`).

    `token_urls` may hold `{{name}}` parts that stand for one URL segment (a tenant, a subdomain),
    as custom connectors declare them. Profiles are checked against all of them; the answered
    `oAuth2Defaults` lists only the concrete ones, since the model's `TokenUrl` pattern has no braces.
    """

    token_urls: tuple[str, ...]
    grants: tuple[str, ...] = ("AUTHORIZATION_CODE",)
    auth_code_urls: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()

    def shape(self) -> dict[str, Any]:
        """The `OAuth2Defaults` dict."""
        answer: dict[str, Any] = {}
        token_urls = [url for url in self.token_urls if "{{" not in url]
        if token_urls:
            answer["tokenUrls"] = token_urls
        answer["oauth2GrantTypesSupported"] = list(self.grants)
        if self.scopes:
            answer["oauthScopes"] = list(self.scopes)
        auth_code_urls = [url for url in self.auth_code_urls if "{{" not in url]
        if auth_code_urls:
            answer["authCodeUrls"] = auth_code_urls
        return answer


@dataclass(frozen=True, slots=True)
class Setting:
    """One runtime setting (`ConnectorRuntimeSetting`): a profile property or a flow's custom property."""

    key: str
    label: str
    required: bool = True
    # CONNECTOR_PROFILE: `profileProperties`; SOURCE / DESTINATION: the flow's `customProperties`.
    scope: str = "CONNECTOR_PROFILE"
    data_type: str = "String"

    def shape(self) -> dict[str, Any]:
        """The `ConnectorRuntimeSetting` dict."""
        return {"key": self.key, "dataType": self.data_type, "isRequired": self.required, "label": self.label,
                "description": self.label, "scope": self.scope}


@dataclass(frozen=True)  # no slots: `configuration` is computed once and cached on the instance
class Managed:
    """One AWS-managed connector, as AppFlow's user guide and DescribeConnector state it."""

    label: str
    name: str
    # Words only: `ConnectorDescription` allows letters, digits, spaces and `!@#-.?,`.
    description: str
    source: bool = True
    destination: bool = False
    oauth2: OAuth2 | None = None
    api_key: bool = False
    basic: bool = False
    custom: tuple[CustomAuth, ...] = ()
    settings: tuple[Setting, ...] = ()
    api_versions: tuple[str, ...] = ()
    write_operations: tuple[str, ...] = ("INSERT",)
    # Where the label's facts were read (a user-guide page, a construct library); docs/connectors/managed.md.
    source_doc: str = ""

    @cached_property
    def configuration(self) -> dict[str, Any]:
        """The `ConnectorConfiguration` DescribeConnector answers for the label."""
        auth: dict[str, Any] = {
            "isBasicAuthSupported": self.basic,
            "isApiKeyAuthSupported": self.api_key,
            "isOAuth2Supported": self.oauth2 is not None,
            "isCustomAuthSupported": bool(self.custom),
        }
        if self.oauth2 is not None:
            auth["oAuth2Defaults"] = self.oauth2.shape()
        if self.custom:
            auth["customAuthConfigs"] = [scheme.shape() for scheme in self.custom]
        config = connector_configuration(
            connector_type=CONNECTOR_TYPE,
            name=self.name,
            description=self.description,
            metadata={},  # ConnectorMetadata has no CustomConnector member
            source=self.source,
            destination=self.destination,
            triggers=ON_DEMAND_AND_SCHEDULED,
            frequencies=ALL_FREQUENCIES,
            operators=OPERATORS,
            write_operations=self.write_operations,
            authentication_config=auth,
        )
        config["connectorLabel"] = self.label
        config["connectorProvisioningType"] = PROVISIONING_TYPE
        if self.settings:
            config["connectorRuntimeSettings"] = [setting.shape() for setting in self.settings]
        if self.api_versions:
            config["supportedApiVersions"] = list(self.api_versions)
        return config

    def detail(self) -> dict[str, Any]:
        """The `ConnectorDetail` DescribeConnectors lists for the label."""
        config = self.configuration
        return {
            "connectorDescription": self.description,
            "connectorName": self.name,
            "connectorOwner": config["connectorOwner"],
            "applicationType": self.label,  # `ApplicationType` takes no spaces
            "connectorType": CONNECTOR_TYPE,
            "connectorLabel": self.label,
            "connectorProvisioningType": PROVISIONING_TYPE,
            "connectorModes": config["connectorModes"],
            "supportedDataTransferTypes": config["supportedDataTransferTypes"],
        }

    def profile_settings(self) -> tuple[Setting, ...]:
        """The runtime settings a connector profile carries (`profileProperties`)."""
        return tuple(s for s in self.settings if s.scope == "CONNECTOR_PROFILE")


# -- short forms the catalog uses ------------------------------------------------------------


def secret(key: str, label: str, required: bool = True) -> Param:
    """A sensitive credential (a password, a token)."""
    return Param(key, label, required=required, sensitive=True)


def plain(key: str, label: str, required: bool = True, choices: tuple[str, ...] = ()) -> Param:
    """A credential that is not secret (a user name, a host)."""
    return Param(key, label, required=required, choices=choices)


def instance_url(label: str = "Instance URL") -> Setting:
    """The `instanceUrl` profile property most tenant-hosted applications take."""
    return Setting("instanceUrl", label)
