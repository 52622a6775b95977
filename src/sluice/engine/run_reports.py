"""Run reports: what happens when a run ends, besides its record (engine layer).

`run_finished(store, execution_id)` is called once by the executor after a run's final status
(`Successful`, `Error`, `Canceled`) is committed. It counts the run in `metrics`, and hands an
`AppFlow End Flow Run Report` event to a small background pool that

* puts it on the account's default EventBridge bus (when `SLUICE_EVENTBRIDGE=true`), signed as
  the account's own AWS identity (`engine.profiles.aws_identity`: the server's identity only for
  the default account; an account with none configured gets no event and a warning), through
  boto3, which honours `AWS_ENDPOINT_URL_EVENTBRIDGE` / `AWS_ENDPOINT_URL`;
* POSTs it to the account's webhooks (`engine/webhooks.py`).

Nothing here can change a run's outcome: every failure is logged as a warning.

The event follows AppFlow's "Flow notifications" page,
https://docs.aws.amazon.com/appflow/latest/userguide/flow-notifications.html: source
`aws.appflow`, detail-type `AppFlow End Flow Run Report`, and the detail members it lists
(`flow-name`, `created-by`, `flow-arn`, `source`, `destination`, `source-object`,
`destination-object`, `trigger-type`, `start-time`, `end-time`, `num-of-records-processed`,
`num-of-record-failures`, `data-processed`, `status`, `error`, and `incremental-transfer-time-range`
for scheduled incremental runs), plus `execution-id` and `num-of-records-filtered`, which every
published AppFlow example carries. As in those examples, counts are strings, times read
`2021-08-24T09:02:47.643Z[UTC]`, `trigger-type` is upper case (`ONDEMAND`, `SCHEDULED`, `EVENT`)
and a successful run's status is `Execution Successful`. The page does not spell the other
statuses: Sluice says `Execution Failed` and `Execution Canceled`. AWS itself refuses
`PutEvents` with an `aws.*` source from any caller but AWS, so against real EventBridge set
`SLUICE_EVENTBRIDGE_SOURCE` (e.g. `sluice.appflow`); emulators such as moto accept `aws.appflow`.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from sluice.engine import metrics
from sluice.engine.profiles import aws_identity
from sluice.settings import current
from sluice.store import webhooks as webhook_store
from sluice.store.models import ExecutionRecord, Flow
from sluice.store.repository import Store

log = logging.getLogger("sluice.engine.reports")

DETAIL_TYPE = "AppFlow End Flow Run Report"
STATUS_WORDS = {"Successful": "Execution Successful", "Error": "Execution Failed", "Canceled": "Execution Canceled"}
TRIGGER_WORDS = {"OnDemand": "ONDEMAND", "Scheduled": "SCHEDULED", "Event": "EVENT"}
# Entity-like members of a connector's properties, in the order they name "the object".
_OBJECT_KEYS = ("object", "objectPath", "entityName", "apiPath", "customObject")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def run_finished(store: Store, execution_id: str) -> None:
    """Report the ended run `execution_id`: metrics at once, EventBridge and webhooks in the background.

    Never raises: a report that fails is a warning in the log, never a change to the run.
    """
    try:
        with store.admin() as session:
            record = session.scalars(
                select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id)
            ).one_or_none()
            flow = session.get(Flow, record.flow_id) if record is not None else None
            if record is None or flow is None or record.status not in STATUS_WORDS:
                return
            event = build_event(flow, record)
            account_id, region = record.account_id, record.region
        detail = event["detail"]
        metrics.run_ended(record.status, flow.source_type, int(detail["num-of-records-processed"]),
                          int(detail["data-processed"]), record.last_updated_at - record.started_at)
        hooks = webhook_store.for_account(store, account_id)
        send_events = current().observability.eventbridge
        if hooks or send_events:
            _submit(_deliver, store, account_id, region, event, hooks, send_events)
    except Exception:  # a report must never change the run's outcome
        log.warning("run %s: its end-of-run report could not be prepared", execution_id, exc_info=True)


def build_event(flow: Flow, record: ExecutionRecord) -> dict[str, Any]:
    """The EventBridge event (envelope and detail) for an ended run, as AppFlow shapes it."""
    config = flow.config or {}
    source = config.get("sourceFlowConfig") or {}
    destinations = config.get("destinationFlowConfigList") or [{}]
    result = record.result or {}
    error_info = result.get("errorInfo") or {}
    detail: dict[str, Any] = {
        "flow-name": flow.name,
        "created-by": flow.created_by,
        "flow-arn": flow.arn,
        "source": _connector(source),
        "destination": _connector(destinations[0]),
        "source-object": _object(source, "sourceConnectorProperties"),
        "destination-object": _object(destinations[0], "destinationConnectorProperties"),
        "trigger-type": TRIGGER_WORDS.get(flow.trigger_type, flow.trigger_type.upper()),
        "num-of-records-processed": str(int(result.get("recordsProcessed") or 0)),
        "execution-id": record.execution_id,
        "num-of-records-filtered": str(_filtered(result)),
        "start-time": _stamp(record.started_at),
        "end-time": _stamp(record.last_updated_at),
        "num-of-record-failures": str(int(error_info.get("putFailuresCount") or 0)),
        "data-processed": str(int(result.get("bytesProcessed") or 0)),
        "status": STATUS_WORDS[record.status],
    }
    if record.status != "Successful":
        detail["error"] = error_info.get("executionMessage") or record.status
    if record.scheduled_for is not None and record.data_pull_end_time is not None:
        detail["incremental-transfer-time-range"] = {
            "start-time": _stamp(record.data_pull_start_time) if record.data_pull_start_time else None,
            "end-time": _stamp(record.data_pull_end_time),
        }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": current().observability.eventbridge_source,
        "account": flow.account_id,
        "time": datetime.fromtimestamp(record.last_updated_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": flow.region,
        "resources": [flow.arn],
        "detail": detail,
    }


def _stamp(epoch: float) -> str:
    """AppFlow's detail timestamps: `2021-08-24T09:02:47.643Z[UTC]`."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z[UTC]"


