"""The connector catalog and entity metadata over signed boto3.

DescribeConnectors / DescribeConnector / ListConnectors read the catalog; ListConnectorEntities /
DescribeConnectorEntity / ResetConnectorMetadataCache are exercised on S3 against moto, through a
dedicated server whose environment points S3 at moto (the server is a subprocess).
"""

from __future__ import annotations

import boto3
import botocore.session
import pytest

from tests.integration.builders import (
    raises,
    register_connector,
    s3_flow,
    s3_source,
    unbuilt_managed_profile,
    unchecked_client,
    unique,
)

pytestmark = pytest.mark.usefixtures("server_log_stays_clean")

CONNECTOR_TYPES = botocore.session.get_session().get_service_model("appflow").shape_for("ConnectorType").enum
BUILT_IN = [t for t in CONNECTOR_TYPES if t != "CustomConnector"]
MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


# -- catalog -------------------------------------------------------------------------------
def test_describe_connectors_lists_every_type_of_the_enum(appflow):
    assert len(CONNECTOR_TYPES) == 24
    configs = appflow.describe_connectors()["connectorConfigurations"]
    assert set(configs) == set(CONNECTOR_TYPES)
    assert configs["S3"]["canUseAsSource"] and configs["S3"]["canUseAsDestination"]
    assert configs["Redshift"]["canUseAsDestination"] and not configs["Redshift"]["canUseAsSource"]
    assert "Event" in configs["Salesforce"]["supportedTriggerTypes"]


def test_describe_connectors_paginates(appflow):
    seen: list[str] = []
    kwargs: dict = {"maxResults": 10}
    pages = 0
    while True:
        page = appflow.describe_connectors(**kwargs)
        pages += 1
        assert len(page["connectorConfigurations"]) <= 10
        seen += list(page["connectorConfigurations"])
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert pages >= 3
    assert sorted(seen) == sorted(CONNECTOR_TYPES)


def test_describe_connectors_filters_and_validates(server, appflow):
    configs = appflow.describe_connectors(connectorTypes=["S3", "Marketo"])["connectorConfigurations"]
    assert set(configs) == {"S3", "Marketo"}
    token = appflow.describe_connectors(maxResults=1)["nextToken"]
    with raises(appflow, "ValidationException", 400, "nextToken"):
        appflow.describe_connectors(connectorTypes=["S3", "Marketo"], nextToken=token)
    unchecked = unchecked_client(server)
    with raises(appflow, "ValidationException", 400, "connectorTypes"):
        unchecked.describe_connectors(connectorTypes=["Gopher"])
    with raises(appflow, "ValidationException", 400, "maxResults"):
        unchecked.describe_connectors(maxResults=0)


@pytest.mark.parametrize("connector_type", BUILT_IN)
def test_describe_connector_for_each_type(appflow, connector_type):
    config = appflow.describe_connector(connectorType=connector_type)["connectorConfiguration"]
    assert config["connectorType"] == connector_type
    assert config["canUseAsSource"] or config["canUseAsDestination"]
    if config["canUseAsSource"]:
        assert "OnDemand" in config["supportedTriggerTypes"]
        assert config["supportedDestinationConnectors"]


def test_describe_custom_connector_needs_a_registered_label(appflow):
    with raises(appflow, "ValidationException", 400, "connectorLabel"):
        appflow.describe_connector(connectorType="CustomConnector")
    missing = unique("absent")
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.describe_connector(connectorType="CustomConnector", connectorLabel=missing)
    label = unique("conn")
    arn = appflow.register_connector(**register_connector(label))["connectorArn"]
    config = appflow.describe_connector(connectorType="CustomConnector", connectorLabel=label)["connectorConfiguration"]
    assert (config["connectorLabel"], config["connectorArn"], config["connectorVersion"]) == (label, arn, "1")


def test_list_connectors_lists_only_registered_custom_connectors(server, appflow):
    labels = [unique("conn") for _ in range(3)]
    for label in labels:
        appflow.register_connector(**register_connector(label))

    found: dict[str, dict] = {}
    kwargs: dict = {"maxResults": 2}
    while True:
        page = appflow.list_connectors(**kwargs)
        assert len(page["connectors"]) <= 2
        found.update({c["connectorLabel"]: c for c in page["connectors"]})
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert set(labels) <= found.keys()
    assert {c["connectorType"] for c in found.values()} == {"CustomConnector"}
    detail = found[labels[0]]
    assert detail["connectorProvisioningType"] == "LAMBDA"
    assert detail["connectorVersion"] == "1"
    assert detail["registeredBy"].startswith("arn:aws:iam::")
    with raises(appflow, "ValidationException", 400, "maxResults"):
        unchecked_client(server).list_connectors(maxResults=101)
    with raises(appflow, "ValidationException", 400, "nextToken"):
        appflow.list_connectors(nextToken="bm90LWEtdG9rZW4")


