"""Model-driven fuzzing with bad requests only: thousands of them, and not one 5xx.

For each of the 25 AppFlow operations, hypothesis (derandomized: the same requests every run)
draws a model-valid request from botocore's shapes (`tests.support.shapes`), then breaks it in
one of these ways and sends it, signed, to a real server:

* `constraint` - one model constraint broken: a required member dropped, a wrong JSON type, a
  string or list too long or short, a value outside the enum, a number out of range, a pattern
  violated, a null list or map entry;
* `deep` - a JSON value nested 65 to 5,000 levels deep somewhere in the body;
* `surrogate` - a lone UTF-16 surrogate escape (`"\\ud800"`) in a string or a map key;
* `huge_number` - a number no member can hold (10^30, -10^30, 1e308, 1e999, a 4,400-digit
  integer) in place of a value;
* `bad_json` - a body cut short, a body that is not an object, a byte that is not UTF-8, a NaN;
* `bad_route` - the operation's path with a method no operation has, or an unknown path;
* `bad_query` - a query string whose percent-escapes are not UTF-8.

Every one of these is bad, so every answer must be a 4xx (never a 2xx, never a 5xx) in AWS's
JSON error form: an `x-amzn-ErrorType` header and a JSON body with the same `__type` and a
`message`, without traceback text. The module counts what it sends and asserts at least
`MIN_REQUESTS` at the end.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import OperationModel
from hypothesis import HealthCheck, assume, configuration, given, settings
from hypothesis import strategies as st

from sluice.protocol.model import service_model
from tests.integration.test_fuzz import Account, _default_account, _model_valid, _seed, _strategies
from tests.support.server import REGION, SluiceServer
from tests.support.shapes import ShapeStrategies, apply, mutation_sites, raw_request

MODEL = service_model()
OPERATIONS = sorted(MODEL.operation_names)
EXAMPLES_PER_OPERATION = 84  # 25 x 84 = 2,100 bad requests
MIN_REQUESTS = 2000
KINDS = ("constraint", "deep", "surrogate", "huge_number", "bad_json", "bad_route", "bad_query")
TRACEBACK_TEXT = ("Traceback", 'File "')

SENT: Counter[str] = Counter()  # kind -> requests sent
STATUSES: Counter[int] = Counter()
DONE: set[str] = set()

FUZZ_SETTINGS = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

JsonPath = tuple[str | int, ...]


@dataclass
class Target:
    """The module's server, the account the requests sign as, and one HTTP client."""

    server: SluiceServer
    account: Account
    http: httpx.Client

    def send(self, method: str, path: str, body: bytes) -> httpx.Response:
        """Sign `method path` with botocore's SigV4 and send it as is."""
        url = self.server.url + path
        headers = {"Content-Type": "application/json"} if body else {}
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        credentials = Credentials(self.account.access_key_id, self.account.secret_access_key)
        SigV4Auth(credentials, "appflow", REGION).add_auth(request)
        return self.http.request(method, url, content=body, headers=dict(request.headers.items()))


@pytest.fixture(scope="module", autouse=True)
def hypothesis_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hypothesis's caches go to a temp dir, not `.hypothesis` in the repo."""
    configuration.set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(None)


@pytest.fixture(scope="module")
def target(start_server: Callable[..., SluiceServer]) -> Iterator[Target]:
    """One server (no run workers) with a flow, a scheduled flow, a profile and a connector seeded."""
    server = start_server(workers=0)
    account = _default_account(server)
    _seed(server, account)
    with httpx.Client(timeout=60) as http:
        yield Target(server, account, http)


# ---------------------------------------------------------------------------------------------
# Breaking a valid request


def _sites(document: Any, path: JsonPath = ()) -> Iterator[tuple[str, JsonPath]]:
    """("leaf", path) for every scalar in a JSON document, ("key", path) for every object key."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield "key", (*path, key)
            yield from _sites(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _sites(value, (*path, index))
    elif path:
        yield "leaf", path


def _replace(document: Any, path: JsonPath, value: Any) -> None:
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value


def _rename_key(document: Any, path: JsonPath, name: str) -> None:
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    parent[name] = parent.pop(path[-1])


def _nested(depth: int) -> bytes:
    """JSON text `depth` levels deep, alternating objects and arrays (text: json.dumps would recurse)."""
    opening = b"".join(b"[" if level % 2 else b'{"n":' for level in range(depth))
    closing = b"".join(b"]" if level % 2 else b"}" for level in reversed(range(depth)))
    return opening + b'"x"' + closing


HUGE_NUMBERS = (b"1" + b"0" * 30, b"-1" + b"0" * 30, b"1e308", b"1e999", b"9" * 4400)
SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")


def _with_raw(document: Any, path: JsonPath, raw: bytes) -> bytes:
    """The document's JSON text with `raw` (JSON text Python could not dump) as the value at `path`."""
    marker = "@@sluice-raw-value@@"
    _replace(document, path, marker)
    return json.dumps(document).encode().replace(json.dumps(marker).encode(), raw)