def _connector(config: dict[str, Any]) -> str:
    """`TYPE/profile` (e.g. `VEEVA/veeva-connection`), or the type alone without a profile (`S3`)."""
    kind = str(config.get("connectorType") or "")
    profile = config.get("connectorProfileName")
    return f"{kind.upper()}/{profile}" if profile else kind.upper()


def _object(config: dict[str, Any], member: str) -> str:
    """The object a side of the flow names: `s3://bucket/prefix` for S3, else the entity."""
    _, props = next(iter((config.get(member) or {}).items()), ("", {}))
    props = props if isinstance(props, dict) else {}
    if "bucketName" in props:
        prefix = str(props.get("bucketPrefix") or "").strip("/")
        return f"s3://{props['bucketName']}" + (f"/{prefix}" if prefix else "")
    for key in _OBJECT_KEYS:
        if props.get(key):
            return str(props[key])
    return ""


def _filtered(result: dict[str, Any]) -> int:
    """Records a Filter dropped, when the run's per-task counts are stored (else 0)."""
    details = result.get("sluiceRunDetails") or {}
    return sum(int(task.get("dropped") or 0) for task in details.get("tasks") or [] if isinstance(task, dict))


def _submit(*call: Any) -> None:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sluice-report")
        pool = _pool
    pool.submit(*call)


def _deliver(store: Store, account_id: str, region: str, event: dict[str, Any],
             hooks: list[webhook_store.Webhook], send_events: bool) -> None:
    """Send one event everywhere it goes; each destination fails on its own."""
    from sluice.engine import webhooks

    if send_events:
        try:
            put_event(store, account_id, region, event)
        except Exception as exc:
            log.warning("run %s: the EventBridge run report failed: %s", event["detail"]["execution-id"],
                        _describe(exc))
    body = json.dumps(event, separators=(",", ":")).encode()
    for hook in hooks:
        webhooks.deliver(hook, body, event["id"])


def put_event(store: Store, account_id: str, region: str, event: dict[str, Any]) -> None:
    """Put `event` on the account's default bus, signed as the account's AWS identity."""
    identity = aws_identity(store, account_id)
    client = identity.session(region).client("events")
    answer = client.put_events(Entries=[{
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
        "Resources": event["resources"],
        "Time": datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
    }])
    if answer.get("FailedEntryCount"):
        failed = (answer.get("Entries") or [{}])[0]
        raise RuntimeError(f"EventBridge refused the event: {failed.get('ErrorCode')} {failed.get('ErrorMessage')}")


def _describe(exc: Exception) -> str:
    """A short reason without credentials (botocore errors name codes, not secrets)."""
    return f"{type(exc).__name__}: {exc}"[:500]
