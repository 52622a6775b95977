"""Redshift's wire protocol in front of PostgreSQL, for `redshift_connector` (test stand-in).

Redshift speaks PostgreSQL's frontend/backend protocol (version 3), with differences a PostgreSQL
server refuses; this proxy bridges the ones the driver meets:

* TLS: the driver asks for it (SSLRequest) and verifies the certificate; the proxy answers `S` and
  serves the test certificate (tests/support/tls.py), then talks plain TCP to PostgreSQL.
* Startup parameters: the driver sends `client_protocol_version`, `driver_version`,
  `os_version`, ... which PostgreSQL rejects as unknown settings; only the standard ones pass.
* `server_version`: Redshift reports 8.0.2 (the driver parses it); PostgreSQL's Debian version
  string is replaced.
* Passwords: Redshift asks for one; the suite's PostgreSQL trusts everyone. The proxy asks
  (AuthenticationCleartextPassword, safe under the TLS above) and refuses a wrong one with SQLSTATE
  28P01, as Redshift does.
* `COPY t (cols) FROM 's3://...' IAM_ROLE '...' FORMAT AS PARQUET`: when the driver prepares it
  (Parse), the proxy prepares a no-op in its place, and when the driver runs it (Bind), the proxy
  first runs `COPY t (cols) FROM STDIN` on the same PostgreSQL session with the rows of every
  Parquet object under the prefix (read from moto's S3), so the load is part of the driver's
  transaction. A failed load answers the driver's Execute with PostgreSQL's (or the reader's) error.

Protocol reference: https://www.postgresql.org/docs/current/protocol-message-formats.html;
Redshift's startup differences: https://github.com/aws/amazon-redshift-python-driver (core.py).
"""

from __future__ import annotations

import io
import select
import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import ClientError

from tests.fakes.redshift.copy import IAM_ROLE, CopyError, CopyFromS3, csv_bytes, parse
from tests.support.tls import certificates

SSL_REQUEST, GSS_REQUEST, PROTOCOL_3 = 80877103, 80877104, 196608
_KEEP = {"user", "database", "application_name", "options", "client_encoding", "DateStyle", "TimeZone"}
NO_OP = b"DO $$BEGIN END$$"
REDSHIFT_VERSION = b"8.0.2"


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _error(code: str, text: str, severity: str = "ERROR") -> bytes:
    fields = b"".join(k + v.encode() + b"\0" for k, v in ((b"S", severity), (b"V", severity), (b"C", code),
                                                           (b"M", text)))
    return _message(b"E", fields + b"\0")


