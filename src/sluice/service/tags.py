"""Tags on flows: TagResource / UntagResource / ListTagsForResource (service layer).

AppFlow tags flows. Keys and values are bounded by the model (the protocol layer checks them);
here: at most 50 tags per resource after the change, and the `aws:` prefix is reserved. An ARN
that is not one of this account's flows is `ResourceNotFoundException`, which also keeps
accounts from probing each other's resources.
"""

from __future__ import annotations

from typing import Any

from sluice.service.context import Caller
from sluice.service.errors import ResourceNotFoundException, ValidationException
from sluice.store.models import Flow
from sluice.store.repository import Scoped, Store

MAX_TAGS = 50


def _flow(tx: Scoped, arn: str) -> Flow:
    flow = tx.flow_by_arn(arn)
    if flow is None:
        raise ResourceNotFoundException(f"The resource {arn} does not exist.")
    return flow


class Tags:
    """The three tagging operations."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def tag_resource(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """Add or overwrite tags."""
        new = params["tags"]
        reserved = sorted(k for k in new if k.lower().startswith("aws:"))
        if reserved:
            raise ValidationException(f"Tag keys starting with 'aws:' are reserved: {', '.join(reserved)}.")
        with self.store.scoped(caller.account_id, caller.region) as tx:
            flow = _flow(tx, params["resourceArn"])
            merged = {**(flow.tags or {}), **new}
            if len(merged) > MAX_TAGS:
                raise ValidationException(
                    f"A resource can have at most {MAX_TAGS} tags; this request would give it {len(merged)}."
                )
            flow.tags = merged
        return {}

    def untag_resource(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """Remove tags by key (absent keys are ignored, as AWS does)."""
        with self.store.scoped(caller.account_id, caller.region) as tx:
            flow = _flow(tx, params["resourceArn"])
            flow.tags = {k: v for k, v in (flow.tags or {}).items() if k not in set(params["tagKeys"])}
        return {}

    def list_tags_for_resource(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """The resource's tags."""
        with self.store.scoped(caller.account_id, caller.region) as tx:
            return {"tags": dict(_flow(tx, params["resourceArn"]).tags or {})}
