"""What every connector provides (connectors layer).

A connector is a package `sluice/connectors/<name>/` whose `__init__.py` exports:

* `CAPABILITIES` - the AppFlow `ConnectorConfiguration` dict for the type, exactly the shape
  `DescribeConnectors` returns (camelCase keys, model enum values). `CreateFlow` validation
  reads the same dict, so the catalog and the rules cannot drift apart.
* `SPEC` - a `ConnectorSpec` naming the type, the capabilities and how to load the metadata
  (entity listing) implementation lazily, so importing the registry stays cheap.

Connectors know nothing of HTTP or the store: they receive a `ProfileView` (the profile's
properties and decrypted credentials) and return plain dicts in the model's shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

if TYPE_CHECKING:
    from sluice.connectors.aws_identity import AwsIdentity


class BucketPolicy(Protocol):
    """Which buckets of Sluice's embedded (`local`) S3 store one account may use.

    The store's ownership rule (`sluice.store.buckets`) answers; the local backend asks before it
    touches a bucket, and a bucket the account may not use looks exactly like a missing one.
    Connectors receive it as `ProfileView.buckets` (metadata) and `RunContext.buckets` (runs);
    None there means no account is involved (tests, tools) and the whole store is reachable.
    """

    def allowed(self, names: Collection[str]) -> set[str]:
        """The names among `names` the account may list, read and write."""
        ...


@dataclass(frozen=True, slots=True)
class ProfileView:
    """A connector profile as a connector sees it; `credentials` are already decrypted.

    `properties` and `credentials` are the connector type's own members of AppFlow's unions, not
    the unions: for Salesforce, `properties` is a `SalesforceConnectorProfileProperties` dict
    (`{"instanceUrl": ..., "isSandboxEnvironment": ...}`) and `credentials` a
    `SalesforceConnectorProfileCredentials` dict, possibly with connector-private keys added by
    `check_profile` (an access token, the instance URL the token answer named). `save_credentials`
    takes the same unwrapped form.
    """

    name: str | None
    connector_type: str
    connector_label: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    credentials: Mapping[str, Any] = field(default_factory=dict)
    # Stores replacement credentials (e.g. a refreshed OAuth access token), sealed, in the
    # profile's row; None where nothing can be saved (a profile that is not stored yet).
    save_credentials: Callable[[Mapping[str, Any]], None] | None = field(default=None, compare=False)
    # The Secrets Manager ARN AppFlow reports for the profile's credentials (`credentialsArn`).
    # Custom connectors receive it as `connectorContext.credentials.secretArn` and read the
    # credentials from it; Sluice itself answers GetSecretValue for it (see docs/connectors.md).
    credentials_arn: str | None = None
    # CustomConnector profiles: the registration they belong to -
    # {"connectorLabel", "lambdaArn", "connectorVersion", "configuration": <ConnectorConfiguration>,
    #  "accountId", "defaultAccount"}.
    registration: Mapping[str, Any] = field(default_factory=dict)
    # Environment a connector's code runs with (local handlers, fake Lambda functions): where the
    # credentials secret can be read (AWS_ENDPOINT_URL_SECRETS_MANAGER) and the keys to sign with.
    invocation_env: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    # The AWS identity of the profile's account (S3 buckets, Secrets Manager, Lambda); see
    # `aws_identity`. The engine and service always set it; None (unit tests) is the server's own.
    aws: AwsIdentity | None = field(default=None, compare=False, repr=False)
    # The local S3 buckets the calling account may use (metadata calls of profile-less S3).
    buckets: BucketPolicy | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class EntityPage:
    """One page of `ListConnectorEntities` output: entities grouped by parent, plus a token."""

    entities: list[dict[str, Any]]
    next_token: str | None = None


class ConnectorError(Exception):
    """A failure talking to the connector's system.

    `code` is one of the AppFlow custom-connector SDK error codes (`InvalidCredentials`,
    `ServerError`, `ResourceNotFound`, `InvalidArgument`, `ThrottlingError`, ...). The service
    layer maps it once to the modelled AppFlow exception.
    """

    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """True when retrying later may succeed."""
        return self.code in {"ThrottlingError", "ServerError", "ConnectorTimeout"}


class MetadataProvider(Protocol):
    """Entity metadata of one connector type."""

    def list_entities(
        self, profile: ProfileView, parent: str | None, max_results: int | None, next_token: str | None
    ) -> EntityPage:
        """Entities (or child entities of `parent`) as `ConnectorEntity` dicts."""
        ...

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        """The fields of `entity_name` as `ConnectorEntityField` dicts."""
        ...


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """A built-in connector type: its catalog entry and its (lazily loaded) metadata provider."""

    connector_type: str
    capabilities: Mapping[str, Any]
    requires_profile: bool = True
    load_metadata: Callable[[], MetadataProvider] | None = None
    # (profile, the connector's member of Source/DestinationConnectorProperties, run) -> reader/writer.
    open_source: Callable[[ProfileView, Mapping[str, Any], RunContext], Source] | None = None
    open_destination: Callable[[ProfileView, Mapping[str, Any], RunContext], Destination] | None = None
    # (destination properties member, data dir, execution id, the account's AWS identity): drop
    # what a killed run staged.
    cleanup_destination: Callable[[Mapping[str, Any], str, str, AwsIdentity | None], None] | None = None
    # (manifest a destination handed to `RunContext.before_publish`, data dir, the account's AWS
    # identity): remove everything the manifest lists as published, for a run killed before its
    # outcome was recorded.
    rollback_destination: Callable[[Mapping[str, Any], str, AwsIdentity | None], None] | None = None
    # Called by CreateConnectorProfile / UpdateConnectorProfile when credentials are given: checks
    # them against the vendor (ConnectorError("InvalidCredentials", reason) when refused) and
    # returns the credentials to store (e.g. an authorization code exchanged for tokens).
    check_profile: Callable[[ProfileView], Mapping[str, Any]] | None = None
    # (profile, source properties member, event context) -> a change-event subscription, for
    # flows with triggerType Event.
    open_events: Callable[[ProfileView, Mapping[str, Any], EventContext], EventStream] | None = None
    # The vendor's known API hosts (a host matches itself and its subdomains), read at call time so
    # the operator's endpoint overrides count; None: any public host (connectors/outbound.py).
    vendor_hosts: Callable[[], tuple[str, ...]] | None = None
    # (the connector's member of Source/DestinationConnectorProperties, "source" or "destination",
    # flow name): CreateFlow/UpdateFlow refuse, with the ValueError's message, values the
    # connector could never run with (e.g. a key segment longer than a file name may be).
    check_properties: Callable[[Mapping[str, Any], str, str], None] | None = None
    # (the connector's member of DestinationConnectorProperties, the flow account's AWS identity,
    # the flow's region): CreateFlow/UpdateFlow ask the destination's AWS service whether what the
    # properties name exists (e.g. a Customer Profiles domain), outside the store's transaction;
    # ConnectorError when it does not or cannot be read.
    check_destination: Callable[[Mapping[str, Any], AwsIdentity | None, str], None] | None = None
    # Native plug-ins (the `sluice.connectors` entry-point group) are CustomConnector types that
    # answer to this connectorLabel without a RegisterConnector (see docs/connectors.md).
    label: str | None = None
    # True when the vendor's entity catalog is fixed ahead of any data (Salesforce sObjects): an
    # entity its describe answers `ResourceNotFound` for cannot be read, so CreateFlow refuses it.
    # False where an entity may appear later (an S3 prefix that has no objects yet).
    entities_fixed: bool = False
    # (an opened source, its splits) -> a `connectors.remote.RemoteReading`: how Ray tasks on other
    # machines read those splits (SLUICE_EXECUTOR=ray). None: splits are read where the run is
    # coordinated.
    remote_reading: Callable[[Any, Sequence[Any]], Any] | None = None

    @property
    def data_path_built(self) -> bool:
        """True when Sluice can talk to this connector's system (entity metadata, runs)."""
        return self.load_metadata is not None

    @property
    def moves_records(self) -> bool:
        """True when runs can read from or write to this connector."""
        return self.open_source is not None or self.open_destination is not None


