"""AWS's own SDK example connector (`custom_connector_example`, a Salesforce connector), unchanged,
with one stand-in for the tests.

Its data calls go to the profile's `instanceUrl` runtime setting, so they reach the fake org as
they would a real one. Only its credential check calls a hard-coded host,
`https://login.salesforce.com/services/oauth2/userinfo`; when `FAKE_SALESFORCE_LOGIN_URL` is set,
that one URL (and its sandbox twin) points at the fake org's userinfo endpoint instead.
"""

from __future__ import annotations

import os
from typing import Any

from custom_connector_example.handlers import configuration
from custom_connector_example.handlers.lambda_handler import salesforce_lambda_handler

_LOGIN = os.environ.get("FAKE_SALESFORCE_LOGIN_URL")
if _LOGIN:
    configuration.SALESFORCE_USERINFO_URL_FORMAT = f"{_LOGIN}/services/oauth2/userinfo"
    configuration.SALESFORCE_USERINFO_SANDBOX_URL_FORMAT = f"{_LOGIN}/services/oauth2/userinfo"


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point: the example's own handler."""
    return salesforce_lambda_handler(event, context)
