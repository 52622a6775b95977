"""boto3 clients for AWS-service destinations, and their failures as connector errors (connectors layer).

EventBridge and Customer Profiles are reached as the flow's account (`RunContext.aws` /
`ProfileView.aws`, see `aws_identity`), in the flow's region, with botocore's own endpoint
resolution: `AWS_ENDPOINT_URL_<SERVICE>` (`AWS_ENDPOINT_URL_EVENTBRIDGE`,
`AWS_ENDPOINT_URL_CUSTOMER_PROFILES`: botocore upper-cases the model's `serviceId` with `_` for
spaces) and `AWS_ENDPOINT_URL` apply as boto3 reads them. botocore's standard retry mode retries
throttling and 5xx answers a bounded number of times (`MAX_ATTEMPTS`); what still fails becomes
one `ConnectorError` here, so the engine maps it once.
"""

from __future__ import annotations

from typing import Any

from sluice.connectors.aws_identity import AwsIdentity, resolve
from sluice.connectors.base import ConnectorError

MAX_ATTEMPTS = 5  # sends of one call in all (botocore's total_max_attempts)
THROTTLING = {
    "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
    "ProvisionedThroughputExceededException", "LimitExceededException",
}
AUTH = {"AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException",
        "ExpiredTokenException", "SignatureDoesNotMatch", "InvalidClientTokenId"}


def client(identity: AwsIdentity | None, region: str | None, service: str) -> Any:
    """A boto3 client for `service` signed as `identity` (None: the server's own) in `region`."""
    from botocore.config import Config

    session = resolve(identity).session(region)
    config = Config(retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"}, connect_timeout=10,
                    read_timeout=60)
    return session.client(service, config=config)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore `ClientError` ("" for anything else)."""
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or "")


def connector_error(exc: Exception, what: str) -> ConnectorError:
    """`exc` (a botocore error) as a `ConnectorError`; `what` names the call, e.g. "EventBridge PutEvents"."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, NoCredentialsError):
        return ConnectorError("InvalidCredentials", f"{what}: no AWS credentials are available to sign the call")
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = str((exc.response.get("Error") or {}).get("Message") or code)
        if code in THROTTLING:
            return ConnectorError("ThrottlingError", f"{what} was throttled ({code}: {message})")
        if code in AUTH:
            return ConnectorError("AccessDenied", f"{what} was refused ({code}: {message})")
        if code.endswith("NotFoundException") or code == "ResourceNotFound":
            return ConnectorError("ResourceNotFound", f"{what}: {message}")
        status = int((exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
        if status >= 500:
            return ConnectorError("ServerError", f"{what} failed ({code}: {message})")
        return ConnectorError("InvalidArgument", f"{what} was refused ({code}: {message})")
    if isinstance(exc, BotoCoreError):
        return ConnectorError("ServerError", f"{what} failed: {exc}")
    return ConnectorError("ServerError", f"{what} failed: {type(exc).__name__}: {exc}")
