"""The wizard's form -> CreateFlow/UpdateFlow mapping (`sluice.api.console.wizard_forms`), and the
schedule preview, checked against the model's validator and the scheduler."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.datastructures import FormData

from sluice.api.console import wizard_forms as forms
from sluice.api.console.wizard import schedule_preview
from sluice.protocol.model import service_model
from sluice.protocol.validate import validate_input
from sluice.scheduler.schedule import ScheduleSpec, next_fire

FIELDS = [
    {"identifier": name, "supportedFieldTypeDetails": {"v1": {"fieldType": kind, "filterOperators": ops}}}
    for name, kind, ops in (
        ("id", "Integer", ["EQUAL_TO", "GREATER_THAN", "PROJECTION"]),
        ("email", "String", ["EQUAL_TO", "CONTAINS"]),
        ("region", "String", ["EQUAL_TO", "NOT_EQUAL_TO"]),
    )
]
S3_OPERATORS = ["PROJECTION", "GREATER_THAN", "EQUAL_TO", "NOT_EQUAL_TO", "MASK_ALL", "MASK_FIRST_N", "ADDITION",
                "VALIDATE_NON_NULL", "NO_OP"]


def form(*pairs: tuple[str, str], **values: str) -> FormData:
    return FormData([*pairs, *values.items()])


def s3_flow() -> dict[str, Any]:
    draft = forms.empty_draft()
    draft = forms.apply_source(draft, form(flowName="orders", source_type="S3", source_file_type="CSV",
                                           tags="team=sales, env=dev"), editing=False)
    draft = forms.apply_entity(draft, form(pick="src-bucket/in/2024"))
    return forms.apply_destination(draft, form(
        ("dest_path_hierarchy", "EXECUTION_ID"), dest_type="S3", dest_bucket="dst", dest_prefix="out",
        dest_file_type="PARQUET", dest_aggregation="SingleFile", dest_file_size="64", dest_prefix_type="PATH",
        dest_prefix_format="DAY", dest_preserve_types="true"), ["INSERT"])


def test_the_s3_steps_build_the_s3_members_of_the_request():
    request = forms.request_for(s3_flow(), editing=False)
    assert request["flowName"] == "orders" and request["tags"] == {"team": "sales", "env": "dev"}
    assert request["sourceFlowConfig"] == {"connectorType": "S3", "sourceConnectorProperties": {"S3": {
        "bucketName": "src-bucket", "bucketPrefix": "in/2024", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}}
    assert request["destinationFlowConfigList"] == [{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
        "bucketName": "dst", "bucketPrefix": "out", "s3OutputFormatConfig": {
            "fileType": "PARQUET", "aggregationConfig": {"aggregationType": "SingleFile", "targetFileSize": 64},
            "prefixConfig": {"prefixType": "PATH", "prefixFormat": "DAY", "pathPrefixHierarchy": ["EXECUTION_ID"]},
            "preserveSourceDataTyping": True}}}}]
    assert request["triggerConfig"] == {"triggerType": "OnDemand"} and request["tasks"] == []


def test_mapping_builds_map_tasks_in_field_order_then_the_listed_tasks():
    draft = s3_flow()
    table = [("mapping_table", "true"), ("map", "region"), ("map", "id"), ("to.id", "customer_id")]
    draft = forms.apply_mapping(draft, form(*table, task_action="add", task_type="Filter", task_sources="region",
                                            task_operator="EQUAL_TO", task_value="north"), FIELDS, S3_OPERATORS)
    draft = forms.apply_mapping(draft, form(*table, task_action="add", task_type="Mask", task_sources="email",
                                            task_operator="MASK_FIRST_N", task_length="3"), FIELDS, S3_OPERATORS)
    assert draft["tasks"] == [
        {"sourceFields": ["id"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "customer_id",
         "taskType": "Map", "taskProperties": {"SOURCE_DATA_TYPE": "Integer", "DESTINATION_DATA_TYPE": "Integer"}},
        {"sourceFields": ["region"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "region",
         "taskType": "Map", "taskProperties": {"SOURCE_DATA_TYPE": "String", "DESTINATION_DATA_TYPE": "String"}},
        {"sourceFields": ["region"], "connectorOperator": {"S3": "EQUAL_TO"}, "taskType": "Filter",
         "taskProperties": {"DATA_TYPE": "string", "VALUE": "north"}},
        {"sourceFields": ["email"], "connectorOperator": {"S3": "MASK_FIRST_N"}, "taskType": "Mask",
         "taskProperties": {"MASK_VALUE": "*", "MASK_LENGTH": "3"}},
    ]
    # Removing the first listed task keeps the table's tasks and the other listed one.
    draft = forms.apply_mapping(draft, form(*table, ("map_all", "true"), task_action="remove:0"), FIELDS,
                                S3_OPERATORS)
    assert [t["taskType"] for t in draft["tasks"]] == ["Map", "Map", "Mask", "Map_all"]
    # Without the table on the page (its fields could not be read) the Map tasks stay as they were.
    draft = forms.apply_mapping(draft, form(task_action="remove:0"), [], S3_OPERATORS)
    assert [t["taskType"] for t in draft["tasks"]] == ["Map", "Map", "Map_all"]


def test_saving_the_mapping_unchanged_keeps_a_flows_tasks_as_they_were():
    draft = s3_flow()
    draft["tasks"] = [
        {"taskType": "Filter", "sourceFields": ["region"], "connectorOperator": {"S3": "EQUAL_TO"},
         "taskProperties": {"VALUE": "north"}},
        {"taskType": "Map", "sourceFields": ["id"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "key"},
        {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"},
         "taskProperties": {"EXCLUDE_SOURCE_FIELDS_LIST": '["email"]'}},
        {"taskType": "Mask", "sourceFields": ["email"], "connectorOperator": {"S3": "MASK_ALL"}},
    ]
    before = json.loads(json.dumps(draft["tasks"]))
    table = form(("mapping_table", "true"), ("map_all", "true"), ("map", "id"), ("to.id", "key"), ("to.email", "email"))
    assert forms.apply_mapping(draft, table, FIELDS, S3_OPERATORS)["tasks"] == before
    # Renaming keeps the task's place and properties; unticking drops it; a newly ticked field comes last.
    table = form(("mapping_table", "true"), ("map", "id"), ("to.id", "ident"), ("map", "email"))
    tasks = forms.apply_mapping(draft, table, FIELDS, S3_OPERATORS)["tasks"]
    assert [(t["taskType"], t.get("destinationField")) for t in tasks] == [
        ("Filter", None), ("Map", "ident"), ("Mask", None), ("Map", "email")]
    assert "taskProperties" not in tasks[1]


def test_other_task_shapes_follow_appflows_task():
    draft = s3_flow()
    merge = forms.new_task(draft, form(("task_sources", "id"), ("task_sources", "email"), task_type="Merge",
                                       task_format="${id}-${email}", task_destination="key"), FIELDS, S3_OPERATORS)
    assert merge == {"sourceFields": ["id", "email"], "connectorOperator": {"S3": "NO_OP"}, "taskType": "Merge",
                     "destinationField": "key", "taskProperties": {"CONCAT_FORMAT": "${id}-${email}"}}
    partition = forms.new_task(draft, form(("task_sources", "region"), task_type="Partition"), FIELDS, S3_OPERATORS)
    assert partition["taskProperties"] == {"ORDERED_PARTITION_KEYS_LIST": '["region"]'}
    # BETWEEN is not among id's filterOperators, so the wizard does not offer it (nor take it).
    with pytest.raises(forms.WizardInputError, match="offers PROJECTION, GREATER_THAN, EQUAL_TO"):
        forms.new_task(draft, form(task_type="Filter", task_sources="id", task_operator="BETWEEN", task_value="1",
                                   task_upper="9"), FIELDS, [*S3_OPERATORS, "BETWEEN"])
    greater = forms.new_task(draft, form(task_type="Filter", task_sources="id", task_operator="GREATER_THAN",
                                         task_value="1", task_data_type="double"), FIELDS, S3_OPERATORS)
    assert greater["taskProperties"] == {"DATA_TYPE": "double", "VALUE": "1"}
    validate = forms.new_task(draft, form(task_type="Validate", task_sources="id", task_validation="TerminateFlow"),
                              FIELDS, S3_OPERATORS)
    assert validate["taskProperties"] == {"VALIDATION_ACTION": "TerminateFlow"}
    with pytest.raises(forms.WizardInputError):
        forms.new_task(draft, form(task_type="Arithmetic"), FIELDS, S3_OPERATORS)


def test_filter_operators_are_the_connectors_and_the_fields():
    assert forms.offered_operators("Filter", S3_OPERATORS, FIELDS[0]) == ["PROJECTION", "GREATER_THAN", "EQUAL_TO"]
    assert forms.offered_operators("Filter", S3_OPERATORS, FIELDS[1]) == ["EQUAL_TO"]  # S3 lists no CONTAINS
    assert forms.offered_operators("Mask", S3_OPERATORS, None) == ["MASK_ALL", "MASK_FIRST_N"]
    assert forms.offered_operators("Merge", S3_OPERATORS, None) == []


def test_write_operations_only_where_the_destination_takes_them():
    draft = forms.apply_destination(s3_flow(), form(dest_type="Salesforce", dest_profile="sf", dest_object="Account",
                                                    dest_write_operation="UPSERT", dest_id_fields="ExternalId__c"),
                                    ["INSERT", "UPSERT", "UPDATE", "DELETE"])
    assert forms.destination(draft) == {"connectorType": "Salesforce", "connectorProfileName": "sf",
                                        "destinationConnectorProperties": {"Salesforce": {
                                            "object": "Account", "writeOperationType": "UPSERT",
                                            "idFieldNames": ["ExternalId__c"]}}}
    insert_only = forms.apply_destination(s3_flow(), form(dest_type="Redshift", dest_object="public.t",
                                                          dest_write_operation="UPSERT"), [])
    assert forms.destination_props(insert_only) == {"object": "public.t"}


def test_a_scheduled_trigger_passes_the_models_validator():
    draft = forms.apply_mapping(s3_flow(), form(("mapping_table", "true"), ("map", "id")), FIELDS, S3_OPERATORS)
    draft = forms.apply_trigger(draft, form(triggerType="Scheduled", scheduleExpression="rate(1hours)",
                                            scheduleStartTime="2030-01-02T03:04", dataPullMode="Complete",
                                            scheduleOffset="60", timezone="Europe/Berlin"),
                                ["Scheduled", "OnDemand"])
    request = forms.request_for(draft, editing=False)
    scheduled = request["triggerConfig"]["triggerProperties"]["Scheduled"]
    assert scheduled == {"scheduleExpression": "rate(1hours)", "dataPullMode": "Complete",
                         "scheduleStartTime": datetime(2030, 1, 2, 3, 4, tzinfo=UTC).timestamp(),
                         "timezone": "Europe/Berlin", "scheduleOffset": 60}
    json.dumps(request)  # what the review shows is plain JSON
    params = forms.with_datetimes(request)
    validate_input(service_model().operation_model("CreateFlow").input_shape, params)
    # Event is offered only where the source supports it.
    assert forms.apply_trigger(draft, form(triggerType="Event"), ["Scheduled", "OnDemand"])["triggerConfig"] == {
        "triggerType": "OnDemand"}


def test_an_edited_flow_round_trips_to_update_flow():
    described = {"flowName": "orders", "flowArn": "arn", "schemaVersion": 3, "description": "d",
                 "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {"S3": {"bucketName": "bkt"}},
                                      "incrementalPullConfig": {"datetimeTypeFieldName": "ts"}},
                 "destinationFlowConfigList": [{"connectorType": "S3",
                                                "destinationConnectorProperties": {"S3": {"bucketName": "dst"}}}],
                 "tasks": [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}}],
                 "triggerConfig": {"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
                     "scheduleExpression": "rate(1days)", "scheduleStartTime": datetime(2030, 1, 1, tzinfo=UTC)}}},
                 "tags": {"a": "b"}}
    draft = forms.draft_from_flow(described)
    draft = forms.apply_source(draft, form(flowName="renamed", description="d2", source_type="S3"), editing=True)
    request = forms.request_for(draft, editing=True)
    assert request["flowName"] == "orders" and request["description"] == "d2" and "tags" not in request
    assert request["sourceFlowConfig"]["incrementalPullConfig"] == {"datetimeTypeFieldName": "ts"}
    assert request["triggerConfig"]["triggerProperties"]["Scheduled"]["scheduleStartTime"] == datetime(
        2030, 1, 1, tzinfo=UTC).timestamp()
    validate_input(service_model().operation_model("UpdateFlow").input_shape, forms.with_datetimes(request))
    # A form field's value in the page is the draft as JSON; anything unreadable starts afresh.
    assert forms.draft_from_json(forms.draft_to_json(draft)) == draft
    assert forms.draft_from_json("not json") == forms.empty_draft()


def test_the_schedule_preview_is_the_schedulers_own_answer():
    now = datetime(2030, 1, 1, 10, 30, tzinfo=UTC).timestamp()
    fires, error = schedule_preview({"scheduleExpression": "cron(0 9 * * ? *)", "timezone": "UTC"}, now)
    assert error is None and len(fires) == 5
    spec = ScheduleSpec("cron(0 9 * * ? *)", start=datetime.fromtimestamp(now, UTC))
    assert fires[0] == next_fire(spec, datetime.fromtimestamp(now, UTC)) == datetime(2030, 1, 2, 9, tzinfo=UTC)
    assert [f.day for f in fires] == [2, 3, 4, 5, 6]
    assert schedule_preview({"scheduleExpression": "every hour"}, now)[1]
    ended = {"scheduleExpression": "rate(1hours)", "scheduleEndTime": now - 10, "scheduleStartTime": now - 7200}
    assert schedule_preview(ended, now) == ([], "This schedule never fires after now.")


def test_errors_point_at_the_step_of_the_member_they_name():
    assert forms.step_for_error("Value '' at 'destinationFlowConfigList.1.member.x' failed") == "destination"
    assert forms.step_for_error("tasks[2]: a Merge task needs taskProperties.CONCAT_FORMAT.") == "mapping"
    assert forms.step_for_error("A flow named x already exists.") == "review"
    assert forms.next_step("source") == "entity" and forms.next_step("source", -1) == "source"
    both = "Value '' at 'sourceFlowConfig.x'; Value '' at 'destinationFlowConfigList[0].y'"
    assert forms.step_for_error(both) == "entity"


def test_schedule_times_round_trip_through_the_form_to_the_second():
    epoch = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC).timestamp()
    assert forms.utc_input(epoch) == "2030-05-06T07:08:09"
    assert forms.parse_utc(forms.utc_input(epoch)) == epoch
    assert forms.parse_utc("2030-05-06T07:08") == epoch - 9
    with pytest.raises(forms.WizardInputError):
        forms.parse_utc("next tuesday")