# -- the record data path -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a connector's reader or writer knows about the run it serves.

    `data_dir` is the server's data directory (the embedded S3 backend keeps buckets under it);
    `should_stop()` turns true when the run is canceled: long loops check it between batches.
    """

    flow_name: str
    execution_id: str
    schema_version: int
    started_at: float
    data_dir: str
    batch_size: int = 65_536
    should_stop: Callable[[], bool] = lambda: False
    # Incremental pulls read the window (window_start, window_end] in epoch seconds; a None start
    # means "everything up to window_end". Complete pulls leave both None.
    window_start: float | None = None
    window_end: float | None = None
    # The field holding each record's change time (incrementalPullConfig.datetimeTypeFieldName);
    # None lets the connector use its own notion (for S3: the object's last-modified time).
    window_field: str | None = None
    # The flow's task list (model-shaped dicts), so a source can push projections and filters
    # down to its system. The engine still applies every task: pushing down is an optimisation.
    tasks: tuple[Mapping[str, Any], ...] = ()
    # The AWS identity of the flow's account (error buckets and the S3 backend); None (unit tests)
    # is the server's own. See `aws_identity`.
    aws: AwsIdentity | None = None
    # The flow's AWS region: where AWS-service destinations (EventBridge, Customer Profiles) are
    # called. None (unit tests, tools): boto3's own default (AWS_DEFAULT_REGION).
    region: str | None = None
    # The local S3 buckets the flow's account may use (S3 source/destination, error buckets).
    buckets: BucketPolicy | None = field(default=None, compare=False, repr=False)
    # Called by a destination with a JSON-able manifest of what it is about to make visible,
    # before the first object appears; returns once the manifest is durable (it raises when
    # the run may no longer publish). `ConnectorSpec.rollback_destination` reads it back after
    # a crash. None: nothing records it (unit tests, tools).
    before_publish: Callable[[Mapping[str, Any]], None] | None = None
    # The run's log: `on_event(kind, message, level)` with kind "source_opened", "file", "page",
    # "warning" or "retry" and level "info", "warning" or "error". A connector reports what it
    # matched, each file it reads and each retry (with the vendor's status); never a secret.
    # None: nobody listens (unit tests, tools); call it through `report`.
    on_event: Callable[[str, str, str], None] | None = field(default=None, compare=False, repr=False)
    # Hands the run's destinations a file that belongs beside its records (Veeva's document files):
    # `files(name, body)`, `name` a relative key ("<document id>/1_0/label.pdf"), `body` a
    # seekable binary file read to its end. Destinations that take files (`FileSink`) stage it with
    # the run and publish it atomically with the records. None: no destination of the run takes files.
    files: Callable[[str, BinaryIO], None] | None = field(default=None, compare=False, repr=False)


class FileSink(Protocol):
    """A destination that takes files beside its records (the engine feeds `RunContext.files` to it)."""

    def add_file(self, name: str, body: BinaryIO) -> None:
        """Stage `body` under the relative key `name`; published (or dropped) with the run's records."""
        ...


