"""Outbound calls to vendors (connectors layer): which URLs Sluice may call, and clients that call only those.

Every connector that talks HTTP to a vendor builds its client with `vendor_http_client` and checks
the URLs a caller supplies (a profile's `instanceUrl`, a custom connector's `tokenUrl`) with
`check_vendor_url` when the profile is created or updated. The rules (docs/security.md):

* only `https` URLs, on public addresses: loopback, private, link-local, CGNAT, unique-local,
  documentation and other non-global addresses, and names such as `localhost`, `*.internal`,
  `*.local` or single-label names, are refused;
* cloud metadata addresses (169.254.169.254 and friends, `metadata.google.internal`), `0.0.0.0`,
  multicast and broadcast are refused always, whatever the operator allows;
* a vendor with known API hosts (Salesforce: `*.salesforce.com`, `*.force.com`, ...) is called on
  those hosts only;
* `SLUICE_ALLOW_PRIVATE_ENDPOINTS=true` (tests, fakes, on-premises vendors) allows `http` and
  loopback/private addresses and names, also for vendors with known hosts; a public host that
  is not one of the vendor's stays refused.

`check_vendor_url` needs no DNS: it decides from the URL alone. The client enforces the rules
again on every connection, including redirects: its transport checks each request's URL, and
its network backend resolves the host once, checks *every* address the name resolves to, and
connects to one of exactly those addresses (TLS still verifies the certificate against the
name). A name that resolved to a public address when the profile was saved and to 127.0.0.1 at
call time (DNS rebinding) is therefore refused at call time. Refusals are raised before any
connection is tried, so their messages cannot tell an open port from a closed one.

A vendor whose API host is not part of the profile takes its base URL from
`SLUICE_ENDPOINT_URL_<CONNECTORTYPE>` (`endpoint_override`), as AWS clients take
`AWS_ENDPOINT_URL_<SERVICE>`; that host counts as one of the vendor's known hosts.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import re
import socket
import ssl
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from sluice.connectors.base import ConnectorError
from sluice.settings import current

log = logging.getLogger(__name__)

ALLOW_PRIVATE_ENV = "SLUICE_ALLOW_PRIVATE_ENDPOINTS"

# Address classes (`classify_address`).
PUBLIC = "public"
PRIVATE = "private"  # refused unless SLUICE_ALLOW_PRIVATE_ENDPOINTS=true
FORBIDDEN = "forbidden"  # refused always

# Instance metadata and credential endpoints of the clouds Sluice may run on (AWS EC2 IMDS, ECS task
# metadata, EKS Pod Identity, Alibaba Cloud; GCP, Azure and OCI use 169.254.169.254 as well). They
# hand out the host's cloud credentials, so no setting makes them a vendor.
_METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "169.254.170.23", "100.100.100.200", "fd00:ec2::254", "fd00:ec2::23",
))
_METADATA_NAMES = frozenset({
    "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    "metadata.azure.internal",
})
# Names that only resolve inside a host or a private network (RFC 6761, RFC 6762, RFC 8375, ICANN's
# .internal). Single-label names are private too: the resolver's search domains complete them.
_PRIVATE_NAME_SUFFIXES = ("localhost", "local", "internal", "localdomain", "home.arpa", "lan", "intranet")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")
_HINT = f"set {ALLOW_PRIVATE_ENV}=true to allow loopback and private endpoints (tests, on-premises vendors)"


class EndpointRefused(ConnectorError):
    """A vendor URL or address Sluice will not call (an `InvalidArgument`: AppFlow's ValidationException)."""

    def __init__(self, message: str) -> None:
        super().__init__("InvalidArgument", message)


def private_endpoints_allowed() -> bool:
    """True when the operator set `SLUICE_ALLOW_PRIVATE_ENDPOINTS=true` (sluice/settings.py)."""
    return current().connectors.allow_private_endpoints


# -- classifying addresses and names ------------------------------------------------------------


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[list[ipaddress.IPv4Address], bool]:
    """IPv4 addresses an IPv6 address carries, and whether the IPv6 form is only a spelling of them
    (IPv4-mapped and -compatible) rather than a route through a translator (NAT64, 6to4, Teredo)."""
    packed = int(address)
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped], True
    if packed >> 32 == 0:  # ::a.b.c.d, the deprecated IPv4-compatible form
        return [ipaddress.IPv4Address(packed)], True
    found: list[ipaddress.IPv4Address] = []
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    return found, False


