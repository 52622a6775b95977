"""The literal table of AppFlow's 25 operations (API layer).

Each entry maps the model's operation name to the service method that answers it, named by
botocore's `xform_name`. A unit test checks the keys equal the model's operation names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sluice.service.context import Caller
from sluice.service.services import Services

Handler = Callable[[Caller, dict[str, Any]], dict[str, Any]]


def operations(s: Services) -> dict[str, Handler]:
    """Operation name -> handler."""
    return {
        "CancelFlowExecutions": s.executions.cancel_flow_executions,
        "CreateConnectorProfile": s.connector_profiles.create_connector_profile,
        "CreateFlow": s.flows.create_flow,
        "DeleteConnectorProfile": s.connector_profiles.delete_connector_profile,
        "DeleteFlow": s.flows.delete_flow,
        "DescribeConnector": s.connectors.describe_connector,
        "DescribeConnectorEntity": s.connectors.describe_connector_entity,
        "DescribeConnectorProfiles": s.connector_profiles.describe_connector_profiles,
        "DescribeConnectors": s.connectors.describe_connectors,
        "DescribeFlow": s.flows.describe_flow,
        "DescribeFlowExecutionRecords": s.executions.describe_flow_execution_records,
        "ListConnectorEntities": s.connectors.list_connector_entities,
        "ListConnectors": s.connectors.list_connectors,
        "ListFlows": s.flows.list_flows,
        "ListTagsForResource": s.tags.list_tags_for_resource,
        "RegisterConnector": s.registrations.register_connector,
        "ResetConnectorMetadataCache": s.connectors.reset_connector_metadata_cache,
        "StartFlow": s.flows.start_flow,
        "StopFlow": s.flows.stop_flow,
        "TagResource": s.tags.tag_resource,
        "UnregisterConnector": s.registrations.unregister_connector,
        "UntagResource": s.tags.untag_resource,
        "UpdateConnectorProfile": s.connector_profiles.update_connector_profile,
        "UpdateConnectorRegistration": s.registrations.update_connector_registration,
        "UpdateFlow": s.flows.update_flow,
    }
