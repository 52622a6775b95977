"""cdk-appflow's 11 managed-connector stacks replayed over signed boto3, with no RegisterConnector.

Each stack's CreateConnectorProfile and CreateFlow requests (tests/integration/cdk_appflow_stacks.py)
are accepted and described back as sent; DescribeConnector / DescribeConnectors answer for every
label they use, ListConnectors does not list them (AppFlow lists only registered connectors there),
and RegisterConnector refuses a managed label. The JDBC stacks' profiles point at a real
PostgreSQL (`jdbc_database`), and their flows run: JDBC -> S3 and JDBC -> RDS for PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from sluice.connectors import managed
from tests.fakes.asana.server import FakeAsana
from tests.fakes.dynamics365.server import FakeDynamics365
from tests.fakes.github.server import stack_fake as github_fake
from tests.fakes.google_analytics4.server import FakeGoogleAnalytics4
from tests.fakes.hubspot.server import FakeHubSpot
from tests.fakes.mailchimp.server import FakeMailchimp
from tests.integration.builders import raises, register_connector, unique
from tests.integration.cdk_appflow_stacks import Database, Stack, stacks
from tests.support.flows import saas_server
from tests.support.postgres import PostgresServer
from tests.support.server import SluiceServer

STACK_NAMES = ["asana", "github", "ga4", "hubspot", "jdbc-rds", "jdbc-s3", "mailchimp", "dynamics", "sharepoint",
               "s3-hubspot", "sfmc"]


@pytest.fixture(scope="module")
def ga4() -> Iterator[FakeGoogleAnalytics4]:
    """Google for the GA4 stack: its data path checks the profile's OAuth client and reads field metadata."""
    with FakeGoogleAnalytics4.for_cdk_stack(events=50) as fake:
        yield fake


def dynamics_for_cdk_stack() -> FakeDynamics365:
    """A fake environment whose OAuth client and refresh token are those of cdk-appflow's Dynamics 365
    stack: the stack's access token is not one the fake issued, so the profile check renews it."""
    [stack] = [s for s in stacks("x") if s.name == "dynamics"]
    oauth = stack.profiles[0]["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["oauth2"]
    return FakeDynamics365(accounts=20, contacts=5, client_id=oauth["clientId"], client_secret=oauth["clientSecret"],
                           refresh_token=oauth["refreshToken"])


@pytest.fixture(scope="module")
def vendor_fakes() -> Iterator[dict[str, Any]]:
    """Fakes for every built label's stacks: each profile check asks the vendor (as AppFlow validates a
    connector's credentials). HubSpot's and Dynamics 365's know the stacks' OAuth clients and refresh
    tokens, so their placeholder access tokens are renewed at CreateConnectorProfile; the GitHub
    stack's own tokens are known to its fake GitHub."""
    with (FakeMailchimp(members=30, campaigns=5) as mailchimp, FakeAsana(tasks=20, projects=2) as asana,
          FakeHubSpot(records=20) as hubspot, dynamics_for_cdk_stack() as dynamics, github_fake() as github):
        yield {"Mailchimp": mailchimp, "Asana": asana, "HubSpot": hubspot, "MicrosoftDynamics365": dynamics,
               "GitHub": github}


@pytest.fixture(scope="module")
def sluice(tmp_path_factory: pytest.TempPathFactory, ga4: FakeGoogleAnalytics4,
           vendor_fakes: dict[str, Any]) -> Iterator[SluiceServer]:
    with saas_server(tmp_path_factory.mktemp("managed"), SLUICE_S3_BACKEND="local",
                     SLUICE_ENDPOINT_URL_GOOGLEANALYTICS4=ga4.url,
                     SLUICE_ENDPOINT_URL_ASANA=vendor_fakes["Asana"].url,
                     SLUICE_ENDPOINT_URL_HUBSPOT=vendor_fakes["HubSpot"].url,
                     SLUICE_ENDPOINT_URL_MICROSOFTDYNAMICS365=vendor_fakes["MicrosoftDynamics365"].url,
                     SLUICE_ENDPOINT_URL_GITHUB=vendor_fakes["GitHub"].url) as server:
        yield server


def at_fake(profile: dict[str, Any], vendor_fakes: dict[str, Any]) -> None:
    """A stack's profile with the fake's URL and credentials in place of the stand-ins."""
    config = profile["connectorProfileConfig"]
    custom = config["connectorProfileCredentials"]["CustomConnector"].get("custom") or {}
    if profile["connectorLabel"] == "Mailchimp":
        fake = vendor_fakes["Mailchimp"]
        config["connectorProfileProperties"]["CustomConnector"]["profileProperties"]["instanceUrl"] = fake.url
        custom["credentialsMap"]["api_key"] = fake.state.api_key
    elif profile["connectorLabel"] == "Asana":
        custom["credentialsMap"]["patToken"] = vendor_fakes["Asana"].state.pat


@pytest.fixture(scope="module")
def jdbc_database(postgres: PostgresServer) -> Database:
    """The JDBC stacks' database: a real PostgreSQL with the table their flow maps (username,
    password, created_on, email), so the same profiles serve the JDBC data path's runs."""
    name = postgres.create_database().rsplit("/", 1)[1]
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}", autocommit=True) as conn:
        conn.execute("CREATE TABLE public.users (id serial PRIMARY KEY, username text, password text, "
                     "created_on timestamptz, email text)")
        conn.execute("INSERT INTO public.users (username, password, created_on, email) SELECT 'user-' || i, "
                     "md5(i::text), '2024-01-01'::timestamptz + i * interval '1 day', 'user' || i || '@example.com' "
                     "FROM generate_series(1, 25) AS i")
    return Database(hostname="127.0.0.1", port=str(postgres.port), database=name, username="postgres",
                    password="trust-auth-ignores-it", schema="public", table="users")


