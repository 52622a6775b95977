"""The connector catalog and one connector type's capabilities (API layer, console).

    GET /console/connectors                    DescribeConnectors: every type, registered custom ones too
    GET /console/connectors/{type}[?label=]    DescribeConnector: what the type can do

Both read the service methods the API answers DescribeConnectors and DescribeConnector with; the
page shows the `ConnectorConfiguration` as AppFlow returns it, laid out for people.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sluice.api.console.flows import api_json
from sluice.api.console.pages import Console, User

PAGE = 100
CUSTOM = "CustomConnector"
# `AuthenticationConfig` flags, in the words the page shows.
AUTH_NAMES = (("isBasicAuthSupported", "Basic"), ("isApiKeyAuthSupported", "API key"),
              ("isOAuth2Supported", "OAuth 2.0"), ("isCustomAuthSupported", "Custom"))


def auth_types(configuration: dict[str, Any]) -> list[str]:
    """The authentication schemes a `ConnectorConfiguration` names."""
    auth = configuration.get("authenticationConfig") or {}
    return [name for flag, name in AUTH_NAMES if auth.get(flag)]


def routes(console: Console) -> list[BaseRoute]:
    """The connectors pages."""
    services = console.services

    async def catalog(user: User) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        configurations: dict[str, Any] = {}
        registered: list[dict[str, Any]] = []
        token: str | None = None
        while True:  # DescribeConnectors pages over types and registrations alike
            params: dict[str, Any] = {"maxResults": PAGE, **({"nextToken": token} if token else {})}
            answer = await console.call(user, services.connectors.describe_connectors, params)
            configurations.update(answer["connectorConfigurations"])
            registered += answer.get("connectors") or []
            token = answer.get("nextToken")
            if not token:
                return configurations, registered

    async def listing(request: Request, user: User) -> Response:
        configurations, details = await catalog(user)
        rows = [{"type": name, "config": config, "auth": auth_types(config)}
                for name, config in sorted(configurations.items())]
        # AWS-managed connectors are listed too; only registrations carry a registration time.
        registered = [d for d in details if d.get("registeredAt")]
        managed = [d for d in details if not d.get("registeredAt")]
        return console.render(request, "connectors/list.html", {
            "rows": rows, "registered": registered, "managed": managed, "section": "connectors"})

    async def show(request: Request, user: User) -> Response:
        connector_type = request.path_params["type"]
        label = request.query_params.get("label") or None
        params: dict[str, Any] = {"connectorType": connector_type}
        if label:
            params["connectorLabel"] = label
        registered: list[dict[str, Any]] = []
        if connector_type == CUSTOM and not label:
            # DescribeConnector needs a custom connector's label; the type's own entry in the
            # catalog says what any custom connector can be, and the registered ones are listed.
            answer = await console.call(user, services.connectors.describe_connectors, {"connectorTypes": [CUSTOM]})
            configuration = answer["connectorConfigurations"][CUSTOM]
            registered = [d for d in answer.get("connectors") or [] if d.get("registeredAt")]
        else:
            answer = await console.call(user, services.connectors.describe_connector, params)
            configuration = answer["connectorConfiguration"]
        return console.render(request, "connectors/page.html", {
            "connector_type": connector_type, "label": label, "config": configuration, "registered": registered,
            "auth": auth_types(configuration), "config_json": api_json(configuration), "section": "connectors"})

    return [
        Route("/console/connectors", console.page(listing), methods=["GET"]),
        Route("/console/connectors/{type}", console.page(show), methods=["GET"]),
    ]