def file_sinks(destinations: Sequence[Any]) -> list[FileSink]:
    """The destinations among `destinations` that take files."""
    return [d for d in destinations if callable(getattr(d, "add_file", None))]


def hand_file(sinks: Sequence[FileSink], name: str, body: BinaryIO) -> None:
    """Give one file to every sink (each reads it from the start); `RunContext.files` of a run."""
    for sink in sinks:
        body.seek(0)
        sink.add_file(name, body)


def report(ctx: RunContext | None, kind: str, message: str, level: str = "info") -> None:
    """Tell the run's log `message` (a no-op without a listener)."""
    if ctx is not None and ctx.on_event is not None:
        ctx.on_event(kind, message, level)


def retry_reporter(ctx: RunContext | None) -> Callable[[str], None] | None:
    """A vendor client's `on_retry` for a run: each retry becomes a "retry" warning in its log."""
    if ctx is None or ctx.on_event is None:
        return None
    on_event = ctx.on_event
    return lambda message: on_event("retry", message, "warning")


@dataclass(slots=True)
class ReadStats:
    """Counters a source fills while it reads."""

    bytes_read: int = 0
    records_read: int = 0
    pages_read: int = 0
    max_page_size: int = 0
    files_read: int = 0


@dataclass(slots=True)
class WriteResult:
    """What a destination wrote (once committed)."""

    bytes_written: int = 0
    records_written: int = 0
    files: list[str] = field(default_factory=list)
    put_failures: int = 0
    # Where the data landed, for catalog registration: e.g. "s3://bucket/prefix/flow/exec/".
    location: str | None = None
    partitions: list[dict[str, str]] = field(default_factory=list)
    # Where each of `partitions` landed (same order), as the writer spelled the folder: values it
    # escapes (`n/a` -> `region=n%2Fa/`) appear escaped, so a catalog points at the real data.
    partition_locations: list[str] = field(default_factory=list)
    # The Arrow schema of what was written (for catalog registration).
    schema: Any = None


