"""The AppFlow API requests that cdk-appflow's 11 managed-connector integration stacks make.

Transcribed from the CloudFormation snapshots of cdklabs/cdk-appflow
(`test/integ/<stack>.integ.snapshot/TestStack.template.json`): each `AWS::AppFlow::ConnectorProfile`
becomes the CreateConnectorProfile request CloudFormation sends, each `AWS::AppFlow::Flow` the
CreateFlow request (CloudFormation's PascalCase properties in the API's camelCase, `TaskProperties`
lists as maps, `TriggerProperties` under `Scheduled`). Values the stacks resolve from Secrets
Manager (`{{resolve:secretsmanager:...}}`) are replaced by realistic stand-ins; everything else is
as the snapshots have it, including the constructs' `dummyAccessToken` and empty
`profileProperties` / `customProperties` maps. Names get a per-stack suffix so the stacks can share
one account (CloudFormation derives them from the stack, and every snapshot's stack is `TestStack`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CUSTOM = "CustomConnector"


@dataclass(frozen=True)
class Database:
    """Where the JDBC stacks' database is (the stacks read these from their secret)."""

    hostname: str = "db.example.com"
    port: str = "5432"
    database: str = "appflow"
    username: str = "appflow"
    password: str = "appflow-password-0000"
    schema: str = "public"
    table: str = "users"


@dataclass
class Stack:
    """One integration stack: its profiles, its flow and the buckets the flow names."""

    name: str
    profiles: list[dict[str, Any]]
    flow: dict[str, Any]
    buckets: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def _profile(name: str, label: str, credentials: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "connectorProfileName": name, "connectorType": CUSTOM, "connectorLabel": label, "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {CUSTOM: properties},
            "connectorProfileCredentials": {CUSTOM: credentials},
        },
    }


def _oauth2(**values: str) -> dict[str, Any]:
    return {"authenticationType": "OAUTH2", "oauth2": values}


def _custom(kind: str, **values: str) -> dict[str, Any]:
    return {"authenticationType": "CUSTOM", "custom": {"customAuthenticationType": kind, "credentialsMap": values}}


def _oauth_properties(token_url: str, grant: str = "AUTHORIZATION_CODE", **extra: Any) -> dict[str, Any]:
    return {"oAuth2Properties": {"oAuth2GrantType": grant, "tokenUrl": token_url}, **extra}


MAP_ALL = [{"connectorOperator": {CUSTOM: "NO_OP"}, "sourceFields": [], "taskType": "Map_all",
            "taskProperties": {"EXCLUDE_SOURCE_FIELDS_LIST": "[]"}}]
GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"
HUBSPOT_TOKEN = "https://api.hubapi.com/oauth/v1/token"


def _to_s3(name: str, profile: str, api_version: str, entity: str, bucket: str, tasks: list[dict[str, Any]],
           source_extra: dict[str, Any] | None = None, s3_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {
            "connectorType": CUSTOM, "apiVersion": api_version, "connectorProfileName": profile,
            "sourceConnectorProperties": {CUSTOM: {"entityName": entity, **(source_extra or {})}},
        },
        "destinationFlowConfigList": [{
            "connectorType": "S3", "destinationConnectorProperties": {"S3": {"bucketName": bucket, **(s3_extra or {})}},
        }],
        "tasks": tasks,
    }


def _single_json() -> dict[str, Any]:
    return {"s3OutputFormatConfig": {"aggregationConfig": {"aggregationType": "SingleFile"}, "fileType": "JSON"}}


def _map(field_name: str, **properties: str) -> dict[str, Any]:
    return {"connectorOperator": {CUSTOM: "NO_OP"}, "destinationField": field_name, "sourceFields": [field_name],
            "taskProperties": properties, "taskType": "Map"}


def _jdbc_credentials(db: Database, driver: str) -> dict[str, Any]:
    return _custom("CUSTOM", username=db.username, password=db.password, driver=driver, hostname=db.hostname,
                   port=db.port, database=db.database)


