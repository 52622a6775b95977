"""Small helpers every service module shares (service layer): the clock, ARNs, lookups.

ARN formats follow AppFlow's own (see docs/behaviour.md for the ones AppFlow leaves vague).
"""

from __future__ import annotations

import secrets
import string
import time
from datetime import UTC, datetime
from typing import Any

from sluice.service.context import Caller


def now() -> float:
    """The current time as epoch seconds."""
    return time.time()


def to_datetime(epoch: float | None) -> datetime | None:
    """Epoch seconds as an aware UTC datetime (None stays None)."""
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


def to_epoch(value: Any) -> float | None:
    """A datetime or number from a request as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def flow_arn(caller: Caller, name: str) -> str:
    """`arn:aws:appflow:<region>:<account>:flow/<name>`."""
    return f"arn:aws:appflow:{caller.region}:{caller.account_id}:flow/{name}"


def profile_arn(caller: Caller, name: str) -> str:
    """`arn:aws:appflow:<region>:<account>:connectorprofile/<name>`."""
    return f"arn:aws:appflow:{caller.region}:{caller.account_id}:connectorprofile/{name}"


def connector_arn(caller: Caller, label: str) -> str:
    """`arn:aws:appflow:<region>:<account>:connector/<label>` for a registered custom connector."""
    return f"arn:aws:appflow:{caller.region}:{caller.account_id}:connector/{label}"


def credentials_arn(caller: Caller, profile_name: str) -> str:
    """The Secrets Manager-style ARN AppFlow reports for a profile's stored credentials."""
    suffix = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))
    return (
        f"arn:aws:secretsmanager:{caller.region}:{caller.account_id}:secret:"
        f"appflow!{caller.account_id}-{profile_name}-{int(now() * 1000)}-{suffix}"
    )


def default_kms_arn(caller: Caller) -> str:
    """The AWS-managed key AppFlow uses when a request names none."""
    return f"arn:aws:kms:{caller.region}:{caller.account_id}:alias/aws/appflow"


def new_execution_id() -> str:
    """A fresh execution id (AppFlow's are UUIDs)."""
    import uuid

    return str(uuid.uuid4())
