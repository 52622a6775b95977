"""Destinations whose AWS service is gone (connectors layer): Lookout for Metrics and Honeycode.

AppFlow's model and its DescribeConnectors example still list both, so their catalog entries stay.
What Sluice does with them is honest rather than pretended:

* CreateFlow, and an UpdateFlow that points a flow at one, are refused (`check_properties`) with
  a message naming the retirement and its date;
* a flow stored before (or by an older version) still describes, lists and deletes normally;
* a run of such a flow ends `Error` with the same message (`open_destination`): no record is
  reported as written anywhere.

Sources (see docs/connectors/retired.md): AWS's end-of-support notice on every Lookout for
Metrics page and in the CDK/CloudFormation reference ("On Oct 9, 2025, AWS will end support for
Amazon Lookout for Metrics"); Honeycode's end of service on 2024-02-29, after which AWS removed
the client from its SDKs (botocore PR #3186/#3194, May-June 2024: "following the service
deprecation").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ConnectorError, ProfileView, RunContext


@dataclass(frozen=True, slots=True)
class Retirement:
    """One retired destination: its name, the date it ended and what AWS called the ending."""

    service: str  # e.g. "Amazon Lookout for Metrics"
    ended: str  # ISO date
    ending: str  # e.g. "reached end of support"

    @property
    def message(self) -> str:
        """The sentence every refusal carries."""
        return (f"{self.service} {self.ending} on {self.ended} (AWS retired the service), so Sluice cannot write "
                "to it: no new flow may use it, and runs of existing flows end in Error. Describe or delete such "
                "flows as usual; see docs/connectors/retired.md.")

    def check_properties(self, props: Mapping[str, Any], role: str, flow_name: str) -> None:
        """`ConnectorSpec.check_properties`: CreateFlow/UpdateFlow refuse the destination."""
        raise ValueError(self.message)

    def open_destination(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Any:
        """`ConnectorSpec.open_destination`: a run of a flow stored before ends Error."""
        raise ConnectorError("InvalidArgument", self.message)


LOOKOUT_METRICS = Retirement("Amazon Lookout for Metrics", "2025-10-09", "reached end of support")
HONEYCODE = Retirement("Amazon Honeycode", "2024-02-29", "was discontinued")
