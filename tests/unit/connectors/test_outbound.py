"""connectors/outbound.py: the address and name classifier, URL checks, and clients that call only
what the checks allow - DNS rebinding, redirects and TLS included (a stand-in resolver plays DNS)."""

from __future__ import annotations

import datetime
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sluice.connectors import outbound
from sluice.connectors.outbound import FORBIDDEN, PRIVATE, PUBLIC, EndpointRefused

SALESFORCE = ("salesforce.com", "force.com", "my.site.com")


@pytest.fixture(autouse=True)
def _strict(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


def allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")


# -- classifying ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "expected"), [
    ("8.8.8.8", PUBLIC), ("2606:4700:4700::1111", PUBLIC), ("::ffff:8.8.8.8", PUBLIC),
    ("127.0.0.1", PRIVATE), ("127.8.9.10", PRIVATE), ("::1", PRIVATE),
    ("10.0.0.1", PRIVATE), ("172.16.0.1", PRIVATE), ("172.31.255.254", PRIVATE), ("192.168.1.1", PRIVATE),
    ("169.254.1.1", PRIVATE), ("fe80::1", PRIVATE), ("fe80::1%2", PRIVATE), ("fc00::1", PRIVATE), ("fd12::1", PRIVATE),
    ("100.64.0.1", PRIVATE), ("100.127.255.254", PRIVATE), ("192.0.2.1", PRIVATE), ("198.18.0.1", PRIVATE),
    ("::ffff:127.0.0.1", PRIVATE), ("::ffff:10.0.0.1", PRIVATE), ("::127.0.0.1", PRIVATE),
    ("64:ff9b::a00:1", PRIVATE), ("2002:7f00:1::", PRIVATE),
    ("169.254.169.254", FORBIDDEN), ("::ffff:169.254.169.254", FORBIDDEN), ("169.254.170.2", FORBIDDEN),
    ("fd00:ec2::254", FORBIDDEN), ("100.100.100.200", FORBIDDEN),
    ("0.0.0.0", FORBIDDEN), ("0.1.2.3", FORBIDDEN), ("::", FORBIDDEN), ("::ffff:0.0.0.0", FORBIDDEN),
    ("224.0.0.1", FORBIDDEN), ("ff02::1", FORBIDDEN), ("255.255.255.255", FORBIDDEN), ("240.0.0.1", FORBIDDEN),
])
def test_addresses_are_classified(address: str, expected: str) -> None:
    assert outbound.classify_address(address) == expected


@pytest.mark.parametrize(("host", "expected"), [
    ("localhost", PRIVATE), ("LOCALHOST.", PRIVATE), ("api.localhost", PRIVATE), ("intranet", PRIVATE),
    ("db.internal", PRIVATE), ("printer.local", PRIVATE), ("nas.home.arpa", PRIVATE),
    # Legacy IPv4 spellings resolvers accept are addresses, not names.
    ("127.1", PRIVATE), ("0x7f.0.0.1", PRIVATE), ("2130706433", PRIVATE), ("0177.0.0.1", PRIVATE),
    ("metadata.google.internal", FORBIDDEN), ("instance-data.ec2.internal", FORBIDDEN), ("0", FORBIDDEN),
    ("169.254.169.254", FORBIDDEN), ("example.com", None), ("acme.my.salesforce.com", None),
])
def test_host_names_are_classified_without_dns(host: str, expected: str | None) -> None:
    assert outbound.classify_host(host) == expected


# -- checking URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://acme.my.salesforce.com", "ftp://acme.my.salesforce.com", "acme.my.salesforce.com", "https://",
    "https://127.0.0.1:8443", "https://10.0.0.1", "https://169.254.169.254/latest/meta-data", "https://[::1]",
    "https://[::ffff:127.0.0.1]", "https://localhost", "https://0x7f.1", "https://2130706433",
    "https://metadata.google.internal", "https://example.com", "https://acme.salesforce.com.evil.example",
    "https://evilsalesforce.com", "https://acme.my.salesforce.com:99999",
])
def test_strict_rules_refuse_without_dns(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object) -> list[str]:
        raise AssertionError("check_vendor_url must not resolve names")

    monkeypatch.setattr(outbound, "resolve_host", no_dns)
    monkeypatch.setattr(outbound.socket, "getaddrinfo", no_dns)
    with pytest.raises(EndpointRefused) as caught:
        outbound.check_vendor_url(url, allowed_host_suffixes=SALESFORCE, what="instanceUrl")
    assert caught.value.code == "InvalidArgument"


