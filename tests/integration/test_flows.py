"""Flows over signed boto3: Create / Describe / List / Update / Delete, validation and status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.builders import (
    KMS_ARN,
    default_account_id,
    map_all_task,
    marketo_flow,
    marketo_profile,
    raises,
    redshift_profile,
    s3_destination,
    s3_flow,
    s3_source,
    salesforce_flow,
    scheduled,
    scheduled_flow,
    unchecked_client,
    unique,
)

pytestmark = pytest.mark.usefixtures("server_log_stays_clean")


@pytest.fixture(scope="module")
def account(appflow):
    """The default account's id, as the flow ARNs should carry it."""
    name = unique("probe")
    arn = appflow.create_flow(**s3_flow(name))["flowArn"]
    appflow.delete_flow(flowName=name)
    return arn.split(":")[4]


def test_create_then_describe_every_member(server, appflow, account):
    assert account == default_account_id(server)
    name = unique("flow")
    created = appflow.create_flow(**s3_flow(name, kmsArn=KMS_ARN, tags={"team": "data", "env": "test"}))
    arn = f"arn:aws:appflow:us-east-1:{account}:flow/{name}"
    assert created["flowArn"] == arn
    assert created["flowStatus"] == "Active"

    flow = appflow.describe_flow(flowName=name)
    assert flow["flowArn"] == arn
    assert flow["flowName"] == name
    assert flow["description"] == "copy every object"
    assert flow["kmsArn"] == KMS_ARN
    assert flow["flowStatus"] == "Active"
    assert flow["sourceFlowConfig"] == s3_source()
    assert flow["destinationFlowConfigList"] == [s3_destination()]
    assert flow["triggerConfig"] == {"triggerType": "OnDemand"}
    assert flow["tasks"] == [map_all_task()]
    assert flow["tags"] == {"team": "data", "env": "test"}
    assert flow["schemaVersion"] == 1
    assert flow["createdBy"] == flow["lastUpdatedBy"] == f"arn:aws:iam::{account}:root"
    assert isinstance(flow["createdAt"], datetime)
    assert abs(flow["createdAt"] - datetime.now(UTC)) < timedelta(minutes=5)
    assert flow["lastUpdatedAt"] >= flow["createdAt"]
    assert "lastRunExecutionDetails" not in flow


def test_default_kms_arn_and_scheduled_trigger_times(appflow, account):
    name = unique("flow")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    trigger = scheduled("rate(1hours)")
    trigger["triggerProperties"]["Scheduled"].update({"scheduleStartTime": start, "dataPullMode": "Incremental"})
    assert appflow.create_flow(**s3_flow(name, triggerConfig=trigger))["flowStatus"] == "Draft"

    flow = appflow.describe_flow(flowName=name)
    assert flow["kmsArn"] == f"arn:aws:kms:us-east-1:{account}:alias/aws/appflow"
    props = flow["triggerConfig"]["triggerProperties"]["Scheduled"]
    assert props["scheduleExpression"] == "rate(1hours)"
    assert props["scheduleStartTime"] == start
    assert props["dataPullMode"] == "Incremental"


def test_list_flows_summarises_and_paginates(appflow):
    names = [unique("list") for _ in range(3)]
    for name in names:
        appflow.create_flow(**s3_flow(name, tags={"k": name}))

    found = {}
    kwargs: dict = {"maxResults": 2}
    while True:
        page = appflow.list_flows(**kwargs)
        assert len(page["flows"]) <= 2
        found.update({f["flowName"]: f for f in page["flows"]})
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    summary = found[names[0]]
    assert summary["flowArn"].endswith(f":flow/{names[0]}")
    assert summary["flowStatus"] == "Active"
    assert summary["sourceConnectorType"] == "S3"
    assert summary["destinationConnectorType"] == "S3"
    assert summary["triggerType"] == "OnDemand"
    assert summary["tags"] == {"k": names[0]}
    assert set(names) <= found.keys()


