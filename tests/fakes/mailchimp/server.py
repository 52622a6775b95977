"""Run the fake Mailchimp over https on 127.0.0.1 in a background thread (see __main__ for a process)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .account import MailchimpAccount
from .app import build_app


class FakeMailchimp(HttpsFake):
    """A fake Mailchimp account; `state` is its MailchimpAccount (API key, records, controls)."""

    def __init__(self, members: int = 300, campaigns: int = 30, port: int = 0, **options: Any) -> None:
        self.state = MailchimpAccount(members=members, campaigns=campaigns, **options)
        super().__init__(build_app(self.state), port=port, name="fake-mailchimp")

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every API request."""
        return self.state.log
