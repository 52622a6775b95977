"""Model-driven fuzzing of a real server: strategies generated from botocore's AppFlow shapes.

Three properties per operation, against one SQLite server owned by this module:

* valid requests (model-valid by construction, and by botocore's own `ParamValidator`), sent
  through a real boto3 client with client-side validation on, never get a 5xx: any error is a
  4xx the operation models (or ValidationException), and never the model validator's "N
  validation errors detected" (the request is model-valid, so only the service's checks of
  meaning may refuse it);
* one broken constraint (a dropped required member, a string too long or short, a value outside
  the enum, a number out of range, a pattern violation, a list or map too long, a null entry, a
  wrong JSON type), sent as a hand-built signed request, gets 400 `ValidationException` naming
  the field path. A wrong JSON type is a `ValidationException` ("Member must be of type ...")
  too: Sluice answers `SerializationException` only when the body is not a JSON object at all;
* unknown fields are ignored: a valid raw request with unknown members added anywhere in its
  body gets the same status and error type as the same request without them. The two go to two
  fresh accounts seeded alike, so the first one's side effects cannot change the second's answer.

Every response body is checked for traceback text. The module counts the requests it sends and
asserts at the end that it sent at least `MIN_REQUESTS`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx
import pytest
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape
from botocore.utils import percent_encode
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, assume, configuration, given, settings
from hypothesis import strategies as st

from sluice.connectors import managed
from sluice.protocol.model import service_model
from tests.integration.builders import salesforce_profile, share_test_resources
from tests.support.server import ACCESS_KEY, REGION, SECRET_KEY, SluiceServer, free_port
from tests.support.shapes import ShapeStrategies, apply, mutation_sites, raw_request

MODEL = service_model()
OPERATIONS = sorted(MODEL.operation_names)
# ValidationException is a common error of every AWS operation, modelled on it or not.
COMMON_ERRORS = frozenset({"ValidationException"})
# Operations that check a profile with its vendor: a vendor Sluice cannot reach (here: every
# vendor) is a ConnectorServerException naming it (docs/behaviour.md), a 400, not a 5xx.
VENDOR_ERRORS = {"CreateConnectorProfile": frozenset({"ConnectorServerException"}),
                 "UpdateConnectorProfile": frozenset({"ConnectorServerException"})}
VALID_EXAMPLES = 60
INVALID_EXAMPLES = 60
UNKNOWN_FIELD_EXAMPLES = 16  # two requests each
MIN_REQUESTS = 2000
MODEL_VALIDATION_MESSAGE = re.compile(r"^\d+ validation errors? detected: ")
TRACEBACK_TEXT = ("Traceback", 'File "')

SENT: Counter[str] = Counter()  # property -> requests sent
DONE: set[str] = set()  # test ids of the properties that ran

FUZZ_SETTINGS = settings(
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@dataclass
class Account:
    """An account's keys and the ARNs of the resources seeded into it."""

    account_id: str
    access_key_id: str
    secret_access_key: str
    arns: list[str] = field(default_factory=list)

    def client(self, server: SluiceServer) -> Any:
        """A boto3 client signing as this account."""
        return server.client(self.access_key_id, self.secret_access_key)


@dataclass
class Fuzz:
    """The module's server, its accounts and an HTTP client for hand-built requests."""

    server: SluiceServer
    http: httpx.Client
    main: Account  # valid (boto3) and invalid (raw) requests
    plain: Account  # unknown-field pairs: the request as generated ...
    padded: Account  # ... and with unknown fields added

    def send(
        self, account: Account, method: str, path: str, body: bytes, counted: str = "other"
    ) -> httpx.Response:
        """Sign `method path` with `account`'s keys (botocore SigV4) and send it."""
        url = self.server.url + path
        headers = {"Content-Type": "application/json"} if body else {}
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        SigV4Auth(Credentials(account.access_key_id, account.secret_access_key), "appflow", REGION).add_auth(request)
        response = self.http.request(method, url, content=body, headers=dict(request.headers.items()))
        SENT[counted] += 1
        assert_no_traceback(response.text)
        return response


def assert_no_traceback(text: str) -> None:
    """No Python traceback text leaks into a response body."""
    for marker in TRACEBACK_TEXT:
        assert marker not in text, text[:2000]


SEED_FLOWS = ("fuzz-flow", "fuzz-scheduled")
SEED_PROFILE = "fuzz-profile"
SEED_LABEL = "fuzz-connector"