def test_update_bumps_schema_version_only_for_what_is_moved(appflow, account):
    name = unique("flow")
    appflow.create_flow(**s3_flow(name))
    created = appflow.describe_flow(flowName=name)

    request = s3_flow(name, description="only the words changed")
    assert appflow.update_flow(**request)["flowStatus"] == "Active"
    flow = appflow.describe_flow(flowName=name)
    assert flow["description"] == "only the words changed"
    assert flow["schemaVersion"] == 1
    assert flow["lastUpdatedAt"] >= created["lastUpdatedAt"]
    assert flow["createdAt"] == created["createdAt"]
    assert flow["lastUpdatedBy"] == f"arn:aws:iam::{account}:root"

    appflow.update_flow(**s3_flow(name, sourceFlowConfig=s3_source(prefix="elsewhere")))
    assert appflow.describe_flow(flowName=name)["schemaVersion"] == 2
    appflow.update_flow(**s3_flow(name, sourceFlowConfig=s3_source(prefix="elsewhere"),
                                  destinationFlowConfigList=[s3_destination(bucket="other-bucket")]))
    assert appflow.describe_flow(flowName=name)["schemaVersion"] == 3
    tasks = [map_all_task(), {"sourceFields": ["id"], "taskType": "Filter", "connectorOperator": {"S3": "PROJECTION"}}]
    appflow.update_flow(**s3_flow(name, sourceFlowConfig=s3_source(prefix="elsewhere"),
                                  destinationFlowConfigList=[s3_destination(bucket="other-bucket")], tasks=tasks))
    flow = appflow.describe_flow(flowName=name)
    assert flow["schemaVersion"] == 4
    assert flow["tasks"] == tasks


def test_update_to_scheduled_makes_a_draft(appflow):
    name = unique("flow")
    appflow.create_flow(**s3_flow(name))
    assert appflow.update_flow(**scheduled_flow(name))["flowStatus"] == "Draft"
    assert appflow.describe_flow(flowName=name)["triggerConfig"]["triggerType"] == "Scheduled"


def test_delete_flow(appflow):
    name = unique("flow")
    appflow.create_flow(**s3_flow(name))
    appflow.delete_flow(flowName=name)
    with raises(appflow, "ResourceNotFoundException", 404, name):
        appflow.describe_flow(flowName=name)
    with raises(appflow, "ResourceNotFoundException", 404, name):
        appflow.delete_flow(flowName=name)


def test_unknown_flow_is_not_found(appflow):
    name = unique("absent")
    with raises(appflow, "ResourceNotFoundException", 404, name):
        appflow.describe_flow(flowName=name)
    with raises(appflow, "ResourceNotFoundException", 404, name):
        appflow.update_flow(**s3_flow(name))


def test_duplicate_name_conflicts(appflow):
    name = unique("flow")
    appflow.create_flow(**s3_flow(name))
    with raises(appflow, "ConflictException", 409, name, "already exists"):
        appflow.create_flow(**scheduled_flow(name))


def test_unknown_or_mistyped_connector_profile(appflow):
    missing = unique("absent")
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.create_flow(**salesforce_flow(unique("flow"), missing))
    existing = unique("flow")
    appflow.create_flow(**s3_flow(existing))
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.update_flow(**salesforce_flow(existing, missing))

    marketo = unique("mk")
    appflow.create_connector_profile(**marketo_profile(marketo))
    with raises(appflow, "ValidationException", 400, marketo, "Marketo", "Salesforce"):
        appflow.create_flow(**salesforce_flow(unique("flow"), marketo))


def test_connector_roles_and_routes(appflow):
    redshift = unique("rs")
    appflow.create_connector_profile(**redshift_profile(redshift))
    source = {"connectorType": "Redshift", "connectorProfileName": redshift,
              "sourceConnectorProperties": {"S3": {"bucketName": "bucket"}}}
    with raises(appflow, "ValidationException", 400, "Redshift", "source"):
        appflow.create_flow(**s3_flow(unique("flow"), sourceFlowConfig=source))

    # Lookout for Metrics takes only its SaaS sources (S3 -> EventBridge is a Sluice addition).
    to_lookout = [{"connectorType": "LookoutMetrics", "destinationConnectorProperties": {"LookoutMetrics": {}}}]
    with raises(appflow, "ValidationException", 400, "S3", "LookoutMetrics"):
        appflow.create_flow(**s3_flow(unique("flow"), destinationFlowConfigList=to_lookout))

    mismatched = s3_source()
    mismatched["sourceConnectorProperties"] = {"Salesforce": {"object": "Account"}}
    with raises(appflow, "ValidationException", 400, "sourceConnectorProperties", "S3"):
        appflow.create_flow(**s3_flow(unique("flow"), sourceFlowConfig=mismatched))