@pytest.fixture(scope="module")
def replayed(sluice: SluiceServer, jdbc_database: Database, vendor_fakes: dict[str, Any]) -> dict[str, Stack]:
    """Every stack created once, in the order CloudFormation would (buckets, profiles, flow)."""
    client = sluice.client()
    created: dict[str, Stack] = {}
    for stack in stacks(unique("r"), db=jdbc_database, schedule_start=time.time() + 86_400):
        for bucket in stack.buckets:
            (sluice.data_dir / "s3" / bucket).mkdir(parents=True)
        for profile in stack.profiles:
            at_fake(profile, vendor_fakes)
            arn = client.create_connector_profile(**profile)["connectorProfileArn"]
            assert arn.endswith(f"connectorprofile/{profile['connectorProfileName']}")
        answer = client.create_flow(**stack.flow)
        assert answer["flowStatus"] in ("Active", "Draft"), answer
        created[stack.name] = stack
    return created


def test_all_eleven_stacks_are_replayed(replayed: dict[str, Stack]) -> None:
    assert list(replayed) == STACK_NAMES


def test_built_labels_checked_their_credentials_with_the_vendor(replayed: dict[str, Stack],
                                                                 vendor_fakes: dict[str, Any]) -> None:
    """CreateConnectorProfile asked each built label's vendor (as AppFlow validates a custom connector's
    credentials), renewing the stacks' placeholder access tokens with their refresh tokens."""
    hubspot, dynamics = vendor_fakes["HubSpot"], vendor_fakes["MicrosoftDynamics365"]
    assert hubspot.state.log.matching("/crm/v3/owners") and hubspot.state.auth.refreshes == 2  # two stacks
    assert dynamics.log.matching("/api/data/v9.2/WhoAmI") and dynamics.log.matching("/oauth2/v2.0/token")
    assert vendor_fakes["Mailchimp"].state.log.entries and vendor_fakes["Asana"].state.log.entries


@pytest.mark.parametrize("name", STACK_NAMES)
def test_profiles_describe_back_without_credentials(sluice: SluiceServer, replayed: dict[str, Stack],
                                                    name: str) -> None:
    client = sluice.client()
    for sent in replayed[name].profiles:
        [got] = client.describe_connector_profiles(
            connectorProfileNames=[sent["connectorProfileName"]])["connectorProfileDetails"]
        assert got["connectorType"] == "CustomConnector"
        assert got["connectorLabel"] == sent["connectorLabel"]
        sent_props = sent["connectorProfileConfig"]["connectorProfileProperties"]["CustomConnector"]
        got_props = got["connectorProfileProperties"]["CustomConnector"]
        for key, value in sent_props.items():
            assert got_props.get(key, {}) == value, key
        assert "connectorProfileCredentials" not in str(got)
        assert got["credentialsArn"].startswith("arn:aws:secretsmanager:")


@pytest.mark.parametrize("name", STACK_NAMES)
def test_flows_describe_back_as_sent(sluice: SluiceServer, replayed: dict[str, Stack], name: str) -> None:
    sent = replayed[name].flow
    got = sluice.client().describe_flow(flowName=sent["flowName"])
    assert got["sourceFlowConfig"]["connectorType"] == sent["sourceFlowConfig"]["connectorType"]
    assert got["sourceFlowConfig"]["sourceConnectorProperties"] == sent["sourceFlowConfig"]["sourceConnectorProperties"]
    assert got["sourceFlowConfig"].get("apiVersion") == sent["sourceFlowConfig"].get("apiVersion")
    for got_dest, sent_dest in zip(got["destinationFlowConfigList"], sent["destinationFlowConfigList"], strict=True):
        assert got_dest["destinationConnectorProperties"] == sent_dest["destinationConnectorProperties"]
        assert got_dest.get("connectorProfileName") == sent_dest.get("connectorProfileName")
    assert [t["taskType"] for t in got["tasks"]] == [t["taskType"] for t in sent["tasks"]]
    assert got["triggerConfig"]["triggerType"] == sent["triggerConfig"]["triggerType"]