def stacks(suffix: str, db: Database | None = None, schedule_start: float = 0.0) -> list[Stack]:
    """The 11 stacks' requests; `suffix` keeps names unique, `db` says where the JDBC database is,
    `schedule_start` is the scheduled stack's start time (epoch seconds; CloudFormation's updater
    moves the snapshot's 2024-01-01 to the future)."""
    db = db or Database()
    out: list[Stack] = []

    def names(stack: str) -> tuple[str, str, str]:
        return f"{stack}-profile-{suffix}", f"{stack}-flow-{suffix}", f"{stack}-bucket-{suffix}".lower()

    # ondemand-asana-to-s3: a personal access token (custom scheme PAT).
    profile, flow, bucket = names("asana")
    out.append(Stack("asana", [_profile(profile, "Asana", _custom("PAT", patToken="asana-pat-0000"),
                                        {"profileProperties": {}})],
                     _to_s3(flow, profile, "1.0", "projects", bucket, MAP_ALL), [bucket], ["Asana"]))

    # ondemand-github-to-s3: a personal-access-token profile (unused by the flow) and an OAuth one.
    profile, flow, bucket = names("github")
    basic = f"github-basic-{suffix}"
    out.append(Stack("github", [
        _profile(basic, "GitHub", _custom("BasicAuthPersonalAccessToken", username="octocat",
                                          personalAccessToken="ghp_example0000"), {}),
        _profile(profile, "GitHub", _oauth2(accessToken="gho_example0000"),
                 _oauth_properties("https://github.com/login/oauth/access_token")),
    ], _to_s3(flow, profile, "v3", "issues", bucket, MAP_ALL), [bucket], ["GitHub"]))

    # ondemand-googleanalytics4-to-s3: refresh-token grant with the constructs' placeholder access token.
    profile, flow, bucket = names("ga4")
    ga4_tasks = [{"connectorOperator": {CUSTOM: "PROJECTION"}, "sourceFields": ["achievementId", "adFormat",
                                                                               "adSourceName"], "taskType": "Filter"}]
    ga4_tasks += [_map(f, SOURCE_DATA_TYPE="String", DESTINATION_DATA_TYPE="String")
                  for f in ("achievementId", "adFormat", "adSourceName")]
    out.append(Stack("ga4", [_profile(profile, "GoogleAnalytics4", _oauth2(
        accessToken="dummyAccessToken", clientId="ga4-client.apps.googleusercontent.com", clientSecret="ga4-secret",
        refreshToken="ga4-refresh-0000"), _oauth_properties(GOOGLE_TOKEN))],
        _to_s3(flow, profile, "v1beta", "properties/123456789/coreReport", bucket, ga4_tasks), [bucket],
        ["GoogleAnalytics4"]))

    # ondemand-hubspot-to-s3: CRM association labels, v4.
    profile, flow, bucket = names("hubspot")
    hubspot_creds = _oauth2(accessToken="dummyAccessToken", clientId="hubspot-client", clientSecret="hubspot-secret",
                            refreshToken="hubspot-refresh-0000")
    out.append(Stack("hubspot", [_profile(profile, "HubSpot", hubspot_creds, _oauth_properties(HUBSPOT_TOKEN))],
                     _to_s3(flow, profile, "v4", "association_label/ticket/contact", bucket, MAP_ALL), [bucket],
                     ["HubSpot"]))

    # ondemand-jdbcsmalldatascale-to-amazonrdsforpostgresql: JDBC source, RDS for PostgreSQL destination.
    source, flow, _ = names("jdbc-rds-source")
    target = f"jdbc-rds-target-{suffix}"
    entity = f"{db.schema}.{db.table}"
    columns = ["username", "password", "created_on", "email"]
    jdbc_rds_tasks = [{"connectorOperator": {CUSTOM: "PROJECTION"}, "sourceFields": columns, "taskType": "Filter"}]
    jdbc_rds_tasks += [_map(c) for c in columns]
    out.append(Stack("jdbc-rds", [
        _profile(source, "JDBCsmall", _jdbc_credentials(db, "postgresql"), {"profileProperties": {}}),
        _profile(target, "AmazonRDSPostgreSQL", _jdbc_credentials(db, "postgresql"), {"profileProperties": {}}),
    ], {
        "flowName": flow,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": CUSTOM, "apiVersion": "V1", "connectorProfileName": source,
                             "sourceConnectorProperties": {CUSTOM: {"entityName": entity}}},
        "destinationFlowConfigList": [{
            "connectorType": CUSTOM, "apiVersion": "1.0", "connectorProfileName": target,
            "destinationConnectorProperties": {CUSTOM: {"entityName": entity, "writeOperationType": "INSERT"}},
        }],
        "tasks": jdbc_rds_tasks,
    }, [], ["JDBCsmall", "AmazonRDSPostgreSQL"]))

    # ondemand-jdbcsmalldatascale-to-s3.
    profile, flow, bucket = names("jdbc-s3")
    out.append(Stack("jdbc-s3", [_profile(profile, "JDBCsmall", _jdbc_credentials(db, "postgresql"),
                                          {"profileProperties": {}})],
                     _to_s3(flow, profile, "V1", entity, bucket, MAP_ALL), [bucket], ["JDBCsmall"]))

    # ondemand-mailchimp-to-s3: the custom api_key scheme and the account's API URL.
    profile, flow, bucket = names("mailchimp")
    out.append(Stack("mailchimp", [_profile(profile, "Mailchimp", _custom("api_key", api_key="0000-us21"),
                                            {"profileProperties": {"instanceUrl": "https://us21.api.mailchimp.com"}})],
                     _to_s3(flow, profile, "3.0", "campaigns", bucket, MAP_ALL), [bucket], ["Mailchimp"]))

    # ondemand-microsoftdynamics365-to-s3: the `common` tenant's token URL, single JSON file output.
    profile, flow, bucket = names("dynamics")
    out.append(Stack("dynamics", [_profile(profile, "MicrosoftDynamics365", _oauth2(
        accessToken="dynamics-access-0000", clientId="dynamics-client", clientSecret="dynamics-secret",
        refreshToken="dynamics-refresh-0000"), _oauth_properties(
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        profileProperties={"instanceUrl": "https://contoso.crm.dynamics.com"}))],
        _to_s3(flow, profile, "v9.2", "accounts", bucket, MAP_ALL, {"customProperties": {}}, _single_json()),
        [bucket], ["MicrosoftDynamics365"]))

    # ondemand-microsoftsharepointonline-to-s3: a site, and its drives as the subEntities custom property.
    profile, flow, bucket = names("sharepoint")
    out.append(Stack("sharepoint", [_profile(profile, "MicrosoftSharePointOnline", _oauth2(
        accessToken="sharepoint-access-0000", refreshToken="sharepoint-refresh-0000"), _oauth_properties(
        "https://login.microsoftonline.com/8f3c2a1e-0000-4000-8000-000000000000/oauth2/v2.0/token"))],
        _to_s3(flow, profile, "v1.0", "sites/contoso.sharepoint.com,site-id,web-id", bucket, MAP_ALL,
               {"customProperties": {"subEntities": '["drives/b!drive-id"]'}}, _single_json()),
        [bucket], ["MicrosoftSharePointOnline"]))

    # ondemand-s3-to-hubspot: HubSpot as a destination, with an error bucket.
    profile, flow, bucket = names("s3-hubspot")
    out.append(Stack("s3-hubspot", [_profile(profile, "HubSpot", hubspot_creds, _oauth_properties(HUBSPOT_TOKEN))], {
        "flowName": flow,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": bucket, "bucketPrefix": "hubspot", "s3InputFormatConfig": {"s3InputFileType": "JSON"}}}},
        "destinationFlowConfigList": [{
            "connectorType": CUSTOM, "apiVersion": "v3", "connectorProfileName": profile,
            "destinationConnectorProperties": {CUSTOM: {
                "entityName": "company", "writeOperationType": "INSERT",
                "errorHandlingConfig": {"bucketName": bucket, "bucketPrefix": "error"}}},
        }],
        "tasks": [{"connectorOperator": {"S3": "NO_OP"}, "sourceFields": [], "taskType": "Map_all",
                   "taskProperties": {"EXCLUDE_SOURCE_FIELDS_LIST": "[]"}}],
    }, [bucket], ["HubSpot"]))

    # onschedule-salesforce-marketing-cloud-to-s3: client credentials, an incremental daily schedule,
    # projection, map, mask and validation tasks.
    profile, flow, bucket = names("sfmc")
    sfmc_tasks = [
        {"connectorOperator": {CUSTOM: "PROJECTION"}, "sourceFields": ["Name"], "taskType": "Filter"},
        _map("Name", SOURCE_DATA_TYPE="String", DESTINATION_DATA_TYPE="string"),
        {"connectorOperator": {CUSTOM: "MASK_ALL"}, "sourceFields": ["Name"], "taskType": "Mask",
         "taskProperties": {"MASK_LENGTH": "5", "MASK_VALUE": "*"}},
        {"connectorOperator": {CUSTOM: "VALIDATE_NON_NULL"}, "sourceFields": ["Name"], "taskType": "Validate",
         "taskProperties": {"VALIDATION_ACTION": "DropRecord"}},
    ]
    sfmc_flow = _to_s3(flow, profile, "v1", "Email", bucket, sfmc_tasks)
    sfmc_flow["triggerConfig"] = {"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
        "scheduleExpression": "cron(1 1 * * ? *)", "dataPullMode": "Incremental",
        "scheduleStartTime": schedule_start}}}
    out.append(Stack("sfmc", [_profile(profile, "SalesforceMarketingCloud", _oauth2(
        clientId="sfmc-client", clientSecret="sfmc-secret"), _oauth_properties(
        "https://mc0000example.auth.marketingcloudapis.com/v2/token", "CLIENT_CREDENTIALS",
        profileProperties={"instanceUrl": "https://mc0000example.rest.marketingcloudapis.com"}))],
        sfmc_flow, [bucket], ["SalesforceMarketingCloud"]))
    return out