def test_trigger_and_schedule_rules(appflow):
    with raises(appflow, "ValidationException", 400, "S3", "Event"):
        appflow.create_flow(**s3_flow(unique("flow"), triggerConfig={"triggerType": "Event"}))
    with raises(appflow, "ValidationException", 400, "Scheduled"):
        appflow.create_flow(**s3_flow(unique("flow"), triggerConfig={"triggerType": "Scheduled"}))
    with raises(appflow, "ValidationException", 400, "scheduleExpression", "every tuesday"):
        appflow.create_flow(**scheduled_flow(unique("flow"), "every tuesday"))
    with raises(appflow, "ValidationException", 400, "cron"):
        appflow.create_flow(**scheduled_flow(unique("flow"), "cron(0 12 * * *)"))

    marketo = unique("mk")
    appflow.create_connector_profile(**marketo_profile(marketo))
    with raises(appflow, "ValidationException", 400, "rate(5minutes)", "Marketo", "HOURLY"):
        appflow.create_flow(**marketo_flow(unique("flow"), marketo, triggerConfig=scheduled("rate(5minutes)")))
    assert appflow.create_flow(
        **marketo_flow(unique("flow"), marketo, triggerConfig=scheduled("rate(2hours)"))
    )["flowStatus"] == "Draft"

    ends_first = scheduled("rate(1days)")
    ends_first["triggerProperties"]["Scheduled"].update({
        "scheduleStartTime": datetime(2030, 1, 2, tzinfo=UTC), "scheduleEndTime": datetime(2030, 1, 1, tzinfo=UTC),
    })
    with raises(appflow, "ValidationException", 400, "scheduleEndTime"):
        appflow.create_flow(**s3_flow(unique("flow"), triggerConfig=ends_first))


def test_task_operator_rules(appflow):
    foreign = [{"sourceFields": [], "taskType": "Map_all", "connectorOperator": {"Salesforce": "NO_OP"}}]
    with raises(appflow, "ValidationException", 400, "tasks[0]", "Salesforce", "S3"):
        appflow.create_flow(**s3_flow(unique("flow"), tasks=foreign))

    wrong_for_task = [{"sourceFields": ["id"], "taskType": "Filter", "connectorOperator": {"S3": "ADDITION"}}]
    with raises(appflow, "ValidationException", 400, "tasks[0]", "ADDITION", "Filter"):
        appflow.create_flow(**s3_flow(unique("flow"), tasks=wrong_for_task))

    not_s3 = [{"sourceFields": ["id"], "taskType": "Filter", "connectorOperator": {"S3": "CONTAINS"}}]
    with raises(appflow, "ValidationException", 400, "tasks[0].connectorOperator.S3"):
        appflow.create_flow(**s3_flow(unique("flow"), tasks=not_s3))

    no_length = [{"sourceFields": ["name"], "taskType": "Truncate", "connectorOperator": {"S3": "NO_OP"},
                  "destinationField": "name"}]
    with raises(appflow, "ValidationException", 400, "TRUNCATE_LENGTH"):
        appflow.create_flow(**s3_flow(unique("flow"), tasks=no_length))


def test_model_constraints_name_the_field(server, appflow):
    with raises(appflow, "ValidationException", 400, "flowName"):
        appflow.create_flow(**s3_flow("-starts with a dash"))
    with raises(appflow, "ValidationException", 400, "description", "2048"):
        appflow.create_flow(**s3_flow(unique("flow"), description="x" * 2049))
    with raises(appflow, "ValidationException", 400, "flowName", "256"):
        appflow.create_flow(**s3_flow("f" * 257))
    with raises(appflow, "ValidationException", 400, "triggerConfig.triggerType"):
        unchecked_client(server).create_flow(**s3_flow(unique("flow"), triggerConfig={"triggerType": "Hourly"}))


def test_status_machine_of_a_scheduled_flow(appflow):
    name = unique("sched")
    assert appflow.create_flow(**scheduled_flow(name))["flowStatus"] == "Draft"
    with raises(appflow, "ConflictException", 409, name, "Draft"):
        appflow.stop_flow(flowName=name)

    started = appflow.start_flow(flowName=name)
    assert started["flowStatus"] == "Active"
    assert started.get("executionId") is None
    assert appflow.describe_flow(flowName=name)["flowStatus"] == "Active"
    assert appflow.describe_flow_execution_records(flowName=name)["flowExecutions"] == []
    with raises(appflow, "ConflictException", 409, name, "active"):
        appflow.start_flow(flowName=name)

    stopped = appflow.stop_flow(flowName=name)
    assert stopped["flowStatus"] == "Suspended"
    assert stopped["flowArn"].endswith(f":flow/{name}")
    assert appflow.describe_flow(flowName=name)["flowStatus"] == "Suspended"
    assert appflow.start_flow(flowName=name)["flowStatus"] == "Active"


def test_on_demand_flow_cannot_be_stopped(appflow):
    name = unique("flow")
    appflow.create_flow(**s3_flow(name))
    with raises(appflow, "UnsupportedOperationException", 400, name, "on demand"):
        appflow.stop_flow(flowName=name)
    missing = unique("absent")
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.stop_flow(flowName=missing)
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.start_flow(flowName=missing)


def test_flow_quota_is_service_quota_exceeded(start_sibling):
    client = start_sibling(SLUICE_MAX_FLOWS="1").client()
    client.create_flow(**s3_flow(unique("flow")))
    with raises(client, "ServiceQuotaExceededException", 402, "1", "quota"):
        client.create_flow(**s3_flow(unique("flow")))