def _s3_flow(name: str, trigger: dict[str, Any]) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": trigger,
        "sourceFlowConfig": {
            "connectorType": "S3",
            "sourceConnectorProperties": {"S3": {"bucketName": "fuzz-source", "bucketPrefix": "in"}},
        },
        "destinationFlowConfigList": [{
            "connectorType": "S3",
            "destinationConnectorProperties": {"S3": {"bucketName": "fuzz-destination", "bucketPrefix": "out"}},
        }],
        "tasks": [{
            "sourceFields": [], "taskType": "Map_all", "connectorOperator": {"S3": "NO_OP"},
            "taskProperties": {"EXCLUDE_SOURCE_FIELDS_LIST": "[]"},
        }],
    }


def _seed(server: SluiceServer, account: Account) -> None:
    """The same few resources in every account, so pooled names and ARNs find something.

    Called before each operation's properties: an earlier operation's fuzzing may have deleted
    them (a resource that is still there answers ConflictException and stays as it is).
    """
    client = account.client(server)
    scheduled = {"triggerType": "Scheduled",
                 "triggerProperties": {"Scheduled": {"scheduleExpression": "rate(1hours)"}}}
    creates: list[tuple[str, Any]] = [
        ("flowArn", lambda: client.create_flow(**_s3_flow(SEED_FLOWS[0], {"triggerType": "OnDemand"}))),
        ("flowArn", lambda: client.create_flow(**_s3_flow(SEED_FLOWS[1], scheduled))),
        ("connectorProfileArn", lambda: client.create_connector_profile(
            **salesforce_profile(SEED_PROFILE, "fuzz-token"))),
        ("connectorArn", lambda: client.register_connector(
            connectorLabel=SEED_LABEL,
            connectorProvisioningType="LAMBDA",
            connectorProvisioningConfig={
                "lambda": {"lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:fuzz"}
            },
        )),
    ]
    for key, create in creates:
        try:
            arn = create()[key]
        except client.exceptions.ConflictException:
            continue
        if arn not in account.arns:
            account.arns.append(arn)


def _new_account(server: SluiceServer, name: str) -> Account:
    done = server.cli("accounts", "create", name)
    assert done.returncode == 0, done.stderr
    share_test_resources(server, name)
    exports = dict(re.findall(r"^export (\w+)=(\S+)$", done.stdout, re.MULTILINE))
    account_id = re.search(r"^# account \S+: (\d{12})$", done.stdout, re.MULTILINE)
    assert account_id, done.stdout
    return Account(account_id.group(1), exports["AWS_ACCESS_KEY_ID"], exports["AWS_SECRET_ACCESS_KEY"])


def _default_account(server: SluiceServer) -> Account:
    done = server.cli("accounts", "list")
    match = re.search(r"^default\s+(\d{12})\s", done.stdout, re.MULTILINE)
    assert match, done.stdout
    return Account(match.group(1), ACCESS_KEY, SECRET_KEY)


@pytest.fixture(scope="module", autouse=True)
def hypothesis_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hypothesis's caches (constants, Unicode tables) go to a temp dir, not `.hypothesis` in the repo.

    `database=None` keeps examples out of the repo; this keeps the rest out too.
    """
    configuration.set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(None)


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    """One SQLite server for the whole module (no run workers), with three seeded accounts."""
    # S3 metadata calls and vendor calls (a generated profile's credentials are checked with its
    # vendor) go to a closed local port: they fail fast and stay offline.
    dead_s3 = f"http://127.0.0.1:{free_port()}"
    dead_vendor = f"https://127.0.0.1:{free_port()}"
    vendors = {f"SLUICE_ENDPOINT_URL_{re.sub(r'[^A-Z0-9]', '_', name.upper())}": dead_vendor
               for name in (*MODEL.shape_for("ConnectorType").enum, *managed.LABELS)}
    server = SluiceServer(
        data_dir=tmp_path_factory.mktemp("sluice-fuzz"),
        workers=0,
        extra_env={
            **vendors,
            "AWS_ENDPOINT_URL_S3": dead_s3,
            "AWS_ACCESS_KEY_ID": "fuzz",
            "AWS_SECRET_ACCESS_KEY": "fuzz",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    server.start()
    try:
        main = _default_account(server)
        plain = _new_account(server, "fuzz-plain")
        padded = _new_account(server, "fuzz-padded")
        for account in (main, plain, padded):
            _seed(server, account)
        with httpx.Client(timeout=30) as http:
            yield Fuzz(server, http, main, plain, padded)
    finally:
        server.stop()


# The member naming the new resource of each create: never a seeded name (that could only ever
# be a ConflictException); the names a create refers to (a flow's profile) still are.
NEW_NAMES = {"CreateFlow": "flowName", "CreateConnectorProfile": "connectorProfileName",
             "RegisterConnector": "connectorLabel"}


def _strategies(account: Account, op: OperationModel) -> ShapeStrategies:
    """Strategies whose names and ARNs sometimes point at the account's seeded resources."""
    return ShapeStrategies(
        {
            "flowName": SEED_FLOWS,
            "connectorProfileName": (SEED_PROFILE,),
            "connectorProfileNames": ([SEED_PROFILE],),
            "connectorLabel": (SEED_LABEL,),
            "resourceArn": account.arns,
        },
        fresh=frozenset({NEW_NAMES[op.name]} if op.name in NEW_NAMES else ()),
    )


