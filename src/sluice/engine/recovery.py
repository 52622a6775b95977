"""Recovering runs their server stopped running (engine layer).

A run whose lease lapsed (`engine/leases.py`) is taken over by another server (or the same data
dir's next server) and recovered here:

1. **Roll back what it published.** Before a destination makes anything visible it writes a
   manifest of the keys it is about to publish into the run's record (`publications`, through
   `RunContext.before_publish`); the record is cleared in the same transaction that records the
   run's outcome. So a record still holding manifests was killed between its first publish and
   its outcome: every key listed is removed through `ConnectorSpec.rollback_destination`, and a
   reader sees none of the run. Sluice rolls back rather than forward: the run's result
   (counts, the incremental watermark, the Glue catalog, the other destinations' output) is not
   in a manifest, so only "none of it" can be made exact.
2. **Drop its staging areas** through `ConnectorSpec.cleanup_destination`.
3. **Record the end**: `Error` ("interrupted"), `Canceled` if a cancel was under way, or, for an
   Event run whose change events were already taken off the stream, back to the queue to run
   them again.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from sqlalchemy.orm import Session

from sluice.connectors import registry
from sluice.connectors.aws_identity import AwsIdentity
from sluice.engine.lifecycle import set_status
from sluice.engine.runner import connector_member
from sluice.store import run_events
from sluice.store.models import ExecutionRecord, Flow

log = logging.getLogger("sluice.engine.recovery")

INTERRUPTED = ("The run was interrupted: the server running this flow stopped before the run finished "
               "(its lease expired); what it had staged or published was removed.")
CANCELED = "Canceled; the server running this flow stopped before the run did."


def roll_back_publications(record: ExecutionRecord, data_dir: str, aws: AwsIdentity | None = None) -> bool:
    """Remove everything the run's manifests list; True when every destination was rolled back."""
    complete = True
    for index, entry in sorted((record.publications or {}).items()):
        spec = registry.spec_for(str(entry.get("connectorType")), entry.get("label"))
        if spec is None or spec.rollback_destination is None:
            log.error("run %s: destination %s (%s) cannot roll back its published output",
                      record.execution_id, index, entry.get("connectorType"))
            complete = False
            continue
        try:
            spec.rollback_destination(entry.get("manifest") or {}, data_dir, aws)
        except Exception:
            log.exception("run %s: could not roll back destination %s", record.execution_id, index)
            complete = False
    return complete


def clean_staging(session: Session, record: ExecutionRecord, data_dir: str, aws: AwsIdentity | None = None) -> None:
    """Drop whatever the run staged in its destinations, so nothing partial is ever visible."""
    flow = session.get(Flow, record.flow_id)
    if flow is None:
        return
    for destination in flow.config.get("destinationFlowConfigList", []):
        spec = registry.spec_for(destination["connectorType"], flow.destination_label)
        if spec is None or spec.cleanup_destination is None:
            continue
        props = connector_member(destination["destinationConnectorProperties"], destination["connectorType"])
        try:
            spec.cleanup_destination(props, data_dir, record.execution_id, aws)
        except Exception:
            log.exception("could not clean the staging area of run %s", record.execution_id)


def recover(session: Session, record: ExecutionRecord, data_dir: str, aws: AwsIdentity | None = None) -> None:
    """End (or requeue) a run whose server stopped; the caller holds its lease.

    `aws` is the run's account's AWS identity (the `aws` S3 backend signs as it).
    """
    if record.publications and not roll_back_publications(record, data_dir, aws):
        # Keep the manifests and the lease: the next take-over tries again, rather than record
        # an outcome while part of the run may still be visible.
        raise RuntimeError(f"run {record.execution_id} could not be rolled back yet")
    record.publications = None
    clean_staging(session, record, data_dir, aws)
    if record.status == "InProgress" and record.event_batch and os.path.exists(record.event_batch):
        # Its events were taken off the stream already: run them again, not lose them.
        record.lease_owner = None
        record.lease_expires_at = None
        return
    if record.status == "CancelStarted":
        set_status(session, record, "Canceled", CANCELED)
        run_events.append_next(session, record.id, "error", "finished", f"Canceled: {CANCELED}")
    else:
        set_status(session, record, "Error", INTERRUPTED)
        run_events.append_next(session, record.id, "error", "finished", f"Error: {INTERRUPTED}")


def publication(connector_type: str, label: str | None, manifest: dict[str, Any]) -> dict[str, Any]:
    """One destination's entry in `ExecutionRecord.publications`."""
    return {"connectorType": connector_type, "label": label, "manifest": manifest}