def classify_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """`PUBLIC`, `PRIVATE` or `FORBIDDEN` for one IP address (IPv6 forms of IPv4 addresses included)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0]) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    if ip in _METADATA_ADDRESSES or ip.is_unspecified or ip.is_multicast:
        return FORBIDDEN
    if isinstance(ip, ipaddress.IPv4Address):
        if ip in _THIS_NETWORK or ip.is_reserved or ip == _BROADCAST:
            return FORBIDDEN  # 0.x reaches the local host on Linux; 240/4 and broadcast are no hosts
        return PUBLIC if ip.is_global else PRIVATE
    if ip.is_loopback:
        return PRIVATE
    embedded, spelling = _embedded_ipv4(ip)
    verdict = PRIVATE if (ip.is_site_local or not ip.is_global) and not spelling else PUBLIC
    for inner in embedded:
        inner_class = classify_address(inner)
        if inner_class == FORBIDDEN:
            return FORBIDDEN
        if inner_class == PRIVATE:
            verdict = PRIVATE
    return verdict


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address `host` spells, including the legacy IPv4 forms resolvers accept (`127.1`, `0x7f.1`,
    `2130706433`), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host) and not host.endswith("."):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def classify_host(host: str) -> str | None:
    """The class a URL's host has without DNS: an address's class, `FORBIDDEN` for metadata names,
    `PRIVATE` for local-only names, None for a name only DNS can judge."""
    host = host.lower().rstrip(".")
    ip = _literal(host)
    if ip is not None:
        return classify_address(ip)
    if not host:
        return FORBIDDEN
    if host in _METADATA_NAMES:
        return FORBIDDEN
    if "." not in host or any(host == s or host.endswith("." + s) for s in _PRIVATE_NAME_SUFFIXES):
        return PRIVATE
    return None


def host_is_known(host: str, allowed_host_suffixes: Sequence[str] | None) -> bool:
    """True when `host` is one of the vendor's hosts (or a subdomain of one); any host when None."""
    if allowed_host_suffixes is None:
        return True
    host = host.lower().rstrip(".")
    for suffix in allowed_host_suffixes:
        suffix = suffix.lower().strip(".")
        if suffix and (host == suffix or host.endswith("." + suffix)):
            return True
    return False


# -- checking URLs ------------------------------------------------------------------------------


def _origin(scheme: str, host: str) -> str:
    """How a refused URL is named in messages: scheme and host, never the port (refusals must read
    the same for every port) nor a path or query (which could carry a value)."""
    return f"{scheme}://[{host}]" if ":" in host else f"{scheme}://{host}"


def _describe(suffixes: Sequence[str]) -> str:
    return ", ".join(f"*.{s.strip('.')}" for s in suffixes[:8]) + (", ..." if len(suffixes) > 8 else "")


def check_vendor_url(url: str, *, allowed_host_suffixes: Sequence[str] | None = None, what: str = "the URL") -> str:
    """`url` (stripped) when Sluice may call it; `EndpointRefused` otherwise. No DNS, no network.

    `allowed_host_suffixes` are the vendor's known hosts (a host matches itself and its
    subdomains); None allows any public host. `what` names the URL in messages.
    """
    text = str(url or "").strip()
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise EndpointRefused(f"{what} is not a valid URL") from None
    scheme = parts.scheme.lower()
    allow = private_endpoints_allowed()
    if scheme not in ("https", "http") or not host:
        raise EndpointRefused(f"{what} must be an https URL with a host name")
    origin = _origin(scheme, host)
    if scheme == "http" and not allow:
        raise EndpointRefused(f"{what} {origin} is refused: Sluice calls vendors over https only ({_HINT})")
    _check_host(host, allowed_host_suffixes, allow, f"{what} {origin}")
    return text


