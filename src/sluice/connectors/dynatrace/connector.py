"""The Dynatrace connector (connectors layer): a source on the shared REST layer.

The profile (`instanceUrl` such as `https://<env-id>.live.dynatrace.com`, credentials `apiToken`) is checked by
looking the token up (`POST /api/v2/apiTokens/lookup`, which any valid token may call): a refused token is
refused with Dynatrace's message, and a token holding none of the read scopes Sluice uses is refused too.
Objects and push-down: catalog.py and pushdown.py.
"""

from __future__ import annotations

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.connector import RestConnector

from . import CAPABILITIES
from .api import API
from .catalog import CATALOG

READ_SCOPES = ("problems.read", "events.read", "metrics.read", "entities.read")


def check_token(client: RestClient) -> None:
    """Look the profile's token up; refuse one that cannot read anything Sluice offers."""
    token = str(client.credentials.get("apiToken") or "")
    answer = client.json(Request("POST", "/api/v2/apiTokens/lookup", json={"token": token}, idempotent=True))
    scopes = set(answer.get("scopes") or []) if isinstance(answer, dict) else set()
    if isinstance(answer, dict) and answer.get("enabled") is False:
        raise ConnectorError("InvalidCredentials", "Dynatrace says the API token is disabled")
    if not scopes & set(READ_SCOPES):
        raise ConnectorError("InvalidCredentials", "the Dynatrace API token has none of the scopes Sluice reads "
                             f"with ({', '.join(READ_SCOPES)}); add them to the token")


CONNECTOR = RestConnector(API, CATALOG, operators=frozenset(CAPABILITIES["supportedOperators"]), check=check_token)
