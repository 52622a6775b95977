"""The flow wizard's forms, as pure functions: form fields -> a CreateFlow/UpdateFlow request (API layer, console).

The wizard keeps its draft in the page: a hidden `draft` field holds the request being built as
JSON (the members of `CreateFlowRequest`, timestamps as epoch seconds, as an SDK sends them).
Each step posts the draft with its own fields; `apply_<step>(draft, form, ...)` returns the
draft with that step's members set, keeping every member the step does not own (so an edited
flow keeps what the wizard has no form for, such as `incrementalPullConfig`).
`request_for(draft, editing)` is the exact body the console sends. Nothing here calls the
service: `wizard.py` asks it (DescribeConnectors, ListConnectorEntities, ...) and passes the
answers in. The service validates the result, as it does for the API.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import ImmutableMultiDict

from sluice.service import catalog

STEPS: tuple[tuple[str, str], ...] = (
    ("source", "Source"),
    ("entity", "Source object"),
    ("destination", "Destination"),
    ("mapping", "Field mapping"),
    ("trigger", "Trigger"),
    ("review", "Review"),
)
STEP_NAMES = tuple(name for name, _ in STEPS)
S3 = "S3"
S3_INPUT_TYPES = ("CSV", "JSON")
S3_OUTPUT_TYPES = ("CSV", "JSON", "PARQUET")
AGGREGATIONS = ("None", "SingleFile")
PREFIX_TYPES = ("FILENAME", "PATH", "PATH_AND_FILENAME")
PREFIX_FORMATS = ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE")
PATH_HIERARCHY = ("EXECUTION_ID", "SCHEMA_VERSION")
WRITE_OPERATIONS = ("INSERT", "UPSERT", "UPDATE", "DELETE")
TRIGGER_TYPES = ("OnDemand", "Scheduled", "Event")
PULL_MODES = ("Incremental", "Complete")
VALIDATION_ACTIONS = ("DropRecord", "TerminateFlow")
# Tasks added one by one below the mapping table (Map and Map_all come from the table itself).
EXTRA_TASK_TYPES = ("Filter", "Mask", "Merge", "Arithmetic", "Truncate", "Validate", "Partition")
# Which connector operators each task type takes (AppFlow's Task.connectorOperator); the wizard
# offers those the source connector lists in supportedOperators (and, for Filter, those the
# field lists in its filterOperators).
FILTER_OPERATORS = ("PROJECTION", "LESS_THAN", "GREATER_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN_OR_EQUAL_TO",
                    "EQUAL_TO", "NOT_EQUAL_TO", "BETWEEN", "CONTAINS")
TASK_OPERATORS: dict[str, tuple[str, ...]] = {
    "Filter": FILTER_OPERATORS,
    "Mask": ("MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N"),
    "Arithmetic": ("ADDITION", "SUBTRACTION", "MULTIPLICATION", "DIVISION"),
    "Validate": ("VALIDATE_NON_NULL", "VALIDATE_NON_ZERO", "VALIDATE_NON_NEGATIVE", "VALIDATE_NUMERIC"),
}
TIMESTAMP_KEYS = ("scheduleStartTime", "scheduleEndTime", "firstExecutionFrom")


# A submitted form or a query string (Starlette's FormData and QueryParams are both one).
Form = ImmutableMultiDict[str, Any]


class WizardInputError(ValueError):
    """A form value the wizard cannot turn into a request member (shown next to the form)."""


# -- the draft --------------------------------------------------------------------------------
def empty_draft() -> dict[str, Any]:
    """A new flow: on demand, S3 to S3, no tasks yet."""
    return {
        "flowName": "",
        "sourceFlowConfig": {"connectorType": S3, "sourceConnectorProperties": {S3: {"bucketName": ""}}},
        "destinationFlowConfigList": [
            {"connectorType": S3, "destinationConnectorProperties": {S3: {"bucketName": ""}}}
        ],
        "tasks": [],
        "triggerConfig": {"triggerType": "OnDemand"},
    }


def draft_from_json(text: str | None) -> dict[str, Any]:
    """The draft a form carried, or a new one when it carried none (or something unreadable)."""
    try:
        value = json.loads(text or "")
    except ValueError:
        return empty_draft()
    return value if isinstance(value, dict) and isinstance(value.get("sourceFlowConfig"), dict) else empty_draft()


def draft_to_json(draft: Mapping[str, Any]) -> str:
    """The draft as the hidden field's value."""
    return json.dumps(draft, separators=(",", ":"))