# -- entity metadata without S3 ------------------------------------------------------------
def test_metadata_requests_need_a_profile_or_type(appflow):
    with raises(appflow, "ValidationException", 400, "connectorProfileName", "connectorType"):
        appflow.list_connector_entities()
    with raises(appflow, "ValidationException", 400, "Salesforce", "connectorProfileName"):
        appflow.list_connector_entities(connectorType="Salesforce")
    with raises(appflow, "ValidationException", 400, "connectorProfileName", "connectorType"):
        appflow.reset_connector_metadata_cache()
    with raises(appflow, "ValidationException", 400, "Salesforce", "connectorProfileName"):
        appflow.reset_connector_metadata_cache(connectorType="Salesforce")
    missing = unique("absent")
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.list_connector_entities(connectorProfileName=missing)
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.describe_connector_entity(connectorEntityName="Account", connectorProfileName=missing)
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.reset_connector_metadata_cache(connectorProfileName=missing)


def test_connector_without_a_data_path_says_so(appflow):
    profile = unique("aftership")
    appflow.create_connector_profile(**unbuilt_managed_profile(profile))
    with raises(appflow, "ConnectorServerException", 400, "AfterShip", "not built"):
        appflow.list_connector_entities(connectorProfileName=profile)
    with raises(appflow, "ConnectorServerException", 400, "AfterShip", "not built"):
        appflow.describe_connector_entity(connectorEntityName="projects", connectorProfileName=profile)
    with raises(appflow, "ValidationException", 400, profile, "CustomConnector", "S3"):
        appflow.list_connector_entities(connectorProfileName=profile, connectorType="S3")
    with raises(appflow, "ValidationException", 400, profile, "CustomConnector", "S3"):
        appflow.reset_connector_metadata_cache(connectorProfileName=profile, connectorType="S3")
    appflow.reset_connector_metadata_cache(connectorProfileName=profile)


# -- entity metadata on S3 (moto) ----------------------------------------------------------
@pytest.fixture(scope="module")
def s3_server(start_sibling, moto_s3):
    """A Sluice server whose S3 connector talks to moto."""
    return start_sibling(AWS_ENDPOINT_URL_S3=moto_s3, **MOTO_KEYS)


@pytest.fixture(scope="module")
def s3(moto_s3):
    """A boto3 S3 client on moto."""
    return boto3.client(
        "s3", endpoint_url=moto_s3, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


@pytest.fixture
def bucket(s3):
    """A fresh bucket holding `orders.csv` and a folder."""
    name = unique("bucket")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="orders.csv", Body=b"id,customer,amount\n1,ada,9.5\n")
    s3.put_object(Bucket=name, Key="archive/2024.csv", Body=b"id\n1\n")
    s3.put_object(Bucket=name, Key="notes.txt", Body=b"not data")
    return name


def names(listing, key):
    return sorted(e["name"] for e in listing["connectorEntityMap"][key])


def test_list_s3_buckets_and_objects(s3_server, bucket):
    client = s3_server.client()
    buckets = client.list_connector_entities(connectorType="S3")
    assert bucket in names(buckets, "Objects")

    listing = client.list_connector_entities(connectorType="S3", entitiesPath=bucket)
    assert names(listing, bucket) == [f"{bucket}/archive", f"{bucket}/orders.csv"]
    by_name = {e["name"]: e for e in listing["connectorEntityMap"][bucket]}
    assert by_name[f"{bucket}/archive"]["hasNestedEntities"] is True
    assert by_name[f"{bucket}/orders.csv"]["hasNestedEntities"] is False
    nested = client.list_connector_entities(connectorType="S3", entitiesPath=f"{bucket}/archive")
    assert names(nested, f"{bucket}/archive") == [f"{bucket}/archive/2024.csv"]


def test_describe_s3_csv_entity(s3_server, bucket):
    client = s3_server.client()
    fields = client.describe_connector_entity(connectorType="S3", connectorEntityName=f"{bucket}/orders.csv")
    assert [f["identifier"] for f in fields["connectorEntityFields"]] == ["id", "customer", "amount"]
    details = fields["connectorEntityFields"][0]["supportedFieldTypeDetails"]["v1"]
    assert details["fieldType"] == "String"
    assert "EQUAL_TO" in details["filterOperators"]


def test_s3_listing_is_cached_until_reset(s3_server, s3, bucket):
    client = s3_server.client()
    before = names(client.list_connector_entities(connectorType="S3", entitiesPath=bucket), bucket)
    s3.put_object(Bucket=bucket, Key="new.csv", Body=b"a,b\n1,2\n")
    still = names(client.list_connector_entities(connectorType="S3", entitiesPath=bucket), bucket)
    assert still == before

    client.reset_connector_metadata_cache(connectorType="S3", entitiesPath=bucket)
    after = names(client.list_connector_entities(connectorType="S3", entitiesPath=bucket), bucket)
    assert after == sorted([*before, f"{bucket}/new.csv"])


