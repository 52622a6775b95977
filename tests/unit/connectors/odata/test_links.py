"""Following links a service answered (odata/links.py)."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.odata.links import absolute_link, origin


def test_origin_spells_out_the_default_port() -> None:
    assert origin("https://Org.crm.dynamics.com/api") == "https://org.crm.dynamics.com:443"
    assert origin("http://h:8080/x") == "http://h:8080"


def test_relative_links_resolve_against_the_request() -> None:
    request = "https://org.crm.dynamics.com/api/data/v9.2/accounts?$select=name"
    assert absolute_link("accounts?$skiptoken=x", request, request, "Dataverse") == (
        "https://org.crm.dynamics.com/api/data/v9.2/accounts?$skiptoken=x")


def test_a_link_to_another_host_is_refused() -> None:
    with pytest.raises(ConnectorError, match="another host"):
        absolute_link("https://evil.example.com/x", "https://org.crm.dynamics.com/a", "https://org.crm.dynamics.com",
                      "Dataverse")