def _epoch(value: Any) -> Any:
    return value.timestamp() if isinstance(value, datetime) else value


def draft_from_flow(flow: Mapping[str, Any]) -> dict[str, Any]:
    """An UpdateFlow draft prefilled from a DescribeFlow answer (datetimes become epoch seconds)."""
    draft: dict[str, Any] = {"flowName": flow["flowName"]}
    for key in ("description", "sourceFlowConfig", "destinationFlowConfigList", "tasks", "triggerConfig",
                "metadataCatalogConfig"):
        if flow.get(key) is not None:
            draft[key] = copy.deepcopy(flow[key])
    scheduled = scheduled_of(draft)
    for key in TIMESTAMP_KEYS:
        if key in scheduled:
            scheduled[key] = _epoch(scheduled[key])
    return draft


def request_for(draft: Mapping[str, Any], editing: bool) -> dict[str, Any]:
    """The exact CreateFlow (or UpdateFlow) request body for the draft."""
    keys = ["flowName", "description", "triggerConfig", "sourceFlowConfig", "destinationFlowConfigList", "tasks",
            "metadataCatalogConfig"]
    if not editing:
        keys.append("tags")
    request = {key: copy.deepcopy(draft[key]) for key in keys if draft.get(key) not in (None, "", {})}
    request.setdefault("tasks", [])
    return request


