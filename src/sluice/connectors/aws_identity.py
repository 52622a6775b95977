"""Whose AWS identity a call to AWS runs as (connectors layer).

Sluice reaches AWS itself for the `aws` S3 backend, the Glue Data Catalog, Secrets Manager
(Salesforce client credentials) and Lambda (custom connectors). Which credentials sign those
calls depends on the account the work belongs to:

* the default account -> the server's own identity (the standard chain: environment, profile,
  instance role), as a single-tenant deployment expects;
* any other account -> only what the operator configured for it with `sluice accounts aws`:
  its own access key pair, or a role the server assumes with an external id (the way AppFlow
  assumes a customer's role), session name `sluice-<account id>`;
* an account with neither is refused (`ConnectorError("InvalidArgument")`, a ValidationException
  or a run Error naming the command): it never falls back to the server's identity.

`AwsIdentity.session(region)` returns a boto3 `Session` for the identity; `assume(role_arn)` a
session for a role assumed *with* that identity (chained), for the roles AppFlow assumes on a
flow's behalf (the Glue catalog's `roleArn`). Assumed-role credentials refresh themselves before
they expire. Endpoint overrides (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`) apply to every
identity, as boto3 reads them. The engine builds identities (`engine.profiles.aws_identity`)
from `store.aws_identities`; connectors receive them on `ProfileView.aws` / `RunContext.aws`.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sluice.connectors.base import ConnectorError

SERVER_KIND, KEYS_KIND, ROLE_KIND, NONE_KIND = "server", "keys", "role", "none"
ROLE_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:iam::(?P<account>\d{12}):role/[\w+=,.@/-]{1,512}$")
# Assumed-role credentials are shared by every session of the same (identity, role): one STS call,
# refreshed in the background of a call shortly before they expire.
_MAX_CACHED = 64
_credentials: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_caller_accounts: dict[tuple[Any, ...], str] = {}
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class AwsIdentity:
    """How one Sluice account reaches AWS. Secrets are kept out of `repr`."""

    kind: str = SERVER_KIND
    account_id: str | None = None  # the Sluice account (None: the server itself)
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    role_arn: str | None = None
    external_id: str | None = field(default=None, repr=False)

    @property
    def is_server(self) -> bool:
        """True when calls run as the server's own identity (the default account)."""
        return self.kind == SERVER_KIND

    def require(self) -> None:
        """Raise the "no AWS identity" error for an account that has none configured."""
        if self.kind == NONE_KIND:
            raise ConnectorError(
                "InvalidArgument",
                f"account {self.account_id} has no AWS identity configured; see `sluice accounts aws "
                "<account name> --role-arn ARN --external-id ID` (or --access-key-id/--secret-access-key)",
            )

    def session(self, region: str | None = None) -> Any:
        """A boto3 Session signing as this identity (refused for an account without one)."""
        import boto3

        return boto3.session.Session(botocore_session=self._core(), region_name=region)

    def assume(self, role_arn: str, region: str | None = None, session_name: str | None = None,
               external_id: str | None = None) -> Any:
        """A boto3 Session for `role_arn`, assumed by this identity (chained; refreshing itself)."""
        import boto3

        return boto3.session.Session(
            botocore_session=self._assumed_core(role_arn, session_name, external_id), region_name=region
        )

    def _core(self) -> Any:
        """A botocore session with this identity's credentials (endpoint overrides from the environment)."""
        self.require()
        if self.kind == ROLE_KIND:
            # AppFlow's pattern for a customer's role: the service's identity assumes it with the
            # external id the account's owner chose, so no other account can have it assumed.
            return SERVER._assumed_core(str(self.role_arn), _session_name(self.account_id), self.external_id)
        core = _new_core()
        if self.kind == KEYS_KIND:
            core.set_credentials(self.access_key_id, self.secret_access_key, self.session_token or None)
        return core

    def _assumed_core(self, role_arn: str, session_name: str | None, external_id: str | None) -> Any:
        from botocore.credentials import (
            AssumeRoleCredentialFetcher,
            CredentialProvider,
            CredentialResolver,
            DeferredRefreshableCredentials,
        )

        if not ROLE_ARN.match(role_arn or ""):
            raise ConnectorError("InvalidArgument", f"{role_arn!r} is not an IAM role ARN")
        name = session_name or _session_name(self.account_id)
        key = (self._key(), role_arn, name, external_id)
        with _lock:
            credentials = _credentials.get(key)
            if credentials is not None:
                _credentials.move_to_end(key)
        if credentials is None:
            source = self._core()
            extra: dict[str, Any] = {"RoleSessionName": name}
            if external_id:
                extra["ExternalId"] = external_id
            fetcher = AssumeRoleCredentialFetcher(
                client_creator=source.create_client,
                source_credentials=source.get_credentials(),
                role_arn=role_arn,
                extra_args=extra,
                cache={},
            )
            credentials = DeferredRefreshableCredentials(method="assume-role", refresh_using=fetcher.fetch_credentials)
            with _lock:
                credentials = _credentials.setdefault(key, credentials)
                while len(_credentials) > _MAX_CACHED:
                    _credentials.popitem(last=False)
        assumed = credentials

        class _Assumed(CredentialProvider):
            METHOD = "assume-role"

            def load(self) -> Any:
                return assumed

        core = _new_core()
        core.register_component("credential_provider", CredentialResolver([_Assumed()]))
        return core

    def aws_account_id(self) -> str | None:
        """The AWS account this identity belongs to (None for the server's, which is not checked).

        A role names it in its ARN; a key pair is asked with `sts:GetCallerIdentity`, signed by
        that pair itself (once per key).
        """
        if self.kind == ROLE_KIND:
            match = ROLE_ARN.match(self.role_arn or "")
            return match.group("account") if match else None
        if self.kind != KEYS_KIND:
            self.require()
            return None
        key = self._key()
        with _lock:
            known = _caller_accounts.get(key)
        if known is None:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                known = str(self.session().client("sts").get_caller_identity()["Account"])
            except (BotoCoreError, ClientError) as exc:
                raise ConnectorError(
                    "InvalidCredentials",
                    f"the AWS keys of account {self.account_id} were refused ({type(exc).__name__})",
                ) from None
            with _lock:
                _caller_accounts[key] = known
        return known

    def _key(self) -> tuple[Any, ...]:
        return (self.kind, self.account_id, self.access_key_id, self.secret_access_key, self.session_token,
                self.role_arn, self.external_id)