def _model_valid(op: OperationModel, params: dict[str, Any]) -> bool:
    """botocore's own verdict (required, types, minimums); the generator honours the rest."""
    if op.input_shape is None:
        return True
    return not ParamValidator().validate(params, op.input_shape).has_errors()


# ---------------------------------------------------------------------------------------------
# (a) valid requests through boto3


@pytest.mark.parametrize("op_name", OPERATIONS)
def test_valid_requests_get_no_5xx(fuzz: Fuzz, op_name: str, request: pytest.FixtureRequest) -> None:
    op = MODEL.operation_model(op_name)
    _seed(fuzz.server, fuzz.main)
    strategies = _strategies(fuzz.main, op)
    client = boto3.client(
        "appflow",
        endpoint_url=fuzz.server.url,
        region_name=REGION,
        aws_access_key_id=fuzz.main.access_key_id,
        aws_secret_access_key=fuzz.main.secret_access_key,
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )
    statuses: list[int] = []

    def after_call(http_response: Any, **_: Any) -> None:
        SENT["valid"] += 1
        statuses.append(http_response.status_code)
        assert_no_traceback(http_response.text)

    client.meta.events.register("after-call.appflow", after_call)
    call = getattr(client, xform_name(op.name))
    modelled = COMMON_ERRORS | VENDOR_ERRORS.get(op.name, frozenset()) | {shape.name for shape in op.error_shapes}

    @settings(FUZZ_SETTINGS, max_examples=VALID_EXAMPLES)
    @given(params=strategies.for_input(op))
    def check(params: dict[str, Any]) -> None:
        assume(_model_valid(op, params))
        try:
            call(**params)
        except ClientError as exc:
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            code = exc.response["Error"]["Code"]
            message = exc.response["Error"].get("Message", "")
            assert status < 500, (code, message)
            assert code in modelled, (status, code, message)
            assert not MODEL_VALIDATION_MESSAGE.match(message), f"model validation refused a valid request: {message}"

    check()
    assert statuses, "no request was sent"
    DONE.add(request.node.nodeid)


# ---------------------------------------------------------------------------------------------
# (b) one broken constraint, sent raw


@pytest.mark.parametrize("op_name", OPERATIONS)
def test_one_broken_constraint_is_a_validation_exception(
    fuzz: Fuzz, op_name: str, request: pytest.FixtureRequest
) -> None:
    op = MODEL.operation_model(op_name)
    strategies = _strategies(fuzz.main, op)
    kinds: Counter[str] = Counter()

    @settings(FUZZ_SETTINGS, max_examples=INVALID_EXAMPLES)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        params = data.draw(strategies.for_input(op), label="valid params")
        assume(_model_valid(op, params))
        sites = mutation_sites(op, params)
        assume(sites)
        kind = data.draw(st.sampled_from(sorted({site.kind for site in sites})), label="kind")
        mutation = data.draw(st.sampled_from([site for site in sites if site.kind == kind]), label="mutation")
        broken = apply(mutation, params, data.draw, strategies)
        method, path, body = raw_request(op, broken.params)
        response = fuzz.send(fuzz.main, method, path, body, counted="invalid")
        kinds[broken.kind] += 1
        assert response.status_code == 400, (broken, response.text)
        assert response.headers.get("x-amzn-ErrorType") == "ValidationException", (broken, response.text)
        message = response.json()["message"]
        assert f"at '{broken.field}'" in message, (broken.field, message)
        assert broken.phrase in message, (broken.phrase, message)

    check()
    assert sum(kinds.values()) >= INVALID_EXAMPLES // 2, kinds
    DONE.add(request.node.nodeid)


# ---------------------------------------------------------------------------------------------
# (c) unknown fields are ignored


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)