@pytest.mark.parametrize("url", [
    "https://acme.my.salesforce.com", "https://login.salesforce.com/services/oauth2/token",
    "https://acme--dev.sandbox.my.salesforce.com/", "https://acme.lightning.force.com",
    "https://shop.my.site.com", " https://ACME.my.salesforce.com. ",
])
def test_salesforce_hosts_are_allowed(url: str) -> None:
    assert outbound.check_vendor_url(url, allowed_host_suffixes=SALESFORCE) == url.strip()


def test_without_known_hosts_any_public_name_passes() -> None:
    assert outbound.check_vendor_url("https://auth.vendor.example/oauth/token")
    with pytest.raises(EndpointRefused):
        outbound.check_vendor_url("https://auth.internal/oauth/token")


def test_refusals_read_the_same_for_every_port() -> None:
    messages = set()
    for port in (1, 9, 443, 8080, 65535):
        with pytest.raises(EndpointRefused) as caught:
            outbound.check_vendor_url(f"https://127.0.0.1:{port}/x?token=secret", what="instanceUrl")
        messages.add(caught.value.message)
    assert len(messages) == 1
    (message,) = messages
    assert "secret" not in message and "443" not in message and "loopback" in message


def test_allowing_private_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    allow_private(monkeypatch)
    # Fakes on loopback work, also for a vendor with known hosts, over http.
    for url in ("http://127.0.0.1:8443", "https://10.0.0.1", "http://localhost:9000", "http://[::1]:81"):
        assert outbound.check_vendor_url(url, allowed_host_suffixes=SALESFORCE) == url
    # Metadata endpoints never; a public host that is not the vendor's still not.
    for url in ("http://169.254.169.254", "https://metadata.google.internal", "https://0.0.0.0",
                "https://example.com", "https://8.8.8.8"):
        with pytest.raises(EndpointRefused):
            outbound.check_vendor_url(url, allowed_host_suffixes=SALESFORCE)


def test_profile_urls_are_found_in_the_properties() -> None:
    outbound.check_profile_urls({"instanceUrl": "https://acme.my.salesforce.com"}, SALESFORCE)
    outbound.check_profile_urls({"oAuth2Properties": {"tokenUrl": "https://auth.vendor.example/t"}}, SALESFORCE)
    for props in ({"instanceUrl": "https://example.com"}, {"applicationHostUrl": "http://sap.vendor.example"},
                  {"oAuth2Properties": {"tokenUrl": "https://192.168.0.10/t"}},
                  {"oAuthProperties": {"tokenUrl": "https://localhost/t"}}):
        with pytest.raises(EndpointRefused):
            outbound.check_profile_urls(props, SALESFORCE)


def test_endpoint_override_names_and_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert outbound.endpoint_override("Amplitude") is None
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_AMPLITUDE", "https://eu.amplitude-proxy.example/")
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_SAPODATA", "https://sap.vendor.example")
    assert outbound.endpoint_override("Amplitude") == "https://eu.amplitude-proxy.example"
    assert outbound.endpoint_override("SAPOData") == "https://sap.vendor.example"
    hosts = outbound.known_hosts("Amplitude", ["amplitude.com"], "https://login.vendor.example", None)
    assert hosts == ("amplitude.com", "eu.amplitude-proxy.example", "login.vendor.example")


# -- the client: every connection checked ---------------------------------------------------------


