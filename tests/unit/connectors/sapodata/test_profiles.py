"""Profile checks (sapodata/api.py, connector.py): basic auth, the OAuth authorization-code exchange, hosts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.sapodata.api import base_url, resolve_link, with_logon
from sluice.connectors.sapodata.connector import CONNECTOR
from tests.fakes.sapodata.model import SALES_PATH
from tests.fakes.sapodata.server import FakeSap
from tests.fakes.sapodata.system import OAUTH_CLIENT, OAUTH_SECRET


def test_an_authorization_code_is_exchanged_and_left_out_of_what_is_stored(
        fake: FakeSap, make_profile: Callable[..., ProfileView]) -> None:
    code = fake.state.issue_code()
    profile = make_profile(SALES_PATH, {"oAuthCredentials": {
        "clientId": OAUTH_CLIENT, "clientSecret": OAUTH_SECRET,
        "oAuthRequest": {"authCode": code, "redirectUri": "https://console.example/oauth"}}},
        oAuthProperties={"tokenUrl": f"{fake.url}/sap/bc/sec/oauth2/token",
                         "authCodeUrl": f"{fake.url}/sap/bc/sec/oauth2/authorize", "oAuthScopes": []})
    stored = CONNECTOR.check_profile(profile)
    oauth = stored["oAuthCredentials"]
    assert fake.state.token_valid(oauth["accessToken"]) and oauth["refreshToken"]
    assert "oAuthRequest" not in oauth
    with pytest.raises(ConnectorError) as refused:  # a code is good once
        CONNECTOR.check_profile(profile)
    assert refused.value.code == "InvalidCredentials" and "authorization_code" in refused.value.message


def test_oauth_without_a_token_url_is_refused_plainly(make_profile: Callable[..., ProfileView]) -> None:
    profile = make_profile(SALES_PATH, {"oAuthCredentials": {"clientId": "c", "clientSecret": "s",
                                                             "accessToken": "a", "refreshToken": "r"}})
    with pytest.raises(ConnectorError, match=r"oAuthProperties\.tokenUrl"):
        CONNECTOR.check_profile(profile)


def test_the_base_url_and_logon_parameters() -> None:
    profile = ProfileView("p", "SAPOData", properties={"applicationHostUrl": "s4.example.com", "portNumber": 44300,
                                                       "clientNumber": "100", "logonLanguage": "DE"})
    assert base_url(profile) == "https://s4.example.com:44300"
    with_port = ProfileView("p", "SAPOData", properties={"applicationHostUrl": "https://s4.example.com:8443/",
                                                         "portNumber": 443})
    assert base_url(with_port) == "https://s4.example.com:8443"
    assert with_logon("https://h/S?!deltatoken='D1'", profile) == "https://h/S?!deltatoken='D1'&sap-client=100&sap-language=DE"
    assert with_logon("https://h/S?sap-client=100&sap-language=EN", profile) == "https://h/S?sap-client=100&sap-language=EN"


def test_links_resolve_against_the_request_and_stay_on_the_system() -> None:
    profile = ProfileView("p", "SAPOData", properties={"applicationHostUrl": "https://s4.example.com",
                                                       "portNumber": 443, "clientNumber": "100"})
    asked = "https://s4.example.com/sap/opu/odata4/x/0001/Products?$count=true"
    assert resolve_link("Products?$skiptoken=8", asked, profile) == (
        "https://s4.example.com/sap/opu/odata4/x/0001/Products?$skiptoken=8&sap-client=100")
    assert resolve_link("https://S4.example.com:443/a?b=1", asked, profile).startswith("https://S4.example.com:443/a")
    with pytest.raises(ConnectorError, match="another host"):
        resolve_link("https://collector.example.net/steal?x=1", asked, profile)
