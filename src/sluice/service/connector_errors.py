"""One mapping from connector failures to AppFlow errors (service layer).

Connectors raise `ConnectorError(code, ...)` with the custom-connector SDK's error codes; this is
the only place that decides which modelled AppFlow exception a code becomes.
"""

from __future__ import annotations

from sluice.connectors.base import ConnectorError
from sluice.service.errors import (
    ConnectorAuthenticationException,
    ConnectorServerException,
    ResourceNotFoundException,
    ServiceError,
    ThrottlingException,
    ValidationException,
)

_BY_CODE: dict[str, type[ServiceError]] = {
    "InvalidCredentials": ConnectorAuthenticationException,
    "Unauthorized": ConnectorAuthenticationException,
    "AccessDenied": ConnectorAuthenticationException,
    "ResourceNotFound": ResourceNotFoundException,
    "InvalidArgument": ValidationException,
    "ValidationError": ValidationException,
    "ThrottlingError": ThrottlingException,
}


def to_service_error(error: ConnectorError) -> ServiceError:
    """The modelled AppFlow exception for a connector failure."""
    return _BY_CODE.get(error.code, ConnectorServerException)(error.message)
