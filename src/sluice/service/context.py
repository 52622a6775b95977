"""The caller as the service layer sees it (service layer).

The API layer builds a `Caller` from the verified request; service functions take it as
their first argument and never look at HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    """The account, region and principal a request runs as."""

    account_id: str
    region: str
    caller_arn: str
    request_id: str = ""