def _body_structures(shape: Shape, value: Any, path: tuple[Any, ...], out: list[tuple[tuple[Any, ...], Shape]]) -> None:
    """Paths of the JSON objects in a request body that are structures (where unknown members may go)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        out.append((path, shape))
        for name, item in value.items():
            member = shape.members[name]
            if "location" not in member.serialization:
                _body_structures(member, item, (*path, name), out)
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            _body_structures(shape.member, item, (*path, i), out)
    elif shape.type_name == "map":
        for key, item in value.items():
            _body_structures(shape.value, item, (*path, key), out)


def _pad(op: OperationModel, body: bytes, path: str, data: st.DataObject) -> tuple[bytes, str]:
    """The request with 1-3 unknown members added to its JSON objects (or unknown query keys)."""
    shape = op.input_shape
    if not body:  # a GET or DELETE: unknown query parameters instead
        extra = data.draw(st.lists(_NAME.filter(lambda n: n not in ("tagKeys",)), min_size=1, max_size=3))
        pairs = "&".join(f"{percent_encode(n)}={percent_encode(data.draw(st.text(max_size=8)))}" for n in extra)
        return body, path + ("&" if "?" in path else "?") + pairs
    document = json.loads(body)
    spots: list[tuple[tuple[Any, ...], Shape]] = []
    if shape is not None:
        _body_structures(shape, document, (), spots)
    for _ in range(data.draw(st.integers(1, 3))):
        where, struct = data.draw(st.sampled_from(spots))
        target: Any = document
        for part in where:
            target = target[part]
        known = set(struct.members) | {m.serialization.get("name", n) for n, m in struct.members.items()}
        name = data.draw(_NAME.filter(lambda n, known=known: n not in known))
        target[name] = data.draw(_JSON)
    return json.dumps(document).encode(), path


@pytest.mark.parametrize("op_name", OPERATIONS)
def test_unknown_fields_are_ignored(fuzz: Fuzz, op_name: str, request: pytest.FixtureRequest) -> None:
    op = MODEL.operation_model(op_name)
    _seed(fuzz.server, fuzz.plain)
    _seed(fuzz.server, fuzz.padded)
    strategies = _strategies(fuzz.plain, op)
    old, new = fuzz.plain.account_id, fuzz.padded.account_id

    @settings(FUZZ_SETTINGS, max_examples=UNKNOWN_FIELD_EXAMPLES)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        params = data.draw(strategies.for_input(op), label="valid params")
        assume(_model_valid(op, params))
        method, path, body = raw_request(op, params)
        padded_body, padded_path = _pad(op, body, path, data)
        # The padded account has the same resources under its own account id.
        padded_body = padded_body.replace(old.encode(), new.encode())
        padded_path = padded_path.replace(old, new)
        plain = fuzz.send(fuzz.plain, method, path, body, counted="unknown-field")
        padded = fuzz.send(fuzz.padded, method, padded_path, padded_body, counted="unknown-field")
        assert plain.status_code < 500, plain.text
        assert (padded.status_code, padded.headers.get("x-amzn-ErrorType")) == (
            plain.status_code, plain.headers.get("x-amzn-ErrorType")
        ), (plain.text, padded.text, padded_body)

    check()
    DONE.add(request.node.nodeid)


# ---------------------------------------------------------------------------------------------
# Bodies and routes the model has no operation for


@pytest.mark.parametrize(
    "body",
    [b"{", b"not json", b"[1, 2]", b'"flow"', b"42", b'{"flowName": NaN}', b"\xff\xfe{}", b'{"flowName": "a"'],
)
def test_malformed_json_is_a_serialization_exception(fuzz: Fuzz, body: bytes) -> None:
    response = fuzz.send(fuzz.main, "POST", "/describe-flow", body)
    assert response.status_code == 400, response.text
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"
    assert response.json()["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/no-such-operation"), ("POST", "/describe-flows"), ("GET", "/create-flow"), ("PUT", "/tags/x"),
     ("POST", "/"), ("DELETE", "/list-flows")],
)
def test_unknown_route_is_404_unknown_operation(fuzz: Fuzz, method: str, path: str) -> None:
    response = fuzz.send(fuzz.main, method, path, b"{}" if method in ("POST", "PUT") else b"")
    assert response.status_code == 404, response.text
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert response.json()["message"]


def test_required_query_list_may_be_empty(fuzz: Fuzz) -> None:
    """Found by the valid-request property: botocore sends `tagKeys=[]` as no query key at all."""
    client = fuzz.main.client(fuzz.server)
    arn = client.create_flow(**_s3_flow(f"fuzz-untag-{uuid.uuid4().hex[:8]}", {"triggerType": "OnDemand"}))["flowArn"]
    client.tag_resource(resourceArn=arn, tags={"team": "data"})
    client.untag_resource(resourceArn=arn, tagKeys=[])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "data"}


def test_zz_request_count() -> None:
    """Runs last in the module: the properties above sent at least `MIN_REQUESTS` requests."""
    expected = 3 * len(OPERATIONS)
    if len(DONE) < expected:
        pytest.skip(f"only {len(DONE)} of {expected} fuzz properties ran in this process")
    total = SENT["valid"] + SENT["invalid"] + SENT["unknown-field"]
    assert total >= MIN_REQUESTS, dict(SENT)