def test_flow_listing_names_the_managed_labels(sluice: SluiceServer, replayed: dict[str, Stack]) -> None:
    flows = {f["flowName"]: f for f in sluice.client().list_flows(maxResults=100)["flows"]}
    assert flows[replayed["github"].flow["flowName"]]["sourceConnectorLabel"] == "GitHub"
    assert flows[replayed["s3-hubspot"].flow["flowName"]]["destinationConnectorLabel"] == "HubSpot"
    jdbc = flows[replayed["jdbc-rds"].flow["flowName"]]
    assert (jdbc["sourceConnectorLabel"], jdbc["destinationConnectorLabel"]) == ("JDBCsmall", "AmazonRDSPostgreSQL")


@pytest.mark.parametrize("label", sorted({label for s in stacks("x") for label in s.labels}))
def test_describe_connector_answers_each_label(sluice: SluiceServer, label: str) -> None:
    config = sluice.client().describe_connector(connectorType="CustomConnector",
                                                connectorLabel=label)["connectorConfiguration"]
    assert config == _without_none(managed.configuration(label))
    assert config["connectorLabel"] == label
    assert config["connectorProvisioningType"] == "LAMBDA"


def _without_none(value: Any) -> Any:
    return {k: v for k, v in value.items() if v is not None}


def test_describe_connectors_lists_managed_labels_but_list_connectors_does_not(sluice: SluiceServer) -> None:
    client = sluice.client()
    labels: list[str] = []
    token = None
    while True:
        page = client.describe_connectors(connectorTypes=["CustomConnector"], **({"nextToken": token} if token else {}))
        labels += [c["connectorLabel"] for c in page.get("connectors", [])]
        token = page.get("nextToken")
        if not token:
            break
    assert labels == list(managed.LABELS)
    listed = client.list_connectors()["connectors"]
    assert not {c.get("connectorLabel") for c in listed} & set(managed.LABELS)


def test_register_connector_refuses_a_managed_label(sluice: SluiceServer) -> None:
    client = sluice.client()
    with raises(client, "ConflictException", 409, "GitHub", "AWS managed"):
        client.register_connector(**register_connector("GitHub"))


def test_profile_checks_follow_the_declaration(sluice: SluiceServer) -> None:
    client = sluice.client()
    [asana] = [s for s in stacks(unique("bad")) if s.name == "asana"]
    wrong_scheme = asana.profiles[0]
    wrong_scheme["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["custom"][
        "customAuthenticationType"] = "api_key"
    with raises(client, "ValidationException", 400, "Asana", "PAT"):
        client.create_connector_profile(**wrong_scheme)
    [mailchimp] = [s for s in stacks(unique("bad")) if s.name == "mailchimp"]
    no_url = mailchimp.profiles[0]
    no_url["connectorProfileConfig"]["connectorProfileProperties"]["CustomConnector"]["profileProperties"] = {}
    with raises(client, "ValidationException", 400, "instanceUrl"):
        client.create_connector_profile(**no_url)
    [hubspot] = [s for s in stacks(unique("bad")) if s.name == "hubspot"]
    elsewhere = hubspot.profiles[0]
    elsewhere["connectorProfileConfig"]["connectorProfileProperties"]["CustomConnector"]["oAuth2Properties"][
        "tokenUrl"] = "https://tokens.example.com/oauth/token"
    with raises(client, "ValidationException", 400, "token URL"):
        client.create_connector_profile(**elsewhere)


def test_unbuilt_managed_source_run_ends_in_error(sluice: SluiceServer, replayed: dict[str, Stack]) -> None:
    """A run from a managed label whose data path is not built ends Error naming the label."""
    client = sluice.client()
    flow = replayed["sharepoint"].flow["flowName"]
    execution = client.start_flow(flowName=flow)["executionId"]
    record = _wait_for(client, flow, execution)
    assert record["executionStatus"] == "Error"
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    # With registry.spec_for resolving managed labels (see docs/connectors/managed.md) the message
    # is "data path for the managed connector MicrosoftSharePointOnline not built: ..."; either way it
    # names the label.
    assert "data path for the managed connector MicrosoftSharePointOnline not built" in message, message
    bucket = sluice.data_dir / "s3" / replayed["sharepoint"].buckets[0]
    assert [p for p in bucket.rglob("*") if p.is_file()] == []