def _check_host(host: str, suffixes: Sequence[str] | None, allow: bool, subject: str) -> None:
    """The URL-level host rules (see the module docstring); raises `EndpointRefused`."""
    kind = classify_host(host)
    if kind == FORBIDDEN:
        raise EndpointRefused(f"{subject} is refused: it names a cloud metadata, unspecified, multicast or "
                              "reserved address, which Sluice never calls")
    if kind == PRIVATE:
        if not allow:
            raise EndpointRefused(f"{subject} is refused: it names a loopback, private or link-local "
                                  f"address; Sluice calls vendors only at public endpoints ({_HINT})")
        return  # private endpoints allowed: the vendor's known hosts do not apply to them
    if not host_is_known(host, suffixes):
        assert suffixes is not None
        raise EndpointRefused(f"{subject} is refused: it is not one of the vendor's hosts ({_describe(suffixes)})")


_PROFILE_URLS: tuple[tuple[str, ...], ...] = (
    ("instanceUrl",),
    ("applicationHostUrl",),
    ("oAuth2Properties", "tokenUrl"),
    ("oAuthProperties", "tokenUrl"),
)


def check_profile_urls(properties: Mapping[str, Any], allowed_host_suffixes: Sequence[str] | None = None) -> None:
    """Check the vendor URLs among a connector profile's properties (the connector type's member):
    `instanceUrl`, `applicationHostUrl` and OAuth `tokenUrl`s. Raises `EndpointRefused`."""
    for path in _PROFILE_URLS:
        value: Any = properties
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str) and value:
            # A token URL is the vendor's too; custom connectors declare theirs in the registration.
            hosts = allowed_host_suffixes if path[0] in ("instanceUrl", "applicationHostUrl") else None
            check_vendor_url(value, allowed_host_suffixes=hosts, what=".".join(path))


# -- the operator's endpoint overrides ----------------------------------------------------------


def endpoint_override(connector_type: str) -> str | None:
    """`SLUICE_ENDPOINT_URL_<CONNECTORTYPE>` (e.g. Amplitude's), without a trailing
    slash; None when unset. The URL is still checked when it is called."""
    name = f"SLUICE_ENDPOINT_URL_{re.sub(r'[^A-Z0-9]', '_', connector_type.upper())}"
    value = (os.environ.get(name) or "").strip().rstrip("/")
    return value or None


def known_hosts(connector_type: str, suffixes: Iterable[str], *operator_urls: str | None) -> tuple[str, ...]:
    """A vendor's known hosts: `suffixes`, plus the hosts of its endpoint override and of the other
    URLs the operator configured for it (e.g. a login host)."""
    hosts = list(suffixes)
    for url in (endpoint_override(connector_type), *operator_urls):
        if url:
            try:
                host = urlsplit(url.strip()).hostname
            except ValueError:
                host = None
            if host:
                hosts.append(host.rstrip("."))
    return tuple(hosts)


# -- the connection-time guard -------------------------------------------------------------------


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (first-seen order); `OSError` when it does not resolve."""
    seen: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen


def checked_addresses(host: str, port: int, allowed_host_suffixes: Sequence[str] | None) -> list[str]:
    """The addresses to connect to for `host`, each checked; `EndpointRefused` when any is refused.

    Called by the client's network backend just before it connects, so what is checked is what
    is connected to. A name that does not resolve raises `httpcore.ConnectError`.
    """
    allow = private_endpoints_allowed()
    subject = f"the endpoint host {host}"
    _check_host(host, allowed_host_suffixes, allow, subject)
    try:
        # Looked up through the module so a test can stand in a resolver for DNS rebinding.
        addresses = resolve_host(host, port)
    except (OSError, UnicodeError):
        raise httpcore.ConnectError("the host name could not be resolved") from None
    if not addresses:
        raise httpcore.ConnectError("the host name could not be resolved")
    known = host_is_known(host, allowed_host_suffixes)
    for address in addresses:
        kind = classify_address(address)
        if kind == FORBIDDEN:
            raise EndpointRefused(f"{subject} is refused: it resolves to a cloud metadata, unspecified, "
                                  "multicast or reserved address, which Sluice never calls")
        if kind == PRIVATE and not allow:
            raise EndpointRefused(f"{subject} is refused: it resolves to a loopback, private or link-local "
                                  f"address; Sluice calls vendors only at public endpoints ({_HINT})")
        if kind == PUBLIC and not known:
            # Only a private name or address may stand outside the vendor's hosts (with the operator's leave).
            assert allowed_host_suffixes is not None
            raise EndpointRefused(f"{subject} is refused: it is not one of the vendor's hosts "
                                  f"({_describe(allowed_host_suffixes)})")
    return addresses


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to addresses `checked_addresses` allowed."""

    def __init__(self, allowed_host_suffixes: Sequence[str] | None) -> None:
        self._suffixes = allowed_host_suffixes

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in checked_addresses(host, port, self._suffixes):
            log.debug("connecting to %s port %d at %s", host, port, address)
            try:
                # A numeric address: the socket layer does not resolve the name a second time.
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure


