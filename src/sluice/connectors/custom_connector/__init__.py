"""Custom connectors (connectors layer): the catalog entry behind every registered connector.

A registered connector (`RegisterConnector`) answers `DescribeConnector` with its own
configuration, built from its Lambda's self-description; this entry is what `DescribeConnectors`
says about the type as a whole: either role, every `Operators` value (the model's
`ConnectorOperator.CustomConnector` member is the whole enum), every write operation and every
authentication scheme the custom-connector SDK offers.
"""

from collections.abc import Mapping
from typing import Any

from sluice.connectors.aws_identity import AwsIdentity
from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)
from sluice.connectors.lazy import lazy

CONNECTOR_TYPE = "CustomConnector"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Custom connector",
    description="Connectors registered with the Amazon AppFlow Custom Connector SDK",
    # ConnectorMetadata has no CustomConnector member.
    metadata={},
    source=True,
    destination=True,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=(
        "PROJECTION",
        "LESS_THAN",
        "GREATER_THAN",
        "CONTAINS",
        "BETWEEN",
        "LESS_THAN_OR_EQUAL_TO",
        "GREATER_THAN_OR_EQUAL_TO",
        "EQUAL_TO",
        "NOT_EQUAL_TO",
        *TASK_OPERATORS,
    ),
    write_operations=("INSERT", "UPSERT", "UPDATE", "DELETE"),
    authentication_config=authentication(basic=True, api_key=True, oauth2=True, custom=True),
    transfer_types=("RECORD", "FILE"),
)

DESCRIBE_TIMEOUT = 30.0


def describe_lambda(
    lambda_arn: str, env: Mapping[str, str] | None = None, aws: AwsIdentity | None = None, *,
    account_id: str | None = None, default_account: bool = False,
) -> dict[str, Any]:
    """The AppFlow `ConnectorConfiguration` a connector's Lambda gives for itself.

    Sends the SDK's `DescribeConnectorConfigurationRequest` through the real Lambda Invoke API, or
    to the local handler the ARN is linked to for `account_id` (`sluice connectors link`), else as
    the registering account's AWS identity `aws` may (`invoke.lambda_identity`). ConnectorError when
    the function may not be invoked, cannot be reached, fails, or answers something that is not a
    configuration.
    """
    from sluice.connectors.custom_connector import sdk
    from sluice.connectors.custom_connector.invoke import invoker_for
    from sluice.connectors.custom_connector.limits import call_timeout

    invoker = invoker_for(lambda_arn, env, aws=aws, account_id=account_id, default_account=default_account)
    answer = invoker.invoke(sdk.describe_configuration_request(), timeout=call_timeout(DESCRIBE_TIMEOUT))
    return sdk.connector_configuration(sdk.check(answer, "DescribeConnectorConfiguration"))


def check_invocable(
    lambda_arn: str, aws: AwsIdentity | None, data_dir: str | None = None, *,
    account_id: str | None = None, default_account: bool = False,
) -> None:
    """`ConnectorError("InvalidArgument")` unless an account with identity `aws` may run `lambda_arn`.

    A function the operator linked to a local handler for this account (`sluice connectors link
    --account`) is allowed; any other goes through `invoke.lambda_identity` (operator allow-list
    or the account's own AWS identity).
    """
    from sluice.connectors.custom_connector import links
    from sluice.connectors.custom_connector.invoke import lambda_identity

    links.parse_arn(lambda_arn)
    linked = account_id is not None and links.target_for(
        lambda_arn, account_id, default_account=default_account, data_dir=data_dir
    ) is not None
    if not linked:
        lambda_identity(lambda_arn, aws)


SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    load_metadata=lazy("sluice.connectors.custom_connector.metadata:CustomConnectorMetadata"),
    open_source=lazy("sluice.connectors.custom_connector.source:CustomConnectorSource"),
    open_destination=lazy("sluice.connectors.custom_connector.destination:CustomConnectorDestination"),
    cleanup_destination=lazy("sluice.connectors.custom_connector.destination:cleanup_staging"),
    check_profile=lazy("sluice.connectors.custom_connector.profile:check_profile"),
)
