"""sluice.protocol.router: every operation routes from the request botocore makes for it."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from sluice.protocol.errors import ProtocolError
from sluice.protocol.model import service_model
from sluice.protocol.router import Router

from ._wire import FLOW_ARN, botocore_request, operation, sample_params, split

ROUTER = Router()


@pytest.mark.parametrize("name", service_model().operation_names)
def test_every_operation_routes_from_botocores_request(name: str) -> None:
    op = operation(name)
    method, path, _, _, _ = split(botocore_request(op, sample_params(op)))
    matched, labels = ROUTER.match(method, path)
    assert matched.name == name
    if "{resourceArn}" in op.http["requestUri"]:
        assert "%2F" in path  # botocore encodes the ARN's '/'
        assert labels == {"resourceArn": FLOW_ARN}
    else:
        assert labels == {}


@pytest.mark.parametrize(
    ("method", "name"), [("GET", "ListTagsForResource"), ("POST", "TagResource"), ("DELETE", "UntagResource")]
)
def test_tag_routes_share_a_uri_and_split_by_method(method: str, name: str) -> None:
    op, labels = ROUTER.match(method, "/tags/" + quote(FLOW_ARN, safe=""))
    assert op.name == name
    assert labels == {"resourceArn": FLOW_ARN}


def test_raw_slash_and_colons_in_label_are_taken_greedily() -> None:
    op, labels = ROUTER.match("GET", "/tags/" + FLOW_ARN)
    assert op.name == "ListTagsForResource"
    assert labels == {"resourceArn": FLOW_ARN}


def test_query_string_and_trailing_slash_are_ignored() -> None:
    assert ROUTER.match("POST", "/create-flow/?x=1")[0].name == "CreateFlow"
    assert ROUTER.match("post", "/list-flows")[0].name == "ListFlows"
    op, labels = ROUTER.match("DELETE", f"/tags/{quote(FLOW_ARN, safe='')}/?tagKeys=a")
    assert op.name == "UntagResource"
    assert labels == {"resourceArn": FLOW_ARN}


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/no-such-op"), ("GET", "/create-flow"), ("PUT", "/tags/x"), ("GET", "/tags/"), ("GET", "/")],
)
def test_unknown_routes_are_404_unknown_operation(method: str, path: str) -> None:
    with pytest.raises(ProtocolError) as info:
        ROUTER.match(method, path)
    assert info.value.code == "UnknownOperationException"
    assert info.value.status == 404