class Listener:
    """An HTTP(S) server on 127.0.0.1 counting the requests it answers (200, or a redirect)."""

    def __init__(self, redirect_to: str | None = None, context: ssl.SSLContext | None = None) -> None:
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                if redirect_to:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def resolve_to(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> None:
    """Play DNS: names in `table` resolve to its addresses; anything else does not resolve."""
    def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return table[host]
        if outbound.classify_host(host) is not None:  # an address resolves to itself
            return [host]
        raise OSError("no such name")

    monkeypatch.setattr(outbound, "resolve_host", resolve)


def test_a_name_rebound_to_loopback_is_refused_before_connecting(
    listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The profile's URL passed the create-time check; at call time the name resolves to 127.0.0.1.
    url = f"https://api.vendor.example:{listener.port}/token"
    assert outbound.check_vendor_url(url)
    resolve_to(monkeypatch, {"api.vendor.example": ["127.0.0.1"]})
    with outbound.vendor_http_client() as client, pytest.raises(EndpointRefused) as caught:
        client.post(url, data={"client_secret": "s"})
    assert "resolves to a loopback, private or link-local address" in caught.value.message
    assert listener.hits == 0


@pytest.mark.parametrize("addresses", [["93.184.216.34", "10.0.0.7"], ["93.184.216.34", "169.254.169.254"],
                                       ["::ffff:127.0.0.1"]])
def test_every_address_a_name_resolves_to_is_checked(addresses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[str] = []
    monkeypatch.setattr(outbound.httpcore.SyncBackend, "connect_tcp",
                        lambda self, host, *a, **k: attempts.append(host))
    resolve_to(monkeypatch, {"api.vendor.example": addresses})
    with outbound.vendor_http_client() as client, pytest.raises(EndpointRefused):
        client.get("https://api.vendor.example/")
    assert attempts == []  # refused before any connection was tried


def test_the_checked_address_is_the_one_connected_to(listener: Listener, monkeypatch: pytest.MonkeyPatch) -> None:
    # The operator allows private endpoints; `svc.internal` resolves only through the stand-in
    # resolver, so reaching the listener proves the client connected to the address it checked.
    allow_private(monkeypatch)
    resolve_to(monkeypatch, {"svc.internal": ["127.0.0.1"]})
    with outbound.vendor_http_client() as client:
        assert client.get(f"http://svc.internal:{listener.port}/").status_code == 200
    assert listener.hits == 1


def test_known_hosts_are_enforced_on_every_request(listener: Listener, monkeypatch: pytest.MonkeyPatch) -> None:
    allow_private(monkeypatch)
    resolve_to(monkeypatch, {"acme.my.salesforce.com": ["127.0.0.1"], "attacker.example": ["127.0.0.1"],
                             "public.attacker.example": ["8.8.8.8"]})
    with outbound.vendor_http_client(allowed_host_suffixes=SALESFORCE) as client:
        assert client.get(f"http://acme.my.salesforce.com:{listener.port}/").status_code == 200
        # A public-looking name that is not Salesforce's is refused even when it resolves privately.
        with pytest.raises(EndpointRefused):
            client.get(f"http://attacker.example:{listener.port}/")
    assert listener.hits == 1


def test_redirects_to_refused_endpoints_are_not_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    allow_private(monkeypatch)
    bouncer = Listener(redirect_to="http://169.254.169.254/latest/meta-data/iam/security-credentials/")
    try:
        with outbound.vendor_http_client(follow_redirects=True) as client, pytest.raises(EndpointRefused):
            client.get(f"http://127.0.0.1:{bouncer.port}/")
        assert bouncer.hits == 1
    finally:
        bouncer.close()


def test_a_connection_failure_names_only_the_host() -> None:
    error = outbound.unreachable("the token endpoint", "https://auth.vendor.example:8443/t?code=secret")
    assert (error.code, error.message) == ("ServerError", "could not reach the token endpoint at "
                                                          "https://auth.vendor.example")


# -- TLS: the test CA from the environment, and the certificate checked against the name ----------


def _certificates(tmp_path: Path, name: str) -> tuple[Path, ssl.SSLContext]:
    """A throwaway CA (written to ca.pem) and a server context whose certificate names `name`."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Sluice test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_tls_trusts_the_ca_the_environment_names(variable: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    ca_file, context = _certificates(tmp_path, "api.vendor.test")
    server = Listener(context=context)
    try:
        allow_private(monkeypatch)
        resolve_to(monkeypatch, {"api.vendor.test": ["127.0.0.1"], "other.vendor.test": ["127.0.0.1"]})
        url = f"https://api.vendor.test:{server.port}/"
        with outbound.vendor_http_client() as client, pytest.raises(httpx.ConnectError):
            client.get(url)  # the test CA is not trusted yet
        monkeypatch.setenv(variable, str(ca_file))
        with outbound.vendor_http_client() as client:
            assert client.get(url).status_code == 200
            # Connecting to the checked address still verifies the certificate against the name.
            with pytest.raises(httpx.ConnectError):
                client.get(f"https://other.vendor.test:{server.port}/")
    finally:
        server.close()
