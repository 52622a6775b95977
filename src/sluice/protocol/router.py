"""Method + path -> operation, from each operation's `http.requestUri` (protocol layer).

The routes are the model's: there is no second routing table. A URI template such as
`/tags/{resourceArn}` becomes a matcher whose labels are percent-decoded after matching, because
botocore encodes labels with `safe=''` (an ARN's '/' arrives as `%2F`). A raw '/' inside a label
is accepted too (greedily), so hand-written clients that do not encode the ARN still route.
Neighbours: `sigv4` runs before, `parser` after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel

from sluice.protocol import errors
from sluice.protocol.model import service_model

_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    operation: OperationModel
    literal_length: int  # longer literal prefixes win over catch-all labels


def _compile_template(uri: str) -> tuple[re.Pattern[str], int]:
    """Turn `/tags/{resourceArn}` into a regex for `fullmatch`. Labels (plain or `{label+}`)
    may span '/', since an ARN may arrive with its '/' unencoded; a trailing '/' is not taken."""
    path = uri.split("?", 1)[0].rstrip("/")
    parts: list[str] = []
    pos = 0
    literal = 0
    for m in _LABEL.finditer(path):
        parts.append(re.escape(path[pos : m.start()]))
        literal += m.start() - pos
        name = m.group(1).rstrip("+")
        parts.append(f"(?P<{name}>.+?)")
        pos = m.end()
    parts.append(re.escape(path[pos:]))
    literal += len(path) - pos
    return re.compile("".join(parts) + "/?"), literal


class Router:
    """Matches an HTTP method and raw (percent-encoded) path to an operation of the model."""

    def __init__(self, model: ServiceModel | None = None) -> None:
        model = model if model is not None else service_model()
        self._static: dict[tuple[str, str], OperationModel] = {}
        routes: list[_Route] = []
        for name in model.operation_names:
            op = model.operation_model(name)
            method = op.http["method"].upper()
            uri = op.http["requestUri"].split("?", 1)[0]
            if "{" in uri:
                pattern, literal = _compile_template(uri)
                routes.append(_Route(method, pattern, op, literal))
            else:
                # Most AppFlow operations have a fixed URI: one dict lookup.
                self._static[(method, uri.rstrip("/") or "/")] = op
        routes.sort(key=lambda r: -r.literal_length)
        self._routes: tuple[_Route, ...] = tuple(routes)

    def match(self, method: str, raw_path: str) -> tuple[OperationModel, dict[str, str]]:
        """The operation for `method raw_path` and its percent-decoded URI labels.

        The query string, if any, is ignored; a trailing '/' is tolerated. Raises a 404
        UnknownOperationException when no operation has this method and path.
        """
        method = method.upper()
        path = raw_path.split("?", 1)[0]
        op = self._static.get((method, path.rstrip("/") or "/"))
        if op is not None:
            return op, {}
        for route in self._routes:
            if route.method == method:
                m = route.pattern.fullmatch(path)
                if m is not None:
                    return route.operation, {k: unquote(v) for k, v in m.groupdict().items()}
        raise errors.unknown_operation(method, path)
