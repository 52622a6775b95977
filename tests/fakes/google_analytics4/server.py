"""Run the fake Google Analytics 4 back end over https on 127.0.0.1 in a background thread (see __main__)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .app import build_app
from .state import Backend


class FakeGoogleAnalytics4(HttpsFake):
    """A fake GA4 back end; `state` is its Backend (OAuth client, refresh token, properties, events)."""

    def __init__(self, events: int = 500, days: int = 10, seed: int = 4, port: int = 0, **options: Any) -> None:
        self.state = Backend(events, days, seed, **options)
        super().__init__(build_app(self.state), port=port, name="fake-google-analytics4")

    @classmethod
    def for_cdk_stack(cls, **options: Any) -> FakeGoogleAnalytics4:
        """A fake whose OAuth client and refresh token are those of cdk-appflow's GA4 stack
        (tests/integration/cdk_appflow_stacks.py), so the stack's profile is accepted as sent."""
        from tests.integration.cdk_appflow_stacks import stacks

        [stack] = [s for s in stacks("x") if s.name == "ga4"]
        oauth = stack.profiles[0]["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["oauth2"]
        return cls(client_id=oauth["clientId"], client_secret=oauth["clientSecret"],
                   refresh_token=oauth["refreshToken"], **options)

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every API request."""
        return self.state.log
