"""The Marketo connector (connectors layer): its objects on the shared REST layer.

Objects (Marketo's own REST resource names, as AWS Glue's Marketo connector also calls them):

* `leads` - fields from Describe Lead; read by Bulk Lead Extract (bulk.py), written by Sync Leads and
  Delete Leads (writer.py); incremental on updatedAt;
* `activities` - Get Lead Activities with date-based paging tokens (activities.py); incremental on
  activityDate;
* `programs` - the Asset API's Get Programs, offset/maxReturn pages; updatedAt ranges pushed down as
  earliestUpdatedAt/latestUpdatedAt;
* `campaigns` - Get Campaigns, paged with nextPageToken.

The profile check asks the identity service for a token and reads Describe Lead with it.
"""

from __future__ import annotations

import datetime as dt

from sluice.connectors.marketo import CAPABILITIES, windows
from sluice.connectors.marketo.activities import read_activities
from sluice.connectors.marketo.api import API
from sluice.connectors.marketo.bulk import read_leads
from sluice.connectors.marketo.fields import ACTIVITY_FIELDS, CAMPAIGN_FIELDS, PROGRAM_FIELDS, describe_leads
from sluice.connectors.marketo.writer import LeadWriter
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.entities import Entity, Query, Static
from sluice.connectors.rest.paging import Cursor, Offset


def plan_programs(query: Query, request: Request) -> Request:
    """updatedAt bounds become earliestUpdatedAt/latestUpdatedAt (the API wants both)."""
    low, high = query.time_range("updatedAt")
    if low is None and high is None:
        return request
    earliest = windows.floor_second(low) if low is not None else windows.EARLIEST
    latest = windows.ceil_second(high) if high is not None else dt.datetime.now(dt.UTC)
    return request.replace(params={**request.params, "earliestUpdatedAt": windows.text(earliest),
                                   "latestUpdatedAt": windows.text(latest)})


LEADS = Entity("leads", label="Leads", description="People in the Marketo lead database",
               describe=describe_leads, read=read_leads, writes=("INSERT",))
ACTIVITIES = Entity("activities", label="Activities", description="Lead activities of every type",
                    fields=ACTIVITY_FIELDS, read=read_activities)
PROGRAMS = Entity("programs", label="Programs", description="Marketing programs (Asset API)",
                  path="/rest/asset/v1/programs.json", records="result", fields=PROGRAM_FIELDS,
                  paginator=Offset(offset_param="offset", limit_param="maxReturn", size=200), plan=plan_programs)
CAMPAIGNS = Entity("campaigns", label="Campaigns", description="Smart campaigns",
                   path="/rest/v1/campaigns.json", records="result", fields=CAMPAIGN_FIELDS,
                   paginator=Cursor("nextPageToken", param="nextPageToken", size_param="batchSize", size=300))

CONNECTOR = RestConnector(
    API, Static((LEADS, ACTIVITIES, PROGRAMS, CAMPAIGNS), vendor="Marketo"),
    operators=frozenset(CAPABILITIES["supportedOperators"]),
    check=Request("GET", "/rest/v1/leads/describe.json"),
    writer=LeadWriter(),
)