def with_datetimes(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request as the API's parser hands it to the service: trigger times as aware datetimes."""
    result = copy.deepcopy(dict(request))
    scheduled = scheduled_of(result)
    for key in TIMESTAMP_KEYS:
        if isinstance(scheduled.get(key), int | float):
            scheduled[key] = datetime.fromtimestamp(scheduled[key], UTC)
    return result


def scheduled_of(draft: Mapping[str, Any]) -> dict[str, Any]:
    """The draft's ScheduledTriggerProperties (an empty dict when it has none)."""
    trigger = draft.get("triggerConfig") or {}
    props = trigger.get("triggerProperties") or {}
    scheduled = props.get("Scheduled")
    return scheduled if isinstance(scheduled, dict) else {}


def source_type(draft: Mapping[str, Any]) -> str:
    """The source connector type."""
    return str(draft["sourceFlowConfig"].get("connectorType") or S3)


def source_props(draft: Mapping[str, Any]) -> dict[str, Any]:
    """The source's `sourceConnectorProperties` member (created when missing)."""
    config = draft["sourceFlowConfig"]
    member = catalog.source_member(source_type(draft)) or source_type(draft)
    members = config.setdefault("sourceConnectorProperties", {})
    return members.setdefault(member, {})


def destination(draft: Mapping[str, Any]) -> dict[str, Any]:
    """The first destination (the wizard edits one; others are kept as they are)."""
    destinations = draft["destinationFlowConfigList"]
    if not destinations:
        destinations.append({"connectorType": S3, "destinationConnectorProperties": {}})
    return destinations[0]


def destination_props(draft: Mapping[str, Any]) -> dict[str, Any]:
    """The first destination's `destinationConnectorProperties` member (created when missing)."""
    first = destination(draft)
    member = catalog.destination_member(first["connectorType"]) or first["connectorType"]
    members = first.setdefault("destinationConnectorProperties", {})
    return members.setdefault(member, {})


def source_entity(draft: Mapping[str, Any]) -> str | None:
    """The entity the draft reads (`bucket/prefix` for S3), as the service derives it."""
    config = draft["sourceFlowConfig"]
    return catalog.source_entity(source_type(draft), config.get("sourceConnectorProperties") or {})


# -- small readers ---------------------------------------------------------------------------
def _text(form: Form, name: str) -> str:
    return str(form.get(name) or "").strip()


def _choice(form: Form, name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
    value = _text(form, name)
    return value if value in allowed else default


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    """Set `key`, or drop it when the form left it empty (the request then omits the member)."""
    if value in (None, "", [], {}):
        target.pop(key, None)
    else:
        target[key] = value


def _names(text: str) -> list[str]:
    """`a, b` or one name per line -> ['a', 'b']."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def parse_tags(text: str) -> dict[str, str]:
    """`team=sales, env=dev` -> {'team': 'sales', 'env': 'dev'}."""
    tags: dict[str, str] = {}
    for part in _names(text):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise WizardInputError(f"Write tags as key=value, not {part!r}.")
        tags[key.strip()] = value.strip()
    return tags


def tags_text(tags: Mapping[str, str] | None) -> str:
    """The tags field's value for a draft's tags."""
    return ", ".join(f"{key}={value}" for key, value in (tags or {}).items())


def parse_utc(text: str) -> float | None:
    """A `datetime-local` value (taken as UTC) -> epoch seconds; '' -> None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise WizardInputError(f"{text!r} is not a date and time (YYYY-MM-DDTHH:MM).") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def utc_input(epoch: Any) -> str:
    """Epoch seconds -> a `datetime-local` value in UTC ('' for none)."""
    if isinstance(epoch, bool) or not isinstance(epoch, int | float):  # None, '' or a template's Undefined
        return ""
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S")


# -- step 1: source ----------------------------------------------------------------------------
def apply_source(draft: dict[str, Any], form: Form, editing: bool) -> dict[str, Any]:
    """Flow name and description, source connector type and profile; S3's file type."""
    if not editing:  # UpdateFlow renames nothing and takes no tags (TagResource does)
        draft["flowName"] = _text(form, "flowName")
        _set(draft, "tags", parse_tags(_text(form, "tags")))
    _set(draft, "description", _text(form, "description"))
    config = draft["sourceFlowConfig"]
    new_type = _text(form, "source_type") or source_type(draft)
    if new_type != config.get("connectorType"):
        # Another connector: its properties have another shape, and the tasks name its operators.
        draft["sourceFlowConfig"] = config = {"connectorType": new_type, "sourceConnectorProperties": {}}
        draft["tasks"] = []
    _set(config, "connectorProfileName", _text(form, "source_profile"))
    props = source_props(draft)
    if new_type == S3:
        file_type = _choice(form, "source_file_type", S3_INPUT_TYPES)
        _set(props, "s3InputFormatConfig", {"s3InputFileType": file_type} if file_type else None)
    return draft


# -- step 2: the source object ---------------------------------------------------------------
def apply_entity(draft: dict[str, Any], form: Form) -> dict[str, Any]:
    """The object to read: a picked entity (`pick`), or S3's bucket and prefix / another connector's object."""
    props = source_props(draft)
    picked = _text(form, "pick")
    if source_type(draft) == S3:
        bucket, prefix = _text(form, "bucketName"), _text(form, "bucketPrefix")
        if picked:
            bucket, _, prefix = picked.strip("/").partition("/")
        props["bucketName"] = bucket
        _set(props, "bucketPrefix", prefix)
        return draft
    key = "entityName" if source_type(draft) == catalog.CUSTOM else (
        "objectPath" if source_type(draft) == "SAPOData" else "object")
    props[key] = picked or _text(form, "object")
    return draft


# -- step 3: destination -----------------------------------------------------------------------
def apply_destination(draft: dict[str, Any], form: Form, write_operations: Sequence[str]) -> dict[str, Any]:
    """The destination connector, profile and options; `write_operations` are the destination's
    supportedWriteOperations (DescribeConnectors), offered only when its properties take one."""
    first = destination(draft)
    new_type = _text(form, "dest_type") or first["connectorType"]
    if new_type != first.get("connectorType"):
        draft["destinationFlowConfigList"][0] = first = {"connectorType": new_type,
                                                         "destinationConnectorProperties": {}}
    _set(first, "connectorProfileName", _text(form, "dest_profile"))
    props = destination_props(draft)
    if new_type == S3:
        props["bucketName"] = _text(form, "dest_bucket")
        _set(props, "bucketPrefix", _text(form, "dest_prefix"))
        _set(props, "s3OutputFormatConfig", s3_output(form, props.get("s3OutputFormatConfig") or {}))
        return draft
    props["object"] = _text(form, "dest_object")
    operation = _choice(form, "dest_write_operation", [w for w in write_operations if w in WRITE_OPERATIONS])
    if operation is not None:
        props["writeOperationType"] = operation
        _set(props, "idFieldNames", _names(_text(form, "dest_id_fields")) if operation != "INSERT" else None)
    return draft


def s3_output(form: Form, current: Mapping[str, Any]) -> dict[str, Any]:
    """S3OutputFormatConfig from the destination form (members the form has no field for are kept)."""
    config = dict(current)
    _set(config, "fileType", _choice(form, "dest_file_type", S3_OUTPUT_TYPES))
    aggregation: dict[str, Any] = {}
    _set(aggregation, "aggregationType", _choice(form, "dest_aggregation", AGGREGATIONS))
    size = _text(form, "dest_file_size")
    if size:
        if not size.isdigit():
            raise WizardInputError(f"The target file size must be a whole number of MB, not {size!r}.")
        aggregation["targetFileSize"] = int(size)
    _set(config, "aggregationConfig", aggregation)
    prefix: dict[str, Any] = {}
    _set(prefix, "prefixType", _choice(form, "dest_prefix_type", PREFIX_TYPES))
    _set(prefix, "prefixFormat", _choice(form, "dest_prefix_format", PREFIX_FORMATS))
    _set(prefix, "pathPrefixHierarchy", [p for p in form.getlist("dest_path_hierarchy") if p in PATH_HIERARCHY])
    _set(config, "prefixConfig", prefix)
    preserve = form.get("dest_preserve_types") == "true"
    if preserve or "preserveSourceDataTyping" in current:  # unticked and never set: leave the member out
        config["preserveSourceDataTyping"] = preserve
    return config


# -- step 4: field mapping ---------------------------------------------------------------------
def operator_key(draft: Mapping[str, Any]) -> str:
    """The `ConnectorOperator` member of the source connector (`S3`, `Salesforce`, ...)."""
    kind = source_type(draft)
    return catalog.operator_member(kind) or kind


def is_table_task(task: Mapping[str, Any]) -> bool:
    """Map and Map_all tasks come from the mapping table; the rest are listed one by one."""
    return task.get("taskType") in ("Map", "Map_all")


def offered_operators(task_type: str, supported: Iterable[str], field: Mapping[str, Any] | None) -> list[str]:
    """The operators to offer for a task type: those the source connector supports (DescribeConnectors'
    supportedOperators) and, for a Filter, that the chosen field lists in its filterOperators."""
    allowed = set(supported)
    if task_type == "Filter" and field is not None:
        details = (field.get("supportedFieldTypeDetails") or {}).get("v1") or {}
        allowed &= set(details.get("filterOperators") or ())
    return [op for op in TASK_OPERATORS.get(task_type, ()) if op in allowed]


def field_type(field: Mapping[str, Any] | None) -> str:
    """A ConnectorEntityField's type (`String`, `Integer`, ...), '' when unknown."""
    if field is None:
        return ""
    return str(((field.get("supportedFieldTypeDetails") or {}).get("v1") or {}).get("fieldType") or "")


def map_tasks(draft: Mapping[str, Any], form: Form, fields: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The Map (and Map_all) tasks the mapping table asks for, in the entity's field order.

    A field the draft already maps keeps its task (operator, properties) with the destination
    the table now gives, so opening a flow and saving it unchanged changes none of its tasks.
    """
    key = operator_key(draft)
    existing = {t["sourceFields"][0]: t for t in reversed(draft.get("tasks") or [])
                if t.get("taskType") == "Map" and t.get("sourceFields")}
    chosen = set(form.getlist("map"))
    tasks: list[dict[str, Any]] = []
    if form.get("map_all") == "true":
        kept = next((t for t in draft.get("tasks") or [] if t.get("taskType") == "Map_all"), None)
        tasks.append(copy.deepcopy(kept) if kept is not None else {
            "sourceFields": [], "connectorOperator": {key: "NO_OP"}, "taskType": "Map_all", "taskProperties": {}})
    for field in fields:
        name = field["identifier"]
        if name not in chosen:
            continue
        target = _text(form, f"to.{name}") or name
        if name in existing:
            tasks.append({**copy.deepcopy(existing[name]), "destinationField": target})
            continue
        kind = field_type(field)
        props = {"SOURCE_DATA_TYPE": kind, "DESTINATION_DATA_TYPE": kind} if kind else {}
        tasks.append({"sourceFields": [name], "connectorOperator": {key: "NO_OP"}, "destinationField": target,
                      "taskType": "Map", "taskProperties": props})
    return tasks


def _table_key(task: Mapping[str, Any]) -> tuple[str, str]:
    sources = task.get("sourceFields") or [""]
    return (str(task.get("taskType")), str(sources[0]) if task.get("taskType") == "Map" else "")


def new_task(draft: Mapping[str, Any], form: Form, fields: Sequence[Mapping[str, Any]],
             supported: Iterable[str]) -> dict[str, Any]:
    """The task the 'Add task' row describes, in AppFlow's `Task` shape."""
    task_type = _choice(form, "task_type", EXTRA_TASK_TYPES)
    if task_type is None:
        raise WizardInputError("Choose a task type.")
    known = {f["identifier"]: f for f in fields}
    sources = [name for name in form.getlist("task_sources") if name]
    if not sources:
        raise WizardInputError(f"Choose the source field(s) of the {task_type} task.")
    operators = offered_operators(task_type, supported, known.get(sources[0]))
    operator = "NO_OP"
    if task_type in TASK_OPERATORS:
        if not operators:
            raise WizardInputError(f"The source connector offers no operator for a {task_type} task on "
                                   f"{sources[0]}.")
        operator = _text(form, "task_operator") or operators[0]
        if operator not in operators:
            raise WizardInputError(f"{operator} is not an operator the source connector offers for a {task_type} "
                                   f"task on {sources[0]} (it offers {', '.join(operators)}).")
    props: dict[str, str] = {}
    task: dict[str, Any] = {"sourceFields": sources, "connectorOperator": {operator_key(draft): operator},
                            "taskType": task_type}
    destination_field = _text(form, "task_destination")
    if task_type == "Filter" and operator != "PROJECTION":
        kind = _text(form, "task_data_type") or field_type(known.get(sources[0])).lower()
        if kind:
            props["DATA_TYPE"] = kind
        if operator == "BETWEEN":
            props["LOWER_BOUND"], props["UPPER_BOUND"] = _text(form, "task_value"), _text(form, "task_upper")
        else:
            props["VALUE"] = _text(form, "task_value")
    elif task_type == "Mask":
        props["MASK_VALUE"] = str(form.get("task_mask") or "*")
        if operator != "MASK_ALL":
            props["MASK_LENGTH"] = _text(form, "task_length")
    elif task_type == "Truncate":
        props["TRUNCATE_LENGTH"] = _text(form, "task_length")
    elif task_type == "Merge":
        props["CONCAT_FORMAT"] = str(form.get("task_format") or "")
    elif task_type == "Validate":
        props["VALIDATION_ACTION"] = _choice(form, "task_validation", VALIDATION_ACTIONS, "DropRecord") or "DropRecord"
    elif task_type == "Partition":
        props["ORDERED_PARTITION_KEYS_LIST"] = json.dumps(sources)
    if destination_field and task_type in ("Merge", "Arithmetic", "Mask", "Truncate"):
        task["destinationField"] = destination_field
    if props:
        task["taskProperties"] = props
    return task


def apply_mapping(draft: dict[str, Any], form: Form, fields: Sequence[Mapping[str, Any]],
                  supported: Iterable[str]) -> dict[str, Any]:
    """Update the task list from the mapping step, keeping the order tasks already have.

    The table's Map/Map_all tasks replace the draft's (a field no longer ticked loses its Map);
    the button pressed may add a task (`task_action=add`, appended) or remove one
    (`task_action=remove:<i>`, an index into the tasks listed below the table). Newly ticked
    fields are appended in field order. Without the table on the page (its fields could not be
    read) the Map tasks stay as they are.
    """
    old = draft.get("tasks") or []
    action = _text(form, "task_action")
    removed = -1
    if action.startswith("remove:") and action.removeprefix("remove:").isdigit():
        removed = int(action.removeprefix("remove:"))
    added = new_task(draft, form, fields, supported) if action == "add" else None
    table = form.get("mapping_table") == "true"
    wanted = {_table_key(t): t for t in map_tasks(draft, form, fields)} if table else {}
    tasks: list[dict[str, Any]] = []
    listed_index = 0
    for task in old:
        if not is_table_task(task):
            if listed_index != removed:
                tasks.append(task)
            listed_index += 1
        elif not table:
            tasks.append(task)
        elif _table_key(task) in wanted:
            tasks.append(wanted.pop(_table_key(task)))
    tasks += wanted.values()
    if added is not None:
        tasks.append(added)
    draft["tasks"] = tasks
    return draft


# -- step 5: trigger ---------------------------------------------------------------------------
def scheduled_from_form(form: Form, current: Mapping[str, Any]) -> dict[str, Any]:
    """ScheduledTriggerProperties from the trigger form (members it has no field for are kept)."""
    scheduled = dict(current)
    scheduled["scheduleExpression"] = _text(form, "scheduleExpression")
    _set(scheduled, "dataPullMode", _choice(form, "dataPullMode", PULL_MODES))
    _set(scheduled, "scheduleStartTime", parse_utc(_text(form, "scheduleStartTime")))
    _set(scheduled, "scheduleEndTime", parse_utc(_text(form, "scheduleEndTime")))
    _set(scheduled, "timezone", _text(form, "timezone"))
    offset = _text(form, "scheduleOffset")
    if offset and not offset.isdigit():
        raise WizardInputError(f"The schedule offset must be a whole number of seconds, not {offset!r}.")
    _set(scheduled, "scheduleOffset", int(offset) if offset else None)
    return scheduled


def apply_trigger(draft: dict[str, Any], form: Form, trigger_types: Sequence[str]) -> dict[str, Any]:
    """OnDemand, Scheduled (with its properties) or Event, among the source's supportedTriggerTypes."""
    kind = _choice(form, "triggerType", [t for t in TRIGGER_TYPES if t in trigger_types], "OnDemand")
    trigger: dict[str, Any] = {"triggerType": kind}
    if kind == "Scheduled":
        trigger["triggerProperties"] = {"Scheduled": scheduled_from_form(form, scheduled_of(draft))}
    draft["triggerConfig"] = trigger
    return draft


# -- errors ------------------------------------------------------------------------------------
_ERROR_STEPS = (
    ("flowName", "source"),
    ("sourceFlowConfig", "entity"),
    ("destinationFlowConfigList", "destination"),
    ("destination", "destination"),
    ("tasks", "mapping"),
    ("triggerConfig", "trigger"),
    ("schedule", "trigger"),
)


def step_for_error(message: str) -> str:
    """The earliest step whose form a service error is about, by the member paths AppFlow's message names."""
    for needle, step in _ERROR_STEPS:
        if needle in message:
            return step
    return "review"


def next_step(step: str, offset: int = 1) -> str:
    """The step `offset` places after `step` (clamped to the first and last)."""
    index = STEP_NAMES.index(step) if step in STEP_NAMES else 0
    return STEP_NAMES[max(0, min(len(STEP_NAMES) - 1, index + offset))]