SERVER = AwsIdentity()
_loader: Any = None


def _new_core() -> Any:
    """A fresh botocore session sharing one model loader: a client then costs ~20 ms, not ~200."""
    global _loader
    import botocore.session
    from botocore.loaders import create_loader

    core = botocore.session.Session()
    with _lock:
        if _loader is None:
            _loader = create_loader()
        loader = _loader
    core.register_component("data_loader", loader)
    return core


def _session_name(account_id: str | None) -> str:
    """`sluice-<account id>`: CloudTrail in the role's account shows which tenant acted."""
    return f"sluice-{account_id or 'server'}"


def resolve(identity: AwsIdentity | None) -> AwsIdentity:
    """The identity to use: `None` (a view built by a unit test or tool) is the server's."""
    return identity if identity is not None else SERVER


def unconfigured(account_id: str) -> AwsIdentity:
    """The identity of an account nobody configured: every use is refused."""
    return AwsIdentity(kind=NONE_KIND, account_id=account_id)


def from_settings(account_id: str, settings: Mapping[str, Any] | None) -> AwsIdentity:
    """The identity `store.aws_identities` holds for a (non-default) account."""
    if not settings:
        return unconfigured(account_id)
    if settings.get("kind") == KEYS_KIND:
        return AwsIdentity(
            kind=KEYS_KIND, account_id=account_id, access_key_id=settings.get("access_key_id"),
            secret_access_key=settings.get("secret_access_key"), session_token=settings.get("session_token"),
        )
    if settings.get("kind") == ROLE_KIND:
        return AwsIdentity(
            kind=ROLE_KIND, account_id=account_id, role_arn=settings.get("role_arn"),
            external_id=settings.get("external_id"),
        )
    return unconfigured(account_id)
