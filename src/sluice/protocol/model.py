"""botocore's AppFlow service model, loaded once (protocol layer).

Every other protocol module (router, parser, validate, serializer) reads shapes from here, so
there is exactly one source of truth for routes and constraints: the model botocore ships.
"""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import ServiceModel

SERVICE_NAME = "appflow"


@cache
def service_model() -> ServiceModel:
    """The AppFlow `ServiceModel` of the installed botocore, loaded on first use."""
    return botocore.session.get_session().get_service_model(SERVICE_NAME)
