"""The built-in connector catalog (connectors layer): one `ConnectorSpec` per AppFlow type.

`CONNECTORS` lists the 24 values of the model's `ConnectorType` enum, in the enum's order, each
imported explicitly from its package (`sluice/connectors/<name>/`). Third-party plug-ins are not
listed here; `sluice.connectors.entry_points` loads them, Airbyte sources and Singer taps
(`airbyte.<source>`, `singer.<tap>`, operator aliases) come from `sluice.connectors.external`, and
AWS-managed labels (GitHub, JDBC, …) from `sluice.connectors.managed`, all through `label_spec`.
The service layer reads this module for `DescribeConnector(s)` and for `CreateFlow` validation, so
the catalog is the one place a connector's abilities are stated.

Where each fact comes from (AppFlow API reference 2020-08-23 and botocore's model):

* roles - `canUseAsSource` is true exactly for the members of `SourceConnectorProperties`,
  `canUseAsDestination` exactly for the members of `DestinationConnectorProperties`. That makes
  Marketo, Zendesk, SAP OData, Salesforce, S3 and CustomConnector both; Redshift, Snowflake,
  EventBridge, LookoutMetrics, Upsolver, Honeycode and CustomerProfiles destinations only; the
  rest sources only.
* operators - `supportedOperators` of a source is its `<Type>ConnectorOperator` enum (the
  `ConnectorOperator` member for the type); CustomConnector's member is the whole `Operators`
  enum. Destination-only types state none.
* triggers - every source runs `OnDemand` and `Scheduled`; only Salesforce adds `Event`, as in
  the reference's DescribeConnector(s) examples (flow triggers docs: "available only for SaaS
  applications that provide change events"). Destinations state none: the source decides.
* frequencies - all six `ScheduleFrequencyType` values, except Marketo (HOURLY and slower, per
  the DescribeConnectors example), Trend Micro (HOURLY and slower, per AppFlow's user guide)
  and the day-aggregated reporting sources Amplitude, Google Analytics and Singular (DAILY and
  slower; a judgement from their report APIs).
* destinations - `configuration.destinations_for`: the general-purpose members of
  `DestinationConnectorProperties` (S3, Redshift, Snowflake, Salesforce, Upsolver, Zendesk,
  Marketo, SAPOData, CustomConnector) for every source, plus EventBridge for Salesforce (event
  flows), LookoutMetrics for the Lookout for Metrics AppFlow sources, CustomerProfiles for the
  Customer Profiles `SourceFlowConfig.ConnectorType` values and Honeycode for Salesforce and
  Zendesk. The Salesforce example's list agrees (its extra "Locke" is not in the enum).
* connector profiles - a type needs one exactly when it is a member of
  `ConnectorProfileProperties`; S3, EventBridge, LookoutMetrics, Upsolver and CustomerProfiles
  are not, which matches the `ResetConnectorMetadataCache` reference.
* write operations - INSERT, UPSERT, UPDATE (and DELETE for Salesforce and CustomConnector) for
  the destinations whose properties carry `writeOperationType` (Salesforce, Zendesk, SAPOData,
  CustomConnector); INSERT for the others.
* metadata, authentication, PrivateLink - `connectorMetadata` uses the type's `ConnectorMetadata`
  member (none exists for LookoutMetrics and CustomConnector, so theirs is empty);
  `authenticationConfig` follows the type's `ConnectorProfileCredentials` member; PrivateLink
  is on where the profile has PrivateLink settings (Salesforce, Snowflake, SAPOData).
"""

from __future__ import annotations

from sluice.connectors import (
    amplitude,
    custom_connector,
    customer_profiles,
    datadog,
    dynatrace,
    event_bridge,
    external,
    google_analytics,
    honeycode,
    infor_nexus,
    lookout_metrics,
    managed,
    marketo,
    pardot,
    redshift,
    s3,
    salesforce,
    sapodata,
    service_now,
    singular,
    slack,
    snowflake,
    trendmicro,
    upsolver,
    veeva,
    zendesk,
)
from sluice.connectors.base import ConnectorSpec

CONNECTORS: dict[str, ConnectorSpec] = {
    "Salesforce": salesforce.SPEC,
    "Singular": singular.SPEC,
    "Slack": slack.SPEC,
    "Redshift": redshift.SPEC,
    "S3": s3.SPEC,
    "Marketo": marketo.SPEC,
    "Googleanalytics": google_analytics.SPEC,
    "Zendesk": zendesk.SPEC,
    "Servicenow": service_now.SPEC,
    "Datadog": datadog.SPEC,
    "Trendmicro": trendmicro.SPEC,
    "Snowflake": snowflake.SPEC,
    "Dynatrace": dynatrace.SPEC,
    "Infornexus": infor_nexus.SPEC,
    "Amplitude": amplitude.SPEC,
    "Veeva": veeva.SPEC,
    "EventBridge": event_bridge.SPEC,
    "LookoutMetrics": lookout_metrics.SPEC,
    "Upsolver": upsolver.SPEC,
    "Honeycode": honeycode.SPEC,
    "CustomerProfiles": customer_profiles.SPEC,
    "SAPOData": sapodata.SPEC,
    "CustomConnector": custom_connector.SPEC,
    "Pardot": pardot.SPEC,
}


_plugins: dict[str, ConnectorSpec] | None = None


def plugins() -> dict[str, ConnectorSpec]:
    """Installed native plug-ins by connectorLabel (read once per process)."""
    global _plugins
    if _plugins is None:
        from sluice.connectors.entry_points import load_plugin_specs

        _plugins = {spec.label: spec for spec in load_plugin_specs() if spec.label}
    return _plugins


def label_spec(label: str | None) -> ConnectorSpec | None:
    """The spec answering to a CustomConnector label without a registration: a native plug-in, an
    external connector (`airbyte.<source>`, `singer.<tap>`, an operator alias; connectors/external/),
    else an AWS-managed connector's label (connectors/managed/); None for any other label."""
    if not label:
        return None
    return plugins().get(label) or external.spec(label) or managed.spec(label)


def spec_for(connector_type: str, label: str | None = None) -> ConnectorSpec | None:
    """The spec serving a connector: `label_spec` for a CustomConnector label, else the built-in."""
    if connector_type == "CustomConnector" and label:
        found = label_spec(label)
        if found is not None:
            return found
    return CONNECTORS.get(connector_type)


def get_spec(connector_type: str) -> ConnectorSpec | None:
    """The built-in spec of `connector_type` (exact enum spelling), or None."""
    return CONNECTORS.get(connector_type)


def all_specs() -> list[ConnectorSpec]:
    """Every built-in spec, in the model's `ConnectorType` enum order."""
    return list(CONNECTORS.values())


def supported_operators(connector_type: str) -> frozenset[str]:
    """The `Operators` values a flow from `connector_type` may use; empty for non-sources."""
    spec = CONNECTORS.get(connector_type)
    if spec is None:
        return frozenset()
    return frozenset(spec.capabilities.get("supportedOperators", ()))
