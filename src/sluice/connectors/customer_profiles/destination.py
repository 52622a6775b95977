"""Amazon Connect Customer Profiles as a flow destination (connectors layer): `PutProfileObject` per record.

`CustomerProfilesDestination(profile, props, ctx)` implements `CustomerProfilesDestinationProperties`
(`domainName`, `objectTypeName`): each record is sent as
`PutProfileObject(DomainName=domainName, ObjectTypeName=objectTypeName, Object=<the record as JSON>)`
through boto3's `customer-profiles` client, as the flow's account (`aws_calls`). Customer Profiles
maps the object's fields to a profile with the object type's `Fields` and `Keys`; an object the
service refuses (`BadRequestException`: no value for the type's unique key, not an object, too
long) is a per-record failure, counted (`putFailuresCount`), its first messages kept in the run's
log; an object over the model's 256,000 characters is refused before sending. The model gives this
destination no `errorHandlingConfig`, so there is no error bucket and no fail-fast: every record is
tried (an `errorHandlingConfig` is still honoured if a stored definition carries one).
A missing domain or object type, refused credentials or throttling that outlasts botocore's
retries end the run instead (the message counts what was already written).

`check_destination` is CreateFlow's check that the domain and object type exist
(`GetDomain`, `GetProfileObjectType`), with the account's AWS identity in the flow's region.

The run is spooled and sent at commit (`SpooledDestination`): profile objects cannot be taken back
through this API, so a run that fails while reading writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from sluice.connectors import aws_calls
from sluice.connectors.aws_identity import AwsIdentity
from sluice.connectors.base import ConnectorError, ProfileView, RunContext, report
from sluice.connectors.error_records import ErrorSink, record_json
from sluice.connectors.spool import spool_cleanup
from sluice.connectors.spooled_destination import CommitProgress, SpooledDestination

SERVICE = "customer-profiles"
MAX_OBJECT_CHARS = 256_000  # PutProfileObjectRequest.Object: length 1..256000
RECORD_ERRORS = {"BadRequestException"}  # the object itself was refused; the next one may pass
SPOOL_PREFIX = "customer-profiles"


def _names(props: Mapping[str, Any]) -> tuple[str, str]:
    domain = str(props.get("domainName") or "").strip()
    object_type = str(props.get("objectTypeName") or "").strip()
    if not domain:
        raise ConnectorError("InvalidArgument", "CustomerProfilesDestinationProperties.domainName is required")
    if not object_type:
        raise ConnectorError("InvalidArgument", "CustomerProfilesDestinationProperties.objectTypeName is required: "
                             "Sluice writes profile objects of a type the domain defines")
    return domain, object_type


def check_destination(props: Mapping[str, Any], aws: AwsIdentity | None, region: str | None) -> None:
    """CreateFlow: the domain and the object type exist and the account's identity may read them."""
    domain, object_type = _names(props)
    client = aws_calls.client(aws, region, SERVICE)
    try:
        client.get_domain(DomainName=domain)
    except Exception as exc:
        raise _named(aws_calls.connector_error(exc, f"Customer Profiles GetDomain {domain}"),
                     f"the Customer Profiles domain {domain} does not exist in {region or 'the region'}") from exc
    try:
        client.get_profile_object_type(DomainName=domain, ObjectTypeName=object_type)
    except Exception as exc:
        raise _named(aws_calls.connector_error(exc, f"Customer Profiles GetProfileObjectType {object_type}"),
                     f"the Customer Profiles domain {domain} has no object type {object_type}") from exc


def _named(error: ConnectorError, missing: str) -> ConnectorError:
    """A clearer message for the one failure a person most often meets: the name is wrong."""
    if error.code == "ResourceNotFound":
        return ConnectorError("ResourceNotFound", f"The Customer Profiles destination cannot be used: {missing}.")
    return error


# `ConnectorSpec.cleanup_destination`: delete what a (killed) run spooled; nothing there is fine.
cleanup_staging = spool_cleanup(SPOOL_PREFIX)


class CustomerProfilesDestination(SpooledDestination[CommitProgress]):
    """`base.Destination` putting one profile object per record into a Customer Profiles domain."""

    def __init__(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext, *,
                 client: Any = None, sink: ErrorSink | None = None) -> None:
        self.domain, self.object_type = _names(props)
        super().__init__(ctx, sink or ErrorSink(props.get("errorHandlingConfig"), ctx), SPOOL_PREFIX,
                         f"the Customer Profiles domain {self.domain} ({self.object_type} objects)")
        self._client = client

    @property
    def client(self) -> Any:
        """The `customer-profiles` client (opened at commit: spooling needs no connection)."""
        if self._client is None:
            self._client = aws_calls.client(self.ctx.aws, self.ctx.region, SERVICE)
        return self._client

    def _check_columns(self, schema: pa.Schema) -> None:
        """Any record can be an object; the object type's keys decide what maps (the service says)."""

    def _progress(self) -> CommitProgress:
        return CommitProgress()

    def _send(self, progress: CommitProgress) -> bool:
        for batch in self.spool.batches():
            if self.ctx.should_stop():
                raise ConnectorError("ServerError",
                                     f"the run was canceled while objects were being put into {self.target}")
            for record in batch.to_pylist():
                self._put(record, progress)
                if self.sink.fail_fast and progress.failed:
                    return True
        if progress.written or progress.failed:
            report(self.ctx, "page", f"PutProfileObject: {progress.written} object(s) written to {self.domain}, "
                   f"{progress.failed} refused")
        if progress.failed:
            report(self.ctx, "warning", f"{self.target}: {self.sink.summary()}", "warning")
        return False

    def _put(self, record: dict[str, Any], progress: CommitProgress) -> None:
        text = record_json(record)
        if len(text) > MAX_OBJECT_CHARS:
            progress.failed += 1
            self.sink.add([record], "ObjectTooLarge", f"the object is {len(text)} characters as JSON; PutProfileObject "
                          f"takes at most {MAX_OBJECT_CHARS}")
            return
        try:
            answer = self.client.put_profile_object(DomainName=self.domain, ObjectTypeName=self.object_type,
                                                    Object=text)
        except Exception as exc:
            code = aws_calls.error_code(exc)
            if code in RECORD_ERRORS:
                progress.failed += 1
                message = str(getattr(exc, "response", {}).get("Error", {}).get("Message") or code)
                self.sink.add([record], code, message)
                return
            raise aws_calls.connector_error(exc, f"Customer Profiles PutProfileObject into {self.domain}") from exc
        progress.written += 1
        progress.bytes_sent += len(text.encode())
        key = answer.get("ProfileObjectUniqueKey")
        progress.first_id = progress.first_id or key
        progress.last_id = key or progress.last_id

    def _written(self, progress: CommitProgress, *, stopped: bool) -> str:
        told = "were written to" if stopped else "had already been written to"
        where = (f"the first object key is {progress.first_id} and the last {progress.last_id}" if progress.written
                 else "none was written")
        return f"{progress.written} object(s) {told} {self.target} and are not taken back ({where})"


def open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> CustomerProfilesDestination:
    """`ConnectorSpec.open_destination` for Customer Profiles."""
    return CustomerProfilesDestination(profile, props, ctx)