def break_request(
    op: OperationModel, params: dict[str, Any], data: st.DataObject, strategies: ShapeStrategies
) -> tuple[str, str, str, bytes]:
    """`(kind, method, path, body)`: the valid `params` of `op` made bad in one drawn way."""
    method, path, body = raw_request(op, params)
    document = json.loads(body) if body else {}
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    leaves = [p for k, p in _sites(document) if k == "leaf"]
    if kind == "constraint":
        sites = mutation_sites(op, params)
        if not sites:
            kind = "bad_json"
        else:
            mutation = data.draw(st.sampled_from(sites), label="mutation")
            broken = apply(mutation, params, data.draw, strategies)
            method, path, body = raw_request(op, broken.params)
            return kind, method, path, body
    if kind == "huge_number" and not leaves:
        kind = "deep"
    if kind == "deep":
        depth = data.draw(st.integers(65, 5000), label="depth")
        spots = [p for _, p in _sites(document)]
        where = data.draw(st.sampled_from(spots), label="where") if spots else ("unmodelled",)
        return kind, method, path, _with_raw(document, where, _nested(depth))
    if kind == "surrogate":
        lone = data.draw(st.sampled_from(SURROGATES), label="surrogate")
        texts = [(k, p) for k, p in _sites(document) if k == "key" or isinstance(_get(document, p), str)]
        if not texts:
            document["unmodelled" + lone] = "x"
        else:
            site, where = data.draw(st.sampled_from(texts), label="where")
            if site == "key":
                _rename_key(document, where, str(where[-1]) + lone)
            else:
                text = _get(document, where)
                cut = data.draw(st.integers(0, len(text)), label="cut")
                _replace(document, where, text[:cut] + lone + text[cut:])
        return kind, method, path, json.dumps(document, ensure_ascii=True).encode()
    if kind == "huge_number":
        where = data.draw(st.sampled_from(leaves), label="where")
        number = data.draw(st.sampled_from(HUGE_NUMBERS), label="number")
        return kind, method, path, _with_raw(document, where, number)
    if kind == "bad_json":
        text = json.dumps(document).encode()
        how = data.draw(st.sampled_from(["cut", "not_object", "not_utf8", "nan", "garbage"]), label="how")
        if how == "cut":
            return kind, method, path, text[: data.draw(st.integers(1, len(text) - 1), label="cut")]
        if how == "not_object":
            return kind, method, path, data.draw(st.sampled_from([b"[]", b'"flow"', b"42", b"null", b"true"]))
        if how == "not_utf8":
            return kind, method, path, b'{"flowName": "\xff\xfe"}'
        if how == "nan":
            return kind, method, path, b'{"maxResults": NaN}'
        return kind, method, path, text + b"}x"
    if kind == "bad_route":
        if data.draw(st.booleans(), label="unknown path"):
            tail = data.draw(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True), label="tail")
            return kind, "POST", f"/no-such-operation/{tail}", body
        return kind, data.draw(st.sampled_from(["PUT", "PATCH"]), label="method"), path, body
    # bad_query: percent-escapes that are not UTF-8 (a lone surrogate's CESU-8 bytes, a stray byte)
    escapes = data.draw(st.sampled_from(["%ED%A0%80", "%FF", "%C3", "%80%80"]), label="escapes")
    return kind, method, path + ("&" if "?" in path else "?") + f"x={escapes}", body


def _get(document: Any, path: JsonPath) -> Any:
    for part in path:
        document = document[part]
    return document


# ---------------------------------------------------------------------------------------------
# The property


def assert_aws_error(response: httpx.Response, context: Any) -> None:
    """A 4xx in AWS's JSON error form, without traceback text."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500], context)
    code = response.headers.get("x-amzn-ErrorType")
    body = response.json()
    assert isinstance(body, dict) and code and body.get("__type") == code, (response.text[:500], context)
    assert isinstance(body.get("message"), str) and body["message"], (response.text[:500], context)
    for marker in TRACEBACK_TEXT:
        assert marker not in response.text, response.text[:2000]


@pytest.mark.parametrize("op_name", OPERATIONS)
def test_bad_requests_get_4xx_aws_errors(target: Target, op_name: str, request: pytest.FixtureRequest) -> None:
    op = MODEL.operation_model(op_name)
    _seed(target.server, target.account)  # an earlier operation may have deleted the seeds
    strategies = _strategies(target.account, op)
    kinds: Counter[str] = Counter()

    @settings(FUZZ_SETTINGS, max_examples=EXAMPLES_PER_OPERATION)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        params = data.draw(strategies.for_input(op), label="valid params")
        assume(_model_valid(op, params))
        kind, method, path, body = break_request(op, params, data, strategies)
        response = target.send(method, path, body)
        SENT[kind] += 1
        STATUSES[response.status_code] += 1
        kinds[kind] += 1
        assert_aws_error(response, (kind, method, path, body[:300]))

    check()
    assert sum(kinds.values()) >= EXAMPLES_PER_OPERATION // 2, kinds
    DONE.add(request.node.nodeid)


def test_zz_request_count() -> None:
    """Runs last in the module: at least `MIN_REQUESTS` bad requests, every kind well represented."""
    if len(DONE) < len(OPERATIONS):
        pytest.skip(f"only {len(DONE)} of {len(OPERATIONS)} operations were fuzzed in this process")
    print(f"bad requests by kind: {dict(SENT)}; statuses: {dict(STATUSES)}")
    assert sum(SENT.values()) >= MIN_REQUESTS, dict(SENT)
    assert all(SENT[kind] >= 100 for kind in KINDS), dict(SENT)
    assert not [status for status in STATUSES if status >= 500], dict(STATUSES)