def _recv_exact(sock: Any, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_message(sock: Any) -> tuple[bytes, bytes]:
    head = _recv_exact(sock, 5)
    (length,) = struct.unpack("!i", head[1:])
    return head[:1], _recv_exact(sock, length - 4)


@dataclass
class WireProxy:
    """A Redshift-speaking endpoint on 127.0.0.1 in front of the PostgreSQL at `pg_port`.

    `users` maps user names to the passwords accepted; `copies` records each COPY from S3.
    """

    pg_port: int
    s3_endpoint: str
    users: dict[str, str] = field(default_factory=lambda: {"awsuser": "Redshift-pw-1"})
    copies: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    pg_user: str = "postgres"

    def __post_init__(self) -> None:
        self.copy_waiting = threading.Event()
        self._gate = threading.Event()
        self._gate.set()

    def pause_copy(self) -> None:
        """Test control: hold every COPY from S3 before its first row, until `resume_copy`."""
        self.copy_waiting.clear()
        self._gate.clear()

    def resume_copy(self) -> None:
        """Let held COPYs go on."""
        self._gate.set()

    def start(self) -> WireProxy:
        """Listen and serve each connection in a daemon thread."""
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self._listener.getsockname()[1]
        certs = certificates()
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(certs.cert_file, certs.key_file)
        self._s3 = boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")
        threading.Thread(target=self._accept, daemon=True, name="redshift-wire").start()
        return self

    def stop(self) -> None:
        """Stop listening (open sessions end with their clients)."""
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    # -- one session ----------------------------------------------------------------------------

    def _serve(self, client: Any) -> None:
        upstream: socket.socket | None = None
        try:
            client, params = self._startup(client)
            user = params.get("user", "")
            client.sendall(_message(b"R", struct.pack("!i", 3)))  # cleartext password, under TLS
            kind, body = _read_message(client)
            if kind != b"p" or self.users.get(user) != body.rstrip(b"\0").decode():
                client.sendall(_error("28P01", f'password authentication failed for user "{user}"', "FATAL"))
                return
            upstream = socket.create_connection(("127.0.0.1", self.pg_port))
            # Every Redshift user is the stand-in cluster's PostgreSQL superuser upstream.
            params = {**params, "user": self.pg_user}
            kept = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in params.items() if k in _KEEP)
            startup = struct.pack("!i", PROTOCOL_3) + kept + b"\0"
            upstream.sendall(struct.pack("!i", len(startup) + 4) + startup)
            self._greet(client, upstream)
            self._relay(client, upstream)
        except (ConnectionError, OSError, ssl.SSLError):
            pass
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    sock.close()

    def _startup(self, client: Any) -> tuple[Any, dict[str, str]]:
        while True:
            (length,) = struct.unpack("!i", _recv_exact(client, 4))
            body = _recv_exact(client, length - 4)
            (code,) = struct.unpack("!i", body[:4])
            if code == SSL_REQUEST:
                client.sendall(b"S")
                client = self._tls.wrap_socket(client, server_side=True)
            elif code == GSS_REQUEST:
                client.sendall(b"N")
            elif code == PROTOCOL_3:
                items = body[4:].split(b"\0")
                return client, {items[i].decode(): items[i + 1].decode() for i in range(0, len(items) - 2, 2)}
            else:
                raise ConnectionError("unsupported startup")

    def _greet(self, client: Any, upstream: socket.socket) -> None:
        """Forward the server's answer to the startup up to its first ReadyForQuery, reporting
        Redshift's `server_version` (8.0.2) rather than PostgreSQL's, as Redshift clusters do."""
        while True:
            kind, body = _read_message(upstream)
            if kind == b"S" and body.startswith(b"server_version\0"):
                body = b"server_version\0" + REDSHIFT_VERSION + b"\0"
            client.sendall(_message(kind, body))
            if kind in (b"Z", b"E"):
                return

    def _relay(self, client: Any, upstream: socket.socket) -> None:
        """Forward both ways; rewrite the client's COPY-from-S3 statements (module docstring).

        One thread per session, waiting on both sockets: while a load runs on the upstream
        session, this thread alone reads the server's answers (the driver sends Bind only after
        the server's ReadyForQuery reached it, so nothing else is in flight then).
        """
        pending: dict[bytes, CopyFromS3] = {}  # prepared statement name -> its COPY
        skipping = False  # after a failed load: drop the client's messages until its Sync
        buffer = b""
        while True:
            if isinstance(client, ssl.SSLSocket) and client.pending():
                readable = [client]
            else:
                readable, _, _ = select.select([client, upstream], [], [])
            if upstream in readable:
                data = upstream.recv(65536)
                if not data:
                    return
                client.sendall(data)
            if client not in readable:
                continue
            data = client.recv(65536)
            if not data:
                return
            buffer += data
            while len(buffer) >= 5:
                (length,) = struct.unpack("!i", buffer[1:5])
                if len(buffer) < length + 1:
                    break
                kind, body, buffer = buffer[:1], buffer[5:length + 1], buffer[length + 1:]
                if skipping:
                    if kind == b"S":
                        skipping = False
                        upstream.sendall(_message(kind, body))
                    continue
                if kind == b"P":
                    name, _, rest = body.partition(b"\0")
                    query, _, tail = rest.partition(b"\0")
                    copy = parse(query.decode())
                    if copy is not None:
                        pending[name] = copy
                        body = name + b"\0" + NO_OP + b"\0" + tail
                elif kind == b"B":
                    statement = body.partition(b"\0")[2].partition(b"\0")[0]
                    if statement in pending:
                        failure, _ = self._load(upstream, pending[statement])
                        if failure is not None:
                            client.sendall(failure)
                            skipping = True
                            continue
                elif kind == b"Q":
                    copy = parse(body.rstrip(b"\0").decode())
                    if copy is not None:
                        failure, ready = self._load(upstream, copy)
                        client.sendall((failure or _message(b"C", b"COPY\0")) + ready)
                        continue
                upstream.sendall(_message(kind, body))
                if kind == b"X":
                    return

    def _load(self, upstream: socket.socket, copy: CopyFromS3) -> tuple[bytes | None, bytes]:
        """Run the COPY as `COPY ... FROM STDIN` on the upstream session; (an ErrorResponse or None,
        the server's ReadyForQuery)."""
        self.copies.append({"table": copy.table, "columns": copy.columns, "role": copy.role,
                            "location": f"s3://{copy.bucket}/{copy.prefix}"})
        columns = f" ({', '.join(copy.columns)})" if copy.columns else ""
        upstream.sendall(_message(b"Q", f"COPY {copy.table}{columns} FROM STDIN WITH (FORMAT csv)".encode() + b"\0"))
        failure: bytes | None = None
        while True:
            kind, body = _read_message(upstream)
            if kind == b"G":
                try:
                    self._stream(upstream, copy)
                    upstream.sendall(_message(b"c", b""))
                except (CopyError, OSError, ValueError, ClientError) as exc:
                    upstream.sendall(_message(b"f", str(exc).encode() + b"\0"))
            elif kind == b"E":
                failure = _message(kind, body)
            elif kind == b"Z":
                return failure, _message(kind, body)

    def _stream(self, upstream: socket.socket, copy: CopyFromS3) -> None:
        """Every Parquet object under the prefix, as CopyData messages of CSV."""
        if not IAM_ROLE.match(copy.role):
            raise CopyError(f"not authorized to assume IAM Role {copy.role}")
        keys: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=copy.bucket, Prefix=copy.prefix):
            keys.extend(o["Key"] for o in page.get("Contents", []) if o.get("Size", 0) > 0)
        if not keys:
            raise CopyError(f"The specified S3 prefix '{copy.prefix}' does not exist")
        if not self._gate.is_set():
            self.copy_waiting.set()
            self._gate.wait()
        for key in keys:
            table = pq.read_table(io.BytesIO(self._s3.get_object(Bucket=copy.bucket, Key=key)["Body"].read()))
            if copy.columns is not None and table.num_columns != len(copy.columns):
                raise CopyError(f"the file s3://{copy.bucket}/{key} has {table.num_columns} columns but the "
                                f"column list names {len(copy.columns)}")
            for batch in table.to_batches(max_chunksize=65536):
                upstream.sendall(_message(b"d", csv_bytes(pa.Table.from_batches([batch]))))
