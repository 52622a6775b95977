"""A Scheduled, incremental pull of an ODP entity set through SAP's delta links: each change lands once.

The scheduler runs 60x faster than real time (SLUICE_SCHEDULER_SPEEDUP/EPOCH), so `rate(1minutes)`
fires about once a real second. The first run asks the initial load with change tracking; every
later run follows the `__delta` link the previous successful run kept and receives only the
changes since, which the fake's ODP delta queue reports as after-images (ODQ_CHANGEMODE U or C) and
before-images of deletions (D).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from tests.fakes.sapodata.model import ODP_PATH
from tests.fakes.sapodata.server import FakeSap
from tests.integration.builders import unique
from tests.integration.test_sapodata_connector import profile_request
from tests.support import flows

SPEEDUP = 60.0
FACTS = 120


def test_odp_delta_runs_deliver_each_change_exactly_once(tmp_path: Any) -> None:
    epoch = time.time()

    def virtual_now() -> float:
        return epoch + (time.time() - epoch) * SPEEDUP

    fake = FakeSap(orders=10, facts=FACTS).start()
    try:
        with flows.saas_server(tmp_path / "data", **flows.scheduler_env(SPEEDUP, epoch)) as server:
            client = server.client()
            profile, name, bucket = unique("sap-odp"), unique("sap-delta"), flows.new_bucket(server)
            client.create_connector_profile(**profile_request(profile, fake.port, ODP_PATH))
            client.create_flow(
                flowName=name, triggerConfig=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
                sourceFlowConfig={
                    "connectorType": "SAPOData", "connectorProfileName": profile,
                    "sourceConnectorProperties": {"SAPOData": {
                        "objectPath": f"{ODP_PATH}/FactsOfSalesDocument", "paginationConfig": {"maxPageSize": 50}}}},
                destinationFlowConfigList=flows.s3_parquet_destination(bucket),
                tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"SAPOData": "NO_OP"},
                        "taskProperties": {}}])

            def rows() -> list[tuple[str, str, str, str]]:
                return [(r["DocumentID"], r["ItemNumber"], r["ODQ_CHANGEMODE"] or "", r["Status"])
                        for r in flows.published_rows(server, bucket)]

            client.start_flow(flowName=name)
            flows.wait_for(lambda: len(rows()) >= FACTS, 60)  # the initial load
            fake.state.change(("0001000003", "000010"), Status="X")
            fake.state.delete(("0001000004", "000020"))
            fake.state.create({"DocumentID": "0001999999", "ItemNumber": "000010", "Material": "MAT-NEU",
                               "Amount": "1.00", "Status": "A", "ChangedOn": 1_735_689_600_000})
            flows.wait_for(lambda: len(rows()) >= FACTS + 3, 60)
            fake.state.change(("0001000003", "000010"), Status="Y")  # a second change of the same record
            flows.wait_for(lambda: len(rows()) >= FACTS + 4, 60)
            time.sleep(2)  # a few more (empty) deltas
            client.stop_flow(flowName=name)
            statuses = {r["executionStatus"] for r in flows.wait_until_idle(client, name)}
            landed = rows()
    finally:
        fake.stop()
    assert statuses == {"Successful"}, statuses
    counts = Counter(landed)
    assert all(n == 1 for n in counts.values()), counts.most_common(3)
    initial = [r for r in landed if r[2] == ""]
    assert len(initial) == FACTS
    changes = sorted(r for r in landed if r[2])
    assert changes == sorted([("0001000003", "000010", "U", "X"), ("0001000003", "000010", "U", "Y"),
                              ("0001000004", "000020", "D", fake.state.odp.generate(8)["Status"]),
                              ("0001999999", "000010", "C", "A")])
    asked = fake.state.log.matching("/FactsOfSalesDocument")
    initial_loads = [e for e in asked if "!deltatoken" not in e["query"] and "$skiptoken" not in e["query"]]
    deltas = [e for e in asked if "!deltatoken" in e["query"]]
    assert len(initial_loads) == 1 and len(deltas) >= 3
    assert all(e["query"]["sap-client"] == ["100"] for e in asked)
