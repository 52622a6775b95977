"""Request builders shared by the managed (`CustomConnector`) labels' end-to-end tests.

AppFlow spells a managed label's flow with `connectorType: CustomConnector` and a
`connectorOperator` keyed the same way; these build those shapes once, plus the speeded-up
scheduler clock the fakes share with Sluice, so each vendor's test holds only what differs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.support import flows
from tests.support.server import SluiceServer

CUSTOM = "CustomConnector"


def virtual_clock(speedup: float, epoch: float) -> Callable[[], float]:
    """The scheduler's clock under SLUICE_SCHEDULER_SPEEDUP/EPOCH, for a fake to date its edits by."""
    return lambda: epoch + (time.time() - epoch) * speedup


def source(profile: str, entity: str, api_version: str = "V1", **extra: Any) -> dict[str, Any]:
    """A `sourceFlowConfig` reading `entity` through the managed `profile`."""
    return {"connectorType": CUSTOM, "apiVersion": api_version, "connectorProfileName": profile,
            "sourceConnectorProperties": {CUSTOM: {"entityName": entity}}, **extra}


def task(task_type: str, fields: list[str], operator: str, **props: Any) -> dict[str, Any]:
    """One flow task; a `Map` keeps its source field's name."""
    shaped = {"taskType": task_type, "sourceFields": fields, "connectorOperator": {CUSTOM: operator},
              "taskProperties": {k: str(v) for k, v in props.items()}}
    if task_type == "Map":
        shaped["destinationField"] = fields[0]
    return shaped


def map_all() -> list[dict[str, Any]]:
    """A `Map_all` task list as the AppFlow console writes it."""
    return [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {CUSTOM: "NO_OP"},
             "taskProperties": {"EXCLUDE_SOURCE_FIELDS_LIST": "[]"}}]


def projected(*fields: str) -> list[dict[str, Any]]:
    """A PROJECTION filter of `fields` plus one `Map` per field."""
    return [{"taskType": "Filter", "sourceFields": list(fields), "connectorOperator": {CUSTOM: "PROJECTION"},
             "taskProperties": {}},
            *[{"taskType": "Map", "sourceFields": [f], "destinationField": f, "connectorOperator": {CUSTOM: "NO_OP"},
               "taskProperties": {}} for f in fields]]


def flow_to_s3(name: str, profile: str, bucket: str, entity: str, tasks: list[dict[str, Any]],
               trigger: dict[str, Any] | None = None, *, api_version: str, **extra: Any) -> dict[str, Any]:
    """A create_flow request: `entity` of the managed `profile` -> Parquet in `bucket` (on demand by default)."""
    return {"flowName": name, "triggerConfig": trigger or {"triggerType": "OnDemand"},
            "sourceFlowConfig": source(profile, entity, api_version, **extra),
            "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
            "tasks": tasks}


def oauth_profile(name: str, label: str, token_url: str, oauth2: dict[str, Any],
                  **properties: Any) -> dict[str, Any]:
    """A create_connector_profile request for `label` with OAUTH2 (authorization code) credentials."""
    return {"connectorProfileName": name, "connectorType": CUSTOM, "connectorLabel": label,
            "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {CUSTOM: {**properties, "oAuth2Properties": {
                    "oAuth2GrantType": "AUTHORIZATION_CODE", "tokenUrl": token_url}}},
                "connectorProfileCredentials": {CUSTOM: {"authenticationType": "OAUTH2", "oauth2": oauth2}}}}


def create_stack(appflow: Any, sluice: SluiceServer, stack: Any) -> None:
    """Make a cdk-appflow stack's buckets, then create its profile and flow."""
    for bucket in stack.buckets:
        (sluice.data_dir / "s3" / bucket).mkdir(parents=True)
    appflow.create_connector_profile(**stack.profiles[0])
    appflow.create_flow(**stack.flow)
