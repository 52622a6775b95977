"""The Trend Micro connector: API, objects, push-down and profile check (connectors layer, Trend Micro).

Declared on the shared REST layer (connectors/rest/). AppFlow's Trend Micro page sends users to the
Deep Security API (https://automation.deepsecurity.trendmicro.com/, "Create and Manage API Keys"); the
same API serves Trend Cloud One Workload Security at `https://workload.<region>.cloudone.trendmicro.com/api`.

* Base URL - the profile has no host (`TrendmicroConnectorProfileProperties` is empty), so calls go to
  Deep Security as a Service, `https://app.deepsecurity.trendmicro.com/api`, unless the operator sets
  `SLUICE_ENDPOINT_URL_TRENDMICRO` (a Workload Security region, or an on-premises manager's
  `https://<host>:4119/api`).
* Auth - the `api-secret-key` header (the profile's `apiSecretKey`) and `api-version: v1` on every call.
* Objects - the API's searchable resources, read with `POST /<objects>/search` paged by ID (search.py).
  AppFlow's user guide lists no objects; Sluice offers computers, policies, intrusion prevention rules,
  software changes and administrators.
* Errors are `{"message": "..."}`. Over its rate limit the manager answers 429 "Too many API
  requests" and names no wait (https://automation.trendmicro.com/deep-security/Guides/rate-limits):
  the layer backs off exponentially.
* Profile check: `GET /apikeys/current`, which any valid key may read.
"""

from __future__ import annotations

from sluice.connectors import outbound
from sluice.connectors.base import ProfileView
from sluice.connectors.rest.api import RestApi
from sluice.connectors.rest.auth import HeaderKeys
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.entities import Entity, Field, Static
from sluice.connectors.trendmicro import CAPABILITIES, CONNECTOR_TYPE
from sluice.connectors.trendmicro.search import IdPages, planner

DEFAULT_URL = "https://app.deepsecurity.trendmicro.com/api"
HOSTS = ("deepsecurity.trendmicro.com", "cloudone.trendmicro.com")
# The search's own maximum is 5000 a page; 1000 keeps each answer (computers are large) modest.
PAGE_SIZE = 1000


def _base_url(profile: ProfileView) -> str:
    return outbound.endpoint_override(CONNECTOR_TYPE) or DEFAULT_URL


API = RestApi(
    CONNECTOR_TYPE, "Trend Micro", hosts=HOSTS, default_url=DEFAULT_URL, base_url=_base_url,
    auth=HeaderKeys(headers={"api-secret-key": "apiSecretKey"}), headers={"api-version": "v1"},
)

EQ = ("EQUAL_TO",)
NONE: tuple[str, ...] = ()


def _id() -> Field:
    return Field("ID", "integer", primary_key=True, nullable=False, filters=EQ, description="The object's ID")


def _when(name: str, description: str, timestamp: bool = False) -> Field:
    """A date the API keeps as epoch milliseconds."""
    return Field(name, "datetime", format="epoch_ms", filters=NONE, timestamp=timestamp, description=description)


def _search(name: str, label: str, description: str, path: str, records: str, fields: tuple[Field, ...],
            params: dict[str, object] | None = None) -> Entity:
    pages = IdPages(records, PAGE_SIZE)
    return Entity(name, label=label, description=description, method="POST", path=path, records=records,
                  params=params or {}, body={}, paginator=pages, plan=planner(fields), fields=fields)


COMPUTERS = _search("computers", "Computers", "Protected computers and their agent status",
                    "/computers/search", "computers", (
    _id(),
    Field("hostName", filters=EQ), Field("displayName", filters=EQ), Field("description", filters=NONE),
    Field("lastIPUsed", filters=EQ), Field("platform", filters=EQ),
    Field("groupID", "integer", filters=EQ), Field("policyID", "integer", filters=EQ),
    Field("agentVersion", filters=EQ), Field("hostGUID", filters=EQ),
    _when("lastAgentCommunication", "When the agent last talked to the manager", timestamp=True),
    _when("lastSendPolicySuccess", "When a policy last reached the agent"),
    Field("computerStatus", "struct", filters=NONE, members=(
        Field("agentStatus"), Field("agentStatusMessages", "array", item=Field("message")))),
    Field("antiMalware", "struct", filters=NONE, members=(
        Field("state"), Field("moduleStatus", "json"))),
    Field("ec2VirtualMachineSummary", "json", filters=NONE,
          description="The AWS instance behind the computer, when there is one"),
# A computer's extensions are all returned unless `expand` names the ones wanted; Trend Micro advises
# asking only for those (each costs the manager work): these are the ones the fields above read.
), params={"expand": ["computerStatus", "antiMalware", "ec2VirtualMachineSummary"]})

