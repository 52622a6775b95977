"""Flows: Create / Update / Delete / Describe / List, Start and Stop (service layer).

Status follows AppFlow: an OnDemand flow is `Active` once created; a Scheduled or Event flow
starts as `Draft`, `StartFlow` makes it `Active` and `StopFlow` `Suspended`. `schemaVersion`
starts at 1 and goes up whenever an update changes what the flow reads, maps or writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sluice.scheduler import triggers
from sluice.service import catalog, flow_rules, idempotency
from sluice.service.common import default_kms_arn, flow_arn, new_execution_id, now, to_datetime
from sluice.service.context import Caller
from sluice.service.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    UnsupportedOperationException,
)
from sluice.service.pagination import Paginator
from sluice.store.models import ExecutionRecord, Flow
from sluice.store.repository import DuplicateError, Scoped, Store

SCHEMA_KEYS = ("sourceFlowConfig", "destinationFlowConfigList", "tasks")
CONFIG_KEYS = (*SCHEMA_KEYS, "triggerConfig", "metadataCatalogConfig")
RUNNING = ("InProgress", "CancelStarted")


def _config(params: dict[str, Any], shape: flow_rules.FlowShape) -> dict[str, Any]:
    config = {key: params[key] for key in CONFIG_KEYS if params.get(key) is not None}
    config["connectorLabels"] = [
        label for label in (shape.source_label, *shape.destination_labels) if label
    ]
    return config


def _timestamps_to_epoch(value: Any) -> Any:
    """JSON columns cannot hold datetimes; trigger times are stored as epoch seconds."""
    if isinstance(value, dict):
        return {k: _timestamps_to_epoch(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_timestamps_to_epoch(v) for v in value]
    if hasattr(value, "timestamp"):
        return value.timestamp()
    return value


def _next_fire(flow: Flow, activated_at: float) -> float | None:
    """The flow's next schedule slot after now (None when its schedule has ended)."""
    scheduled = triggers.scheduled_properties(flow.config["triggerConfig"])
    return triggers.next_fire_epoch(scheduled, activated_at, now())


def get_flow(tx: Scoped, name: str) -> Flow:
    """The flow `name`, or ResourceNotFoundException."""
    flow = tx.flow(name)
    if flow is None:
        raise ResourceNotFoundException(f"The flow {name} does not exist.")
    return flow


def _last_run(flow: Any) -> dict[str, Any] | None:
    if not flow.last_run:
        return None
    details = dict(flow.last_run)
    details["mostRecentExecutionTime"] = to_datetime(details.get("mostRecentExecutionTime"))
    return details


