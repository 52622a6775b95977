"""A tiny stand-in for a server, for the `sluice flows|runs` unit tests.

AppFlow's operations are answered by botocore's own `Stubber` (it checks each request against the
model); the two /sluice/v1 resources of issue 15's contract (per-task counts and the run log) by
an httpx `MockTransport` that insists on a SigV4 signature for service `appflow`.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx
from botocore.stub import Stubber

from sluice.commands.api_client import Api

ENDPOINT = "http://127.0.0.1:8080"
SIGNATURE = re.compile(r"^AWS4-HMAC-SHA256 Credential=AKIDSTUB/\d{8}/eu-west-1/appflow/aws4_request, "
                       r"SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$")


@dataclass
class Resources:
    """The /sluice/v1 resources: `details` and `events` by execution id, and the requests seen."""

    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Each GET of .../events answers the next page of this list (then repeats the last one).
    event_pages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    served: bool = True

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not SIGNATURE.match(request.headers.get("authorization", "")) or "x-amz-date" not in request.headers:
            return httpx.Response(403, json={"message": "unsigned"}, headers={"x-amzn-errortype": "AccessDenied"})
        match = re.fullmatch(r"/sluice/v1/flows/([^/]+)/executions/([^/]+)(/events)?", request.url.path)
        if not self.served or match is None:
            return httpx.Response(404, json={"message": "Not Found"},
                                  headers={"x-amzn-errortype": "UnknownOperationException"})
        execution_id = match.group(2)
        if match.group(3):
            pages = self.event_pages.get(execution_id)
            if pages is None:
                return _not_found(execution_id)
            return httpx.Response(200, json=pages.pop(0) if len(pages) > 1 else pages[0])
        if execution_id not in self.details:
            return _not_found(execution_id)
        return httpx.Response(200, content=json.dumps(self.details[execution_id]))


def _not_found(execution_id: str) -> httpx.Response:
    return httpx.Response(404, json={"message": f"no execution {execution_id}"},
                          headers={"x-amzn-errortype": "ResourceNotFoundException"})


def api(resources: Resources | None = None) -> tuple[Api, Stubber, Resources]:
    """An Api whose AppFlow client is stubbed and whose /sluice/v1 GETs reach `resources`."""
    resources = resources or Resources()
    session = boto3.session.Session(aws_access_key_id="AKIDSTUB", aws_secret_access_key="stub-secret",
                                    region_name="eu-west-1")
    appflow = session.client("appflow", endpoint_url=ENDPOINT, region_name="eu-west-1")
    stubber = Stubber(appflow)
    stubber.activate()
    http = httpx.Client(transport=httpx.MockTransport(resources.handle))
    return Api(ENDPOINT, session=session, appflow=appflow, http=http), stubber, resources


def args(**values: Any) -> argparse.Namespace:
    """Parsed arguments as argparse would give them."""
    return argparse.Namespace(**values)


def record(execution_id: str, status: str, records: int = 0, size: int = 0, message: str | None = None,
           started: float = 1_700_000_000.0, updated: float = 1_700_000_004.0) -> dict[str, Any]:
    """An ExecutionRecord as DescribeFlowExecutionRecords answers it."""
    result: dict[str, Any] = {"recordsProcessed": records, "bytesProcessed": size, "bytesWritten": size}
    if message:
        result["errorInfo"] = {"putFailuresCount": 0, "executionMessage": message}
    return {"executionId": execution_id, "executionStatus": status, "executionResult": result,
            "startedAt": started, "lastUpdatedAt": updated}