def test_s3_entity_fields_are_cached_until_reset(s3_server, s3, bucket):
    client = s3_server.client()
    entity = f"{bucket}/orders.csv"

    def fields():
        described = client.describe_connector_entity(connectorType="S3", connectorEntityName=entity)
        return [f["identifier"] for f in described["connectorEntityFields"]]

    assert fields() == ["id", "customer", "amount"]
    s3.put_object(Bucket=bucket, Key="orders.csv", Body=b"order_id,total\n1,2\n")
    assert fields() == ["id", "customer", "amount"]
    client.reset_connector_metadata_cache(connectorType="S3", connectorEntityName=entity)
    assert fields() == ["order_id", "total"]

    s3.put_object(Bucket=bucket, Key="orders.csv", Body=b"only\n1\n")
    client.reset_connector_metadata_cache(connectorType="S3")  # the whole S3 cache
    assert fields() == ["only"]


def test_s3_errors(s3_server, s3, bucket):
    client = s3_server.client()
    missing = unique("nobucket")
    with raises(client, "ResourceNotFoundException", 404, missing):
        client.list_connector_entities(connectorType="S3", entitiesPath=missing)
    with raises(client, "ResourceNotFoundException", 404, f"{bucket}/absent.csv"):
        client.describe_connector_entity(connectorType="S3", connectorEntityName=f"{bucket}/absent.csv")
    s3.put_object(Bucket=bucket, Key="empty.csv", Body=b"")
    with raises(client, "ValidationException", 400, f"{bucket}/empty.csv", "empty"):
        client.describe_connector_entity(connectorType="S3", connectorEntityName=f"{bucket}/empty.csv")


def test_s3_without_credentials_is_connector_authentication(start_sibling, moto_s3):
    no_credentials = start_sibling(
        AWS_ENDPOINT_URL_S3=moto_s3, AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_CONFIG_FILE="/nonexistent", AWS_EC2_METADATA_DISABLED="true",
    )
    client = no_credentials.client()
    with raises(client, "ConnectorAuthenticationException", 401, "credentials"):
        client.list_connector_entities(connectorType="S3")
    with raises(client, "ConnectorAuthenticationException", 401, "credentials"):
        client.describe_connector_entity(connectorType="S3", connectorEntityName="bucket/file.csv")


def test_s3_listing_paginates(s3_server, s3):
    client = s3_server.client()
    name = unique("bucket")
    s3.create_bucket(Bucket=name)
    keys = [f"part-{i}.csv" for i in range(5)]
    for key in keys:
        s3.put_object(Bucket=name, Key=key, Body=b"id\n1\n")

    seen: list[str] = []
    kwargs: dict = {"connectorType": "S3", "entitiesPath": name, "maxResults": 2}
    pages = 0
    while True:
        page = client.list_connector_entities(**kwargs)
        pages += 1
        assert len(page["connectorEntityMap"][name]) <= 2
        seen += [e["name"] for e in page["connectorEntityMap"][name]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert pages == 3
    assert seen == [f"{name}/{key}" for key in keys]


def test_create_flow_checks_task_fields_against_the_source_entity(s3_server, s3, bucket):
    """When the source can be described, a task naming a field the entity lacks is refused."""
    client = s3_server.client()
    s3.put_object(Bucket=bucket, Key="daily/2024-01-01.csv", Body=b"id,customer,amount\n1,ada,9.5\n")
    source = s3_source(bucket, "daily")
    good = [{"sourceFields": ["id", "amount"], "connectorOperator": {"S3": "PROJECTION"}, "taskType": "Filter"},
            {"sourceFields": ["id"], "connectorOperator": {"S3": "NO_OP"}, "taskType": "Map",
             "destinationField": "id"}]
    client.create_flow(**s3_flow(unique("fields-ok"), sourceFlowConfig=source, tasks=good))
    bad = [*good, {"sourceFields": ["colour"], "connectorOperator": {"S3": "NO_OP"}, "taskType": "Map",
                   "destinationField": "colour"}]
    with raises(client, "ValidationException", 400, "tasks[2].sourceFields", "colour", "customer"):
        client.create_flow(**s3_flow(unique("fields-bad"), sourceFlowConfig=source, tasks=bad))
    # A source with no data yet cannot be described: the fields are checked when the run reads it.
    client.create_flow(**s3_flow(unique("fields-later"), sourceFlowConfig=s3_source(bucket, "not-yet"), tasks=bad))