class VendorTransport(httpx.HTTPTransport):
    """An httpx transport that checks every request's URL and connects through `_GuardedBackend`."""

    def __init__(self, *, allowed_host_suffixes: Sequence[str] | None, ssl_context: ssl.SSLContext,
                 limits: httpx.Limits) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        self._suffixes = tuple(allowed_host_suffixes) if allowed_host_suffixes is not None else None
        # httpx builds its pool without a way to pass a network backend: build the same pool with
        # ours. (tests/unit/connectors/test_outbound.py proves the backend is the one used.)
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(self._suffixes),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        check_vendor_url(str(request.url), allowed_host_suffixes=self._suffixes, what="the endpoint")
        return super().handle_request(request)


def ssl_context() -> ssl.SSLContext:
    """A verifying TLS context trusting `SSL_CERT_FILE` and/or `REQUESTS_CA_BUNDLE` when set (a test or
    corporate CA), else certifi's bundle."""
    bundles = tuple(p for p in dict.fromkeys((os.environ.get("SSL_CERT_FILE"), os.environ.get("REQUESTS_CA_BUNDLE")))
                    if p)
    return _context_for(bundles)


@functools.lru_cache(maxsize=8)
def _context_for(bundles: tuple[str, ...]) -> ssl.SSLContext:
    """One context per set of bundles: loading a CA bundle parses it, and every vendor client
    would otherwise pay that again (a context is safe to share between connections). A bundle is
    read once per path: a rotated CA takes a restart."""
    if not bundles:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    context = ssl.create_default_context(cafile=None if os.path.isdir(bundles[0]) else bundles[0],
                                         capath=bundles[0] if os.path.isdir(bundles[0]) else None)
    for extra in bundles[1:]:
        if os.path.isdir(extra):
            context.load_verify_locations(capath=extra)
        else:
            context.load_verify_locations(cafile=extra)
    return context


def vendor_http_client(
    *,
    allowed_host_suffixes: Sequence[str] | None = None,
    timeout: float | httpx.Timeout = 30.0,
    limits: httpx.Limits | None = None,
    follow_redirects: bool = False,
) -> httpx.Client:
    """An httpx client for a vendor's API that calls only what `check_vendor_url` allows, on
    every connection and every redirect; TLS trusts the CA bundle the environment names.

    Environment proxies are not used: through a proxy, the address actually called could not be
    checked.
    """
    try:
        context = ssl_context()
    except (OSError, ssl.SSLError):
        raise ConnectorError("ServerError", "the CA bundle named by SSL_CERT_FILE or REQUESTS_CA_BUNDLE "
                             "cannot be read") from None
    transport = VendorTransport(allowed_host_suffixes=allowed_host_suffixes, ssl_context=context,
                                limits=limits or httpx.Limits(max_connections=100, max_keepalive_connections=20))
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=follow_redirects, trust_env=False)


def unreachable(what: str, url: str | httpx.URL) -> ConnectorError:
    """The `ServerError` for a vendor endpoint that could not be reached: scheme and host only, no
    errno or exception text (which would tell a scanner an open port from a closed one)."""
    try:
        parts = urlsplit(str(url))
        where = f" at {_origin(parts.scheme, parts.hostname)}" if parts.hostname else ""
    except ValueError:  # only shapes a message
        where = ""
    return ConnectorError("ServerError", f"could not reach {what}{where}")