class Source(Protocol):
    """Reads an entity as Arrow record batches (`RecordBatch` at every boundary)."""

    stats: ReadStats

    def read(self) -> Iterator[Any]:
        """Yield `pyarrow.RecordBatch`es of at most `RunContext.batch_size` rows."""
        ...


class SplitSource(Source, Protocol):
    """A source whose data comes in parts that can be read independently and in any order.

    `splits()` plans the run's parts (opaque to the engine; e.g. S3 objects, byte ranges of one
    object, Parquet row groups, vendor pages or time slices) in the order a serial `read()` would
    meet their records; `read_split(split)` yields one part's batches and may be called from
    several threads at once (it keeps `stats` consistent). The engine reads splits in parallel
    and writes their records in split order (engine/parallel.py). A source without `splits` is
    one split: its `read()`.
    """

    def splits(self) -> Sequence[Any]:
        """The run's parts, in serial-read order (may be empty)."""
        ...

    def read_split(self, split: Any) -> Iterator[Any]:
        """Yield the part's `pyarrow.RecordBatch`es of at most `RunContext.batch_size` rows."""
        ...


def split_plan(source: Source) -> Sequence[Any] | None:
    """The source's splits, or None for a source that reads as one stream (the default)."""
    planner = getattr(source, "splits", None)
    return None if planner is None or not hasattr(source, "read_split") else planner()


class Lane(Protocol):
    """One thread's writer into a destination's staging area (see `lane_of`)."""

    def write(self, batch: Any, partition: Mapping[str, str] | None = None) -> None:
        """Stage one `pyarrow.RecordBatch`, as `Destination.write` does."""
        ...


def lane_of(destination: Destination) -> Lane | None:
    """A new lane of the destination, for one thread of a parallel run; None when it has none.

    A destination with `lane()` lets several threads stage at once (each lane its own part files)
    and still publishes once, from the manifest of every lane's parts, in `commit()`. Without one
    the engine writes through `Destination.write` from one thread, in split order.
    """
    factory = getattr(destination, "lane", None)
    lane: Lane | None = factory() if callable(factory) else None
    return lane


class Destination(Protocol):
    """Writes batches to a staging area; nothing is visible until `commit`."""

    def write(self, batch: Any, partition: Mapping[str, str] | None = None) -> None:
        """Stage one `pyarrow.RecordBatch` (under the given partition values, if any)."""
        ...

    def commit(self) -> WriteResult:
        """Publish everything staged, atomically as far as the store allows."""
        ...

    def abort(self) -> None:
        """Drop everything staged; the destination is left as it was before the run."""
        ...


# -- change events (Event-triggered flows) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventContext:
    """Where a change-event subscription starts and how it learns it must stop.

    `replay_from` is the last event already processed (its replay id as text), or None for
    "only events from now on" (a flow just activated).
    """

    flow_name: str
    replay_from: str | None = None
    should_stop: Callable[[], bool] = lambda: False


@dataclass(frozen=True, slots=True)
class EventBatch:
    """Events received together: one record per event, and the replay id of the last one."""

    records: list[dict[str, Any]]
    replay_id: str


class EventStream(Protocol):
    """A live subscription to an entity's change events."""

    def poll(self, timeout: float) -> EventBatch | None:
        """Wait up to `timeout` seconds; the next batch of events, or None when none came."""
        ...

    def close(self) -> None:
        """Unsubscribe and release the connection."""
        ...
