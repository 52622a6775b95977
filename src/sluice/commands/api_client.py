"""How `sluice flows|runs` reach a server (CLI layer; beside cli.py, above every server layer).

Like the AWS CLI: a boto3 AppFlow client signed with SigV4 using the standard AWS credential chain
(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE, ~/.aws files), and the endpoint from
`--endpoint-url`, `SLUICE_URL`, `AWS_ENDPOINT_URL_APPFLOW` or `AWS_ENDPOINT_URL`, else
http://127.0.0.1:8080. The `/sluice/v1/...` resources are not in botocore's model, so `get_json`
signs those GETs itself with botocore's `SigV4Auth` (service `appflow`, the client's region and
credentials) and sends them with httpx.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote, urlencode

import boto3
import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config

DEFAULT_ENDPOINT = "http://127.0.0.1:8080"
DEFAULT_REGION = "us-east-1"
_ENDPOINT_VARIABLES = ("SLUICE_URL", "AWS_ENDPOINT_URL_APPFLOW", "AWS_ENDPOINT_URL")


class ApiError(Exception):
    """A call the server refused or could not answer; `code` is the AWS error code when there is one."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


def endpoint_url(given: str | None = None) -> str:
    """The server's URL: `given` (--endpoint-url), else the first environment variable set, else the default."""
    for value in (given, *(os.environ.get(name) for name in _ENDPOINT_VARIABLES)):
        if value:
            return value.rstrip("/")
    return DEFAULT_ENDPOINT


def resource_path(*segments: str) -> str:
    """`/sluice/v1/<segments>` with each segment percent-encoded (flow names may hold `@`, `#`, `!`)."""
    return "/sluice/v1/" + "/".join(quote(segment, safe="") for segment in segments)


class Api:
    """A server, as one account in one region sees it: `appflow` (boto3) and `get_json` (/sluice/v1)."""

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        profile: str | None = None,
        region: str | None = None,
        session: boto3.session.Session | None = None,
        http: httpx.Client | None = None,
        appflow: Any = None,
    ) -> None:
        self.endpoint = endpoint_url(endpoint)
        self.session = session or boto3.session.Session(profile_name=profile, region_name=region)
        self.region = region or self.session.region_name or DEFAULT_REGION
        credentials = self.session.get_credentials()
        if credentials is None:
            raise ApiError(
                "NoCredentials",
                "no AWS credentials found: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(`sluice accounts credentials NAME` prints them) or pass --profile",
            )
        self.credentials = credentials
        # One retry on a dropped connection or a 5xx, as a person at a terminal would want; no long back-off.
        self.appflow = appflow or self.session.client(
            "appflow", endpoint_url=self.endpoint, region_name=self.region,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=60),
        )
        self.http = http or httpx.Client(timeout=30)

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """GET a signed /sluice/v1 resource; None when the server answers 404 (unknown, or not served)."""
        query = urlencode(sorted((params or {}).items()))
        url = self.endpoint + path + (f"?{query}" if query else "")
        request = AWSRequest(method="GET", url=url, headers={"Accept": "application/json"})
        SigV4Auth(self.credentials.get_frozen_credentials(), "appflow", self.region).add_auth(request)
        try:
            response = self.http.get(url, headers=dict(request.headers.items()))
        except httpx.HTTPError as exc:
            raise ApiError("ConnectionError", f"cannot reach {self.endpoint}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ApiError(*_error_of(response))
        body = response.json()
        if not isinstance(body, dict):
            raise ApiError("InvalidResponse", f"GET {path} did not answer a JSON object")
        return body


def _error_of(response: httpx.Response) -> tuple[str, str]:
    """(code, message) from an AWS rest-json error answer (the code is in a header or the body)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    code = response.headers.get("x-amzn-errortype", "").split(":")[0] or str(body.get("__type") or "")
    message = body.get("message") or body.get("Message") or response.reason_phrase
    return code.rsplit("#", 1)[-1] or f"HTTP{response.status_code}", str(message)