class Flows:
    """The flow operations."""

    def __init__(
        self,
        store: Store,
        paginator: Paginator,
        max_flows: int,
        submit: Callable[[str], None],
        fields_of: flow_rules.FieldLookup | None = None,
        prefetch_fields: Callable[[Caller, str, str | None, str], None] | None = None,
        check_destinations: Callable[[Caller, dict[str, Any]], None] | None = None,
    ) -> None:
        self.fields_of = fields_of
        self.prefetch_fields = prefetch_fields
        self.check_destinations = check_destinations
        self.store = store
        self.paginator = paginator
        self.max_flows = max_flows
        self.submit = submit

    # -- create / update / delete ----------------------------------------------------------
    def create_flow(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """CreateFlow."""
        params = _timestamps_to_epoch(params)
        self._prefetch(caller, params)
        return idempotency.once(self.store, caller, "CreateFlow", params, lambda tx: self._create(tx, caller, params))

    def _prefetch(self, caller: Caller, params: dict[str, Any]) -> None:
        """Before the transaction: destinations check their targets, and the source entity is described
        so validation finds it cached."""
        if self.check_destinations is not None:
            self.check_destinations(caller, params)
        source = params.get("sourceFlowConfig") or {}
        entity = catalog.source_entity(source.get("connectorType", ""), source.get("sourceConnectorProperties") or {})
        if self.prefetch_fields is not None and entity:
            self.prefetch_fields(caller, source["connectorType"], source.get("connectorProfileName"), entity)

    def _create(self, tx: Scoped, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        name = params["flowName"]
        if tx.flow(name) is not None:
            raise ConflictException(f"A flow named {name} already exists.")
        shape = flow_rules.check_flow(tx, params, self.fields_of)
        if tx.count_flows() >= self.max_flows:
            raise ServiceQuotaExceededException(
                f"This account already has {self.max_flows} flows, the quota for the region."
            )
        trigger_type = params["triggerConfig"]["triggerType"]
        status = "Active" if trigger_type == "OnDemand" else "Draft"
        stamp = now()
        flow = Flow(
            name=name,
            arn=flow_arn(caller, name),
            description=params.get("description"),
            kms_arn=params.get("kmsArn") or default_kms_arn(caller),
            status=status,
            source_type=shape.source_type,
            source_profile=shape.source_profile,
            source_label=shape.source_label,
            destination_label=shape.destination_labels[0] if shape.destination_labels else None,
            destination_types=shape.destination_types,
            destination_profiles=shape.destination_profiles,
            trigger_type=trigger_type,
            config=_config(params, shape),
            tags=params.get("tags") or {},
            schema_version=1,
            created_at=stamp,
            created_by=caller.caller_arn,
            last_updated_at=stamp,
            last_updated_by=caller.caller_arn,
        )
        try:
            tx.add(flow)
        except DuplicateError as exc:
            raise ConflictException(f"A flow named {name} already exists.") from exc
        return {"flowArn": flow.arn, "flowStatus": status}

    def update_flow(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateFlow."""
        params = _timestamps_to_epoch(params)
        self._prefetch(caller, params)
        return idempotency.once(self.store, caller, "UpdateFlow", params, lambda tx: self._update(tx, caller, params))

    def _update(self, tx: Scoped, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        flow = get_flow(tx, params["flowName"])
        shape = flow_rules.check_flow(tx, params, self.fields_of)
        new_config = _config(params, shape)
        if any(new_config.get(k) != flow.config.get(k) for k in SCHEMA_KEYS):
            flow.schema_version += 1
        trigger_type = params["triggerConfig"]["triggerType"]
        if trigger_type == "OnDemand":
            flow.status = "Active"
        elif trigger_type != flow.trigger_type:
            flow.status = "Draft"
        if "description" in params:
            flow.description = params["description"]
        flow.trigger_type = trigger_type
        flow.config = new_config
        flow.source_type = shape.source_type
        flow.source_profile = shape.source_profile
        flow.source_label = shape.source_label
        flow.destination_label = shape.destination_labels[0] if shape.destination_labels else None
        flow.destination_types = shape.destination_types
        flow.destination_profiles = shape.destination_profiles
        flow.last_updated_at = now()
        flow.last_updated_by = caller.caller_arn
        # An active scheduled flow keeps firing on its (possibly new) schedule; others do not fire.
        if flow.status == "Active" and trigger_type == "Scheduled":
            flow.next_fire_at = _next_fire(flow, flow.activated_at or now())
        else:
            flow.next_fire_at = None
        return {"flowStatus": flow.status}

    def delete_flow(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteFlow; an active Scheduled or Event flow, or one with runs in progress, needs `forceDelete`."""
        with self.store.scoped(caller.account_id, caller.region) as tx:
            flow = get_flow(tx, params["flowName"])
            if flow.status == "Active" and flow.trigger_type != "OnDemand" and not params.get("forceDelete"):
                # AppFlow's own words (API reference, DeleteFlow example).
                raise ConflictException(
                    "Flow is in active state, please set forceDelete to true or deactivate the flow"
                )
            running = tx.executions_in_status(flow, RUNNING)
            if running and not params.get("forceDelete"):
                raise ConflictException(
                    f"The flow {flow.name} has {len(running)} run(s) in progress; cancel them or pass forceDelete."
                )
            for record in running:
                record.cancel_requested = True
            tx.delete(flow)
        return {}

    # -- read ------------------------------------------------------------------------------
    def describe_flow(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeFlow: every member the model lists."""
        with self.store.scoped(caller.account_id, caller.region) as tx:
            flow = get_flow(tx, params["flowName"])
            # Only flows that register in a catalog and have run can have catalog details to show.
            newest = tx.newest_execution(flow) if flow.last_run and flow.config.get("metadataCatalogConfig") else None
            return describe(flow, newest.metadata_catalog_details if newest is not None else None)

    def list_flows(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """ListFlows, paginated oldest first."""
        limit = params.get("maxResults") or 100
        with self.store.scoped(caller.account_id, caller.region) as tx:
            after = self.paginator.read(caller, "ListFlows", params.get("nextToken"))
            rows, cursor = tx.flow_summaries(after, limit)
            flows = [summary(flow) for flow in rows]
        return {"flows": flows, "nextToken": self.paginator.mint(caller, "ListFlows", cursor)}

    # -- start / stop ----------------------------------------------------------------------
    def start_flow(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """StartFlow: run an OnDemand flow now, or activate a Scheduled/Event flow."""
        created: list[str] = []
        response = idempotency.once(
            self.store, caller, "StartFlow", params, lambda tx: self._start(tx, params, created)
        )
        # Only after the commit: a worker must find the record when it looks. A call that lost a
        # clientToken race created a record that was rolled back; it answers with the winner's run.
        for execution_id in created:
            if execution_id == response.get("executionId"):
                self.submit(execution_id)
        return response

    def _start(self, tx: Scoped, params: dict[str, Any], created: list[str]) -> dict[str, Any]:
        flow = get_flow(tx, params["flowName"])
        if flow.trigger_type != "OnDemand":
            if flow.status == "Active":
                raise ConflictException(f"The flow {flow.name} is already active.")
            if flow.status not in ("Draft", "Suspended", "Errored"):
                raise ConflictException(f"The flow {flow.name} is {flow.status} and cannot be activated.")
            flow.status = "Active"
            flow.status_message = None
            flow.last_updated_at = now()
            flow.consecutive_failures = 0
            flow.activated_at = now()
            if flow.trigger_type == "Scheduled":
                flow.next_fire_at = _next_fire(flow, flow.activated_at)
            else:
                # An Event flow processes the changes made from now on, not those of a past activation.
                flow.event_cursor = None
            return {"flowArn": flow.arn, "flowStatus": flow.status}
        if flow.status != "Active":
            raise ConflictException(f"The flow {flow.name} is {flow.status}; only an Active flow can run.")
        stamp = now()
        record = ExecutionRecord(
            flow_id=flow.id,
            execution_id=new_execution_id(),
            status="InProgress",
            result={"bytesProcessed": 0, "bytesWritten": 0, "recordsProcessed": 0},
            started_at=stamp,
            last_updated_at=stamp,
        )
        tx.add(record)
        flow.last_run = {"mostRecentExecutionTime": stamp, "mostRecentExecutionStatus": "InProgress"}
        created.append(record.execution_id)
        return {"flowArn": flow.arn, "flowStatus": flow.status, "executionId": record.execution_id}

    def stop_flow(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """StopFlow: deactivate a Scheduled or Event flow."""
        with self.store.scoped(caller.account_id, caller.region) as tx:
            flow = get_flow(tx, params["flowName"])
            if flow.trigger_type == "OnDemand":
                raise UnsupportedOperationException(
                    f"The flow {flow.name} runs on demand; only Scheduled and Event flows can be stopped."
                )
            if flow.status != "Active":
                raise ConflictException(f"The flow {flow.name} is {flow.status}, not Active.")
            flow.status = "Suspended"
            flow.next_fire_at = None
            flow.last_updated_at = now()
            return {"flowArn": flow.arn, "flowStatus": flow.status}


def _with_datetimes(value: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: to_datetime(v) if k in keys and isinstance(v, int | float) else _with_datetimes(v, keys)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_with_datetimes(v, keys) for v in value]
    return value


_TRIGGER_TIMES = ("scheduleStartTime", "scheduleEndTime", "firstExecutionFrom")


def describe(flow: Flow, last_run_catalog: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A flow as `DescribeFlowResponse`; `last_run_catalog` is the newest run's `metadataCatalogDetails`."""
    config = flow.config
    response: dict[str, Any] = {
        "flowArn": flow.arn,
        "description": flow.description,
        "flowName": flow.name,
        "kmsArn": flow.kms_arn,
        "flowStatus": flow.status,
        "flowStatusMessage": flow.status_message,
        "sourceFlowConfig": config["sourceFlowConfig"],
        "destinationFlowConfigList": config["destinationFlowConfigList"],
        "lastRunExecutionDetails": _last_run(flow),
        "triggerConfig": _with_datetimes(config["triggerConfig"], _TRIGGER_TIMES),
        "tasks": config["tasks"],
        "createdAt": to_datetime(flow.created_at),
        "lastUpdatedAt": to_datetime(flow.last_updated_at),
        "createdBy": flow.created_by,
        "lastUpdatedBy": flow.last_updated_by,
        "tags": flow.tags or {},
        "metadataCatalogConfig": config.get("metadataCatalogConfig"),
        "schemaVersion": flow.schema_version,
    }
    if last_run_catalog:
        response["lastRunMetadataCatalogDetails"] = last_run_catalog
    return response


def summary(flow: Any) -> dict[str, Any]:
    """A flow (or a `flow_summaries` row) as `FlowDefinition` (ListFlows)."""
    return {
        "flowArn": flow.arn,
        "description": flow.description,
        "flowName": flow.name,
        "flowStatus": flow.status,
        "sourceConnectorType": flow.source_type,
        "sourceConnectorLabel": flow.source_label,
        "destinationConnectorType": flow.destination_types[0] if flow.destination_types else None,
        "destinationConnectorLabel": flow.destination_label,
        "triggerType": flow.trigger_type,
        "createdAt": to_datetime(flow.created_at),
        "lastUpdatedAt": to_datetime(flow.last_updated_at),
        "createdBy": flow.created_by,
        "lastUpdatedBy": flow.last_updated_by,
        "tags": flow.tags or {},
        "lastRunExecutionDetails": _last_run(flow),
    }
