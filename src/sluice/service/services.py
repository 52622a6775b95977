"""Wiring of the service objects (service layer).

`build_services` gives the API layer one object holding every operation group, built from
the store, the run executor and the settings' quotas.
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice.engine.executor import Executor
from sluice.service.connector_profiles import ConnectorProfiles
from sluice.service.connectors import Connectors
from sluice.service.executions import Executions
from sluice.service.flow_overviews import FlowOverviews
from sluice.service.flows import Flows
from sluice.service.pagination import Paginator
from sluice.service.registrations import Registrations
from sluice.service.tags import Tags
from sluice.store.repository import Store


@dataclass(frozen=True, slots=True)
class Services:
    """One instance of each operation group."""

    connector_profiles: ConnectorProfiles
    flows: Flows
    executions: Executions
    connectors: Connectors
    registrations: Registrations
    tags: Tags
    flow_overviews: FlowOverviews  # the console's flows list


def build_services(store: Store, executor: Executor, max_profiles: int, max_flows: int) -> Services:
    """Build every operation group over one store and executor."""
    paginator = Paginator(store.setting("pagination_key"))
    connectors = Connectors(store, paginator)
    return Services(
        connector_profiles=ConnectorProfiles(store, paginator, max_profiles),
        flows=Flows(store, paginator, max_flows, executor.submit, connectors.known_fields, connectors.prefetch_fields,
                    connectors.check_destinations),
        executions=Executions(store, paginator, executor.request_cancel),
        connectors=connectors,
        registrations=Registrations(store),
        tags=Tags(store),
        flow_overviews=FlowOverviews(store),
    )