def _wait_for(client: Any, flow: str, execution: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in client.describe_flow_execution_records(flowName=flow)["flowExecutions"]:
            if record["executionId"] == execution and record["executionStatus"] not in ("InProgress", "Pending"):
                return dict(record)
        time.sleep(0.2)
    raise AssertionError(f"run {execution} of {flow} did not finish")


def test_entity_metadata_of_an_unbuilt_label_names_the_missing_data_path(sluice: SluiceServer,
                                                                        replayed: dict[str, Stack]) -> None:
    client = sluice.client()
    label = "MicrosoftSharePointOnline"
    profile = replayed["sharepoint"].flow["sourceFlowConfig"]["connectorProfileName"]
    with raises(client, "ConnectorServerException", 400, f"data path for the managed connector {label} not built"):
        client.list_connector_entities(connectorProfileName=profile)
    with raises(client, "ConnectorServerException", 400, label):
        client.describe_connector_entity(connectorProfileName=profile, connectorEntityName="sites")


def test_update_connector_profile_is_checked_the_same_way(sluice: SluiceServer, replayed: dict[str, Stack]) -> None:
    client = sluice.client()
    [sent] = replayed["mailchimp"].profiles
    name = sent["connectorProfileName"]
    moved = {"connectorProfileProperties": {"CustomConnector": {
        "profileProperties": {"instanceUrl": "https://us22.api.mailchimp.com"}}}}
    client.update_connector_profile(connectorProfileName=name, connectionMode="Public", connectorProfileConfig=moved)
    [got] = client.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"]
    properties = got["connectorProfileProperties"]["CustomConnector"]["profileProperties"]
    assert properties == {"instanceUrl": "https://us22.api.mailchimp.com"}
    with raises(client, "ValidationException", 400, "instanceUrl"):
        client.update_connector_profile(connectorProfileName=name, connectionMode="Public", connectorProfileConfig={
            "connectorProfileProperties": {"CustomConnector": {"profileProperties": {}}}})


def test_the_jdbc_stacks_run_against_the_real_database(sluice: SluiceServer, replayed: dict[str, Stack],
                                                       jdbc_database: Database, postgres: PostgresServer) -> None:
    """ondemand-jdbcsmalldatascale-to-s3 and -to-amazonrdsforpostgresql, run as the CDK defines them."""
    client = sluice.client()
    dsn = f"postgresql://postgres@127.0.0.1:{postgres.port}/{jdbc_database.database}"
    with psycopg.connect(dsn) as conn:
        before = conn.execute("SELECT count(*) FROM public.users").fetchone()
    assert before == (25,)
    to_s3 = replayed["jdbc-s3"]
    flow = to_s3.flow["flowName"]
    record = _wait_for(client, flow, client.start_flow(flowName=flow)["executionId"])
    assert record["executionStatus"] == "Successful", record
    bucket = sluice.data_dir / "s3" / to_s3.buckets[0]
    rows = [json.loads(line) for f in sorted(bucket.rglob("*")) if f.is_file() and ".sluice-staging" not in f.parts
            for line in f.read_text().splitlines() if line]
    assert sorted(r["username"] for r in rows) == sorted(f"user-{i}" for i in range(1, 26))
    # The RDS stack reads public.users through JDBCsmall and INSERTs the projected columns into the
    # same table through AmazonRDSPostgreSQL (the CDK names one schema.table for both): ids are new.
    to_rds = replayed["jdbc-rds"].flow["flowName"]
    record = _wait_for(client, to_rds, client.start_flow(flowName=to_rds)["executionId"])
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["recordsProcessed"] == 25
    with psycopg.connect(dsn) as conn:
        counts = conn.execute("SELECT count(*), count(DISTINCT username) FROM public.users").fetchone()
    assert counts == (50, 25)


def test_an_update_keeping_the_credentials_does_not_call_the_vendor(sluice: SluiceServer, replayed: dict[str, Stack],
                                                                    vendor_fakes: dict[str, Any]) -> None:
    """Only the declaration's checks run when an update sends no credentials: there is nothing new to test."""
    [sent] = replayed["hubspot"].profiles
    hubspot = vendor_fakes["HubSpot"]
    before = len(hubspot.state.log.entries)
    properties = sent["connectorProfileConfig"]["connectorProfileProperties"]
    sluice.client().update_connector_profile(connectorProfileName=sent["connectorProfileName"], connectionMode="Public",
                                             connectorProfileConfig={"connectorProfileProperties": properties})
    assert len(hubspot.state.log.entries) == before