POLICIES = _search("policies", "Policies", "Security policies", "/policies/search", "policies", (
    _id(),
    Field("parentID", "integer", filters=EQ), Field("name", filters=EQ), Field("description", filters=NONE),
    Field("recommendationScanMode", filters=EQ), Field("autoRequiresUpdate", filters=EQ),
    Field("policySettings", "json", filters=NONE, description="The policy's settings ({name: {value}})"),
    Field("antiMalware", "struct", filters=NONE, members=(Field("state"), Field("moduleStatus", "json"))),
    Field("firewall", "struct", filters=NONE, members=(
        Field("state"), Field("ruleIDs", "array", item=Field("id", "integer")))),
    Field("intrusionPrevention", "struct", filters=NONE, members=(
        Field("state"), Field("ruleIDs", "array", item=Field("id", "integer")))),
))

INTRUSION_PREVENTION_RULES = _search(
    "intrusionPreventionRules", "Intrusion Prevention Rules", "Intrusion prevention rules and the CVEs they cover",
    "/intrusionpreventionrules/search", "intrusionPreventionRules", (
        _id(),
        Field("name", filters=EQ), Field("description", filters=NONE), Field("identifier", filters=EQ),
        Field("severity", filters=EQ, values=("low", "medium", "high", "critical")),
        Field("priority", filters=EQ), Field("type", filters=EQ), Field("action", filters=EQ),
        Field("detectOnly", "boolean", filters=EQ), Field("applicationTypeID", "integer", filters=EQ),
        Field("CVSSScore", filters=NONE), Field("CVE", "array", item=Field("cve"), filters=NONE),
        Field("recommendationsMode", filters=EQ),
        _when("originalIssue", "When Trend Micro first issued the rule"),
        _when("lastUpdated", "When the rule last changed", timestamp=True),
    ))

SOFTWARE_CHANGES = _search(
    "softwareChanges", "Software Changes", "Software changes application control detected on computers",
    "/softwarechanges/search", "softwareChanges", (
        _id(),
        Field("computerID", "integer", filters=EQ), Field("computerGroupID", "integer", filters=EQ),
        Field("vendorName", filters=EQ), Field("productName", filters=EQ), Field("productVersion", filters=EQ),
        Field("fileName", filters=EQ), Field("installPath", filters=NONE), Field("fileSize", "integer", filters=EQ),
        Field("sha256", filters=EQ), Field("changeByUser", filters=EQ), Field("changeByProcess", filters=EQ),
        _when("changeEventTime", "When the change happened", timestamp=True),
    ))

ADMINISTRATORS = _search(
    "administrators", "Administrators", "Manager users (passwords are never read)",
    "/administrators/search", "administrators", (
        _id(),
        Field("username", filters=EQ), Field("fullName", filters=EQ), Field("emailAddress", filters=EQ),
        Field("roleID", "integer", filters=EQ), Field("active", "boolean", filters=EQ),
        Field("type", filters=EQ), Field("timeZone", filters=NONE),
        _when("created", "When the account was created"),
        _when("lastSignIn", "The account's last sign-in", timestamp=True),
    ))

CONNECTOR = RestConnector(
    API, Static((COMPUTERS, POLICIES, INTRUSION_PREVENTION_RULES, SOFTWARE_CHANGES, ADMINISTRATORS),
                vendor="Trend Micro"),
    operators=frozenset(CAPABILITIES["supportedOperators"]), check=Request("GET", "/apikeys/current"),
)
