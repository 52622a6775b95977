"""The credentials secrets custom connectors read (service layer): Secrets Manager's GetSecretValue.

AppFlow passes a custom connector `connectorContext.credentials.secretArn` and the connector reads
its credentials with Secrets Manager's GetSecretValue (the SDK's example does exactly that). Sluice
answers that call itself, on its own port, for connector keys (see `store.connector_keys`), so
custom connectors run with no AWS account. A connector key is issued for one connector label in
one account and opens only the secrets of that connector's profiles: connector A's code cannot
read connector B's credentials, even in the same account. A profile being created is checked
before it is stored: its credentials are staged under the ARN it will get, sealed, for the few
seconds the check takes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, select

from sluice.engine.profiles import unwrap
from sluice.store.connector_keys import label_tag
from sluice.store.models import ConnectorProfile, ServerSetting
from sluice.store.repository import Store

PENDING_PREFIX = "pending-secret:"
PENDING_SECONDS = 600


def _pending_key(arn: str) -> str:
    """The server-setting key of a staged secret (keys are short; ARNs are not)."""
    return PENDING_PREFIX + hashlib.sha256(arn.encode()).hexdigest()[:40]


class SecretNotFound(Exception):
    """No secret of this account has that id."""


def payload_for(connector_type: str, credentials: Mapping[str, Any]) -> dict[str, Any]:
    """The secret's JSON as the connector expects to read it."""
    if connector_type == "CustomConnector":
        from sluice.connectors.custom_connector.secrets import secret_payload

        return dict(secret_payload(credentials))
    return dict(credentials)


class ConnectorSecrets:
    """GetSecretValue over connector profiles' sealed credentials."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get_secret_value(self, account_id: str, tag: str, secret_id: str) -> dict[str, Any]:
        """GetSecretValue's answer for a profile's `credentialsArn` (or a staged one).

        `tag` is the `label_tag` of the connector the caller's key was issued for: only that
        connector's profiles are readable.
        """
        staged = self._staged(secret_id)
        if staged is not None and staged[0] == account_id and staged[1] == "CustomConnector" \
                and label_tag(staged[4]) == tag:
            connector_type, credentials, created = staged[1], staged[2], staged[3]
        else:
            with self.store.admin() as session:
                # Only custom connectors' secrets: connector code has no business reading, say, a
                # Salesforce profile's tokens, even in its own account.
                row = session.scalars(select(ConnectorProfile).where(
                    ConnectorProfile.account_id == account_id, ConnectorProfile.credentials_arn == secret_id,
                    ConnectorProfile.connector_type == "CustomConnector",
                )).one_or_none()
                if row is None or not row.credentials_enc or label_tag(row.connector_label or "") != tag:
                    raise SecretNotFound(secret_id)
                _, credentials = unwrap(self.store.box.open_json(row.credentials_enc, row.arn))
                connector_type, created = row.connector_type, row.created_at
        name = secret_id.split(":secret:", 1)[-1]
        return {
            "ARN": secret_id,
            "Name": name,
            "VersionId": "00000000-0000-0000-0000-000000000001",
            "SecretString": json.dumps(payload_for(connector_type, credentials)),
            "VersionStages": ["AWSCURRENT"],
            "CreatedDate": created,
        }

    @contextmanager
    def staged(
        self, account_id: str, label: str, arn: str, connector_type: str, credentials: Mapping[str, Any]
    ) -> Iterator[None]:
        """Make `credentials` readable under `arn`, to connector `label`'s keys, while a profile's check runs."""
        key = _pending_key(arn)
        sealed = self.store.box.seal_json(
            {"account": account_id, "label": label, "type": connector_type, "credentials": dict(credentials),
             "at": time.time()}, key)
        with self.store.admin() as session:
            session.merge(ServerSetting(key=key, value=sealed))
        try:
            yield
        finally:
            with self.store.admin() as session:
                session.execute(delete(ServerSetting).where(ServerSetting.key == key))

    def _staged(self, arn: str) -> tuple[str, str, dict[str, Any], float, str] | None:
        key = _pending_key(arn)
        with self.store.admin() as session:
            row = session.get(ServerSetting, key)
            if row is None:
                return None
            value = self.store.box.open_json(row.value, key)
        if time.time() - float(value["at"]) > PENDING_SECONDS:
            return None
        return (str(value["account"]), str(value["type"]), dict(value["credentials"]), float(value["at"]),
                str(value.get("label") or ""))
