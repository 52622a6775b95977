"""Cross-validation of a flow definition against the connector catalog (service layer).

The protocol layer already enforced every constraint the model states; this module checks
meaning: the connector types exist and may play their role, the source may feed each
destination, profiles exist and are of the right type, local S3 buckets are the account's to
use, the trigger and schedule are ones the source supports, every task's operator is one the
source connector offers, and each connector accepts its properties
(`ConnectorSpec.check_properties`, e.g. S3 paths it could never write); the task list itself is
checked by the engine (`sluice.engine.tasks.check_tasks`), which must be able to run it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.s3.storage import backend_name
from sluice.engine.tasks import check_tasks as check_task_semantics
from sluice.engine.tasks.spec import COMPARISONS, OPERATORS
from sluice.scheduler import triggers
from sluice.service import catalog, schedules
from sluice.service.common import now
from sluice.service.errors import ResourceNotFoundException, ValidationException
from sluice.store.models import ConnectorProfile
from sluice.store.repository import Scoped

# The operators each task type accepts are the engine's (`engine/tasks/spec.py` OPERATORS): one
# table for what CreateFlow accepts and what a run can do. Types it does not list take NO_OP.
NO_OP_ONLY = frozenset({"NO_OP"})
# Which task properties a task type or operator cannot do without.
REQUIRED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "MASK_FIRST_N": ("MASK_LENGTH",),
    "MASK_LAST_N": ("MASK_LENGTH",),
    "BETWEEN": ("LOWER_BOUND", "UPPER_BOUND"),
    "Truncate": ("TRUNCATE_LENGTH",),
    "Merge": ("CONCAT_FORMAT",),
    "Validate": ("VALIDATION_ACTION",),
    "Partition": ("ORDERED_PARTITION_KEYS_LIST",),
}
NEEDS_DESTINATION_FIELD = frozenset({"Map", "Merge", "Arithmetic"})


@dataclass(slots=True)
class FlowShape:
    """The facts about a validated flow the service stores alongside its configuration."""

    source_type: str
    source_profile: str | None
    source_label: str | None
    destination_types: list[str] = field(default_factory=list)
    destination_profiles: list[str] = field(default_factory=list)
    destination_labels: list[str | None] = field(default_factory=list)


def _profile_for(
    tx: Scoped, connector_type: str, profile_name: str | None, role: str
) -> ConnectorProfile | None:
    spec = catalog.builtin(connector_type)
    if profile_name is None:
        if connector_type == catalog.CUSTOM or (spec is not None and spec.requires_profile):
            raise ValidationException(f"The {role} connector {connector_type} needs a connectorProfileName.")
        return None
    profile = tx.profile(profile_name)
    if profile is None:
        raise ResourceNotFoundException(f"The connector profile {profile_name} does not exist.")
    if profile.connector_type != connector_type:
        raise ValidationException(
            f"The connector profile {profile_name} is of type {profile.connector_type}, "
            f"not {connector_type} as the {role} configuration says."
        )
    return profile


def _configuration(tx: Scoped, connector_type: str, profile: ConnectorProfile | None) -> Mapping[str, Any]:
    """The ConnectorConfiguration for a type (for custom connectors, the plug-in's, the managed
    connector's or the registered one)."""
    if catalog.builtin(connector_type) is None:
        raise ValidationException(f"{connector_type} is not a connector type Sluice knows.")
    if connector_type != catalog.CUSTOM:
        return catalog.capabilities(connector_type)
    label = profile.connector_label if profile is not None else None
    plugin = catalog.plugin(label)
    if plugin is not None:
        return plugin.capabilities
    registration = tx.registration(label) if label else None
    if registration is None:
        raise ResourceNotFoundException(f"The custom connector {label} is not registered.")
    return registration.configuration


def _check_properties(member: str | None, props: Mapping[str, Any], kind: str, connector_type: str) -> None:
    if member is None or member not in props:
        raise ValidationException(
            f"{kind} must have the {member or connector_type} member for connector type {connector_type}."
        )
    extra = [k for k in props if k != member]
    if extra:
        raise ValidationException(
            f"{kind} may only have the {member} member for connector type {connector_type}, "
            f"found {', '.join(sorted(extra))}."
        )


def _check_connector_properties(
    connector_type: str, props: Mapping[str, Any], member: str | None, role: str, flow_name: str,
    label: str | None = None,
) -> None:
    """The connector's own refusals of values it could never run with (ConnectorSpec.check_properties);
    a CustomConnector label's own spec (a plug-in, a managed connector's data path) decides for it."""
    spec = catalog.spec(connector_type, label)
    if spec is None or spec.check_properties is None or member is None:
        return
    try:
        spec.check_properties(props.get(member) or {}, role, flow_name)
    except ValueError as exc:
        raise ValidationException(str(exc)) from None


def _check_write_operation(
    props: Mapping[str, Any], config: Mapping[str, Any], where: str, connector_type: str
) -> None:
    """A destination's writeOperationType is one its connector supports; UPSERT names its key."""
    operation = props.get("writeOperationType")
    if operation is None:
        return
    supported = config.get("supportedWriteOperations") or []
    if operation not in supported:
        raise ValidationException(
            f"{where}: the {connector_type} connector cannot {operation} "
            f"(supported write operations: {', '.join(supported) or 'none'})."
        )
    if operation == "UPSERT" and not props.get("idFieldNames"):
        raise ValidationException(
            f"{where}: an UPSERT needs idFieldNames naming the external id field that matches records."
        )


def named_buckets(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(where, bucket) for every S3 bucket a flow reads or writes: S3 sides and error buckets."""
    found: list[tuple[str, str]] = []
    source = params["sourceFlowConfig"]
    if source["connectorType"] == "S3":
        bucket = (source["sourceConnectorProperties"].get("S3") or {}).get("bucketName")
        if bucket:
            found.append(("sourceFlowConfig", str(bucket)))
    for index, destination in enumerate(params["destinationFlowConfigList"]):
        member = catalog.destination_member(destination["connectorType"]) or ""
        props = destination["destinationConnectorProperties"].get(member) or {}
        where = f"destinationFlowConfigList[{index}]"
        # Upsolver writes to an S3 bucket too (the S3 destination's writer).
        if destination["connectorType"] in ("S3", "Upsolver") and props.get("bucketName"):
            found.append((where, str(props["bucketName"])))
        error_bucket = (props.get("errorHandlingConfig") or {}).get("bucketName")
        if error_bucket:
            found.append((f"{where}.errorHandlingConfig", str(error_bucket)))
    return found


def check_buckets(tx: Scoped, params: Mapping[str, Any]) -> None:
    """Every local S3 bucket the flow names is one its account may use (`sluice.store.buckets`).

    The rule does not look at the disk, so the answer never says whether another account's bucket
    exists: a bucket this account may not use and a name nobody uses get the same message. With
    the `aws` backend, S3 itself decides at run time.
    """
    if not local_s3():
        return
    named = named_buckets(params)
    usable = tx.usable_buckets([bucket for _, bucket in named])
    for where, bucket in named:
        if bucket not in usable:
            raise ValidationException(f"{where}: the S3 bucket {bucket} does not exist or this account may not use it.")


def local_s3() -> bool:
    """True when S3 is Sluice's embedded store (an unreadable backend setting counts as local: stricter)."""
    try:
        return backend_name() == "local"
    except ConnectorError:
        return True


def check_trigger(trigger: Mapping[str, Any], source_config: Mapping[str, Any], source_type: str) -> None:
    """The trigger type is one the source supports; a Scheduled trigger has a sound schedule."""
    trigger_type = trigger["triggerType"]
    supported = source_config.get("supportedTriggerTypes") or []
    if trigger_type not in supported:
        raise ValidationException(
            f"The {source_type} connector does not support {trigger_type} flows "
            f"(supported: {', '.join(supported) or 'none'})."
        )
    if trigger_type != "Scheduled":
        return
    scheduled = (trigger.get("triggerProperties") or {}).get("Scheduled")
    if not scheduled:
        raise ValidationException("A Scheduled flow needs triggerConfig.triggerProperties.Scheduled.")
    try:
        schedule = schedules.parse(scheduled["scheduleExpression"])
    except ValueError as exc:
        raise ValidationException(
            f"Invalid scheduleExpression {scheduled['scheduleExpression']!r}: {exc}."
        ) from exc
    frequencies = source_config.get("supportedSchedulingFrequencies") or []
    order = ["BYMINUTE", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"]
    fastest = min((order.index(f) for f in frequencies if f in order), default=None)
    if fastest is not None and order.index(schedule.frequency) < fastest:
        raise ValidationException(
            f"The schedule {schedule.expression} runs more often than the {source_type} connector allows "
            f"(supported frequencies: {', '.join(frequencies)})."
        )
    start, end = scheduled.get("scheduleStartTime"), scheduled.get("scheduleEndTime")
    if start is not None and end is not None and end <= start:
        raise ValidationException("scheduleEndTime must be later than scheduleStartTime.")
    if end is not None and end <= now():
        # A schedule that has already ended would never run: AppFlow refuses it too.
        raise ValidationException("scheduleEndTime must be in the future.")
    try:
        triggers.spec_for(scheduled, activated_at=0.0)
    except (ValueError, KeyError) as exc:
        raise ValidationException(f"Invalid schedule: {exc}") from exc


def check_tasks(tasks: Sequence[Mapping[str, Any]], source_type: str, source_config: Mapping[str, Any]) -> None:
    """Every task's operator belongs to the source type, fits the task type, and has its properties."""
    operator_key = catalog.operator_member(source_type)
    supported = set(source_config.get("supportedOperators") or [])
    for index, task in enumerate(tasks):
        where = f"tasks[{index}]"
        task_type = task["taskType"]
        operator_map = task.get("connectorOperator") or {}
        if len(operator_map) > 1:
            raise ValidationException(f"{where}.connectorOperator must name exactly one connector.")
        operator = None
        if operator_map:
            (key, operator), = operator_map.items()
            if key != operator_key:
                raise ValidationException(
                    f"{where}.connectorOperator uses {key} but the source connector is {source_type}; "
                    f"use connectorOperator.{operator_key}."
                )
            if supported and operator not in supported:
                raise ValidationException(
                    f"{where}: the {source_type} connector does not support the {operator} operator."
                )
            allowed = OPERATORS.get(task_type, NO_OP_ONLY)
            if operator not in allowed:
                raise ValidationException(
                    f"{where}: operator {operator} cannot be used in a {task_type} task "
                    f"(allowed: {', '.join(sorted(allowed))})."
                )
        properties = task.get("taskProperties") or {}
        for name in REQUIRED_PROPERTIES.get(task_type, ()) + REQUIRED_PROPERTIES.get(operator or "", ()):
            if name not in properties:
                raise ValidationException(f"{where}: a {task_type} task with {operator} needs taskProperties.{name}.")
        if operator in COMPARISONS - {"BETWEEN"} and not ({"VALUE", "VALUES"} & properties.keys()):
            raise ValidationException(f"{where}: a {operator} filter needs taskProperties.VALUE or VALUES.")
        if task_type in NEEDS_DESTINATION_FIELD and not task.get("destinationField"):
            raise ValidationException(f"{where}: a {task_type} task needs a destinationField.")
        if task_type != "Map_all" and not task["sourceFields"]:
            raise ValidationException(f"{where}.sourceFields must name at least one field.")
    try:
        check_task_semantics(tasks)
    except ValueError as exc:  # the engine's own check: the task list can run as written
        raise ValidationException(str(exc)) from None


FieldLookup = Callable[[Scoped, str, str | None, str], set[str] | None]


def check_task_fields(tasks: Sequence[Mapping[str, Any]], fields: set[str], entity: str) -> None:
    """Every source field a task names exists in the source entity."""
    for index, task in enumerate(tasks):
        missing = [f for f in task["sourceFields"] if f and f not in fields]
        if missing:
            raise ValidationException(
                f"tasks[{index}].sourceFields names {', '.join(missing)}, which the source entity {entity} "
                f"does not have (its fields: {', '.join(sorted(fields)) or 'none'})."
            )


def check_flow(tx: Scoped, params: Mapping[str, Any], fields_of: FieldLookup | None = None) -> FlowShape:
    """Validate a CreateFlow/UpdateFlow request's meaning; returns what the service stores.

    With `fields_of`, task source fields are checked against the source entity's metadata
    whenever the connector can describe it.
    """
    source = params["sourceFlowConfig"]
    source_type = source["connectorType"]
    source_profile = _profile_for(tx, source_type, source.get("connectorProfileName"), "source")
    source_config = _configuration(tx, source_type, source_profile)
    if not source_config.get("canUseAsSource"):
        raise ValidationException(f"The {source_type} connector cannot be used as a flow source.")
    _check_properties(
        catalog.source_member(source_type), source["sourceConnectorProperties"],
        "sourceFlowConfig.sourceConnectorProperties", source_type,
    )
    _check_connector_properties(source_type, source["sourceConnectorProperties"],
                                catalog.source_member(source_type), "source", params["flowName"],
                                source_profile.connector_label if source_profile else None)
    shape = FlowShape(source_type, source.get("connectorProfileName"),
                      source_profile.connector_label if source_profile else None)
    allowed = set(source_config.get("supportedDestinationConnectors") or [])
    for index, destination in enumerate(params["destinationFlowConfigList"]):
        dest_type = destination["connectorType"]
        where = f"destinationFlowConfigList[{index}]"
        profile = _profile_for(tx, dest_type, destination.get("connectorProfileName"), "destination")
        dest_config = _configuration(tx, dest_type, profile)
        if not dest_config.get("canUseAsDestination"):
            raise ValidationException(f"{where}: the {dest_type} connector cannot be used as a destination.")
        if dest_type not in allowed:
            raise ValidationException(
                f"{where}: {source_type} cannot send data to {dest_type} "
                f"(supported destinations: {', '.join(sorted(allowed)) or 'none'})."
            )
        _check_properties(
            catalog.destination_member(dest_type), destination["destinationConnectorProperties"],
            f"{where}.destinationConnectorProperties", dest_type,
        )
        _check_write_operation(
            destination["destinationConnectorProperties"].get(catalog.destination_member(dest_type) or "") or {},
            dest_config, where, dest_type,
        )
        _check_connector_properties(dest_type, destination["destinationConnectorProperties"],
                                    catalog.destination_member(dest_type), "destination", params["flowName"],
                                    profile.connector_label if profile else None)
        shape.destination_types.append(dest_type)
        shape.destination_profiles.append(destination.get("connectorProfileName") or "")
        shape.destination_labels.append(profile.connector_label if profile else None)
    if not params["destinationFlowConfigList"]:
        raise ValidationException("destinationFlowConfigList must name at least one destination.")
    check_buckets(tx, params)
    check_trigger(params["triggerConfig"], source_config, source_type)
    check_tasks(params["tasks"], source_type, source_config)
    entity = catalog.source_entity(source_type, source["sourceConnectorProperties"])
    if fields_of is not None and entity:
        fields = fields_of(tx, source_type, source.get("connectorProfileName"), entity)
        if fields is not None:
            check_task_fields(params["tasks"], fields, entity)
    return shape
