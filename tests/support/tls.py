"""A test certificate authority for the vendor fakes (tests only).

Vendor URLs must be https (docs/security.md), so every SaaS fake serves TLS with a certificate for
127.0.0.1 and localhost issued by one throwaway CA per test process (`trustme`). Sluice servers and
the vendors' own client libraries trust that CA through `tls_env()`: `SSL_CERT_FILE` (httpx, the
standard library) and `REQUESTS_CA_BUNDLE` (requests-based SDKs), the two variables Sluice honours.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TestCertificates:
    """PEM files: the CA to trust, and the fakes' server certificate and key."""

    ca_file: str
    cert_file: str
    key_file: str


_lock = threading.Lock()
_certs: TestCertificates | None = None


def certificates() -> TestCertificates:
    """The process's test CA and server certificate (made on first use, removed at exit)."""
    global _certs
    with _lock:
        if _certs is None:
            folder = Path(tempfile.mkdtemp(prefix="sluice-test-ca-"))
            atexit.register(shutil.rmtree, folder, True)
            authority = trustme.CA(organization_name="Sluice test CA")
            issued = authority.issue_cert("127.0.0.1", "localhost", "::1")
            ca, cert, key = folder / "ca.pem", folder / "server.pem", folder / "server.key"
            authority.cert_pem.write_to_path(str(ca))
            issued.private_key_pem.write_to_path(str(key))
            # The chain (leaf first) so clients that verify the chain find the issuer too.
            cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
            _certs = TestCertificates(str(ca), str(cert), str(key))
        return _certs


def tls_env() -> dict[str, str]:
    """Environment entries that make Sluice and requests/httpx-based clients trust the test CA."""
    ca = certificates().ca_file
    return {"SSL_CERT_FILE": ca, "REQUESTS_CA_BUNDLE": ca}
