"""The connector's data and credentials: the SQLite database (built from data/shop.sql) and the API token.

The database is `databasePath` from the profile's runtime settings, or the shipped one:
`data/shop.db` next to `data/shop.sql`, built on first use (in the system temp directory when the
data folder is read-only, as in a Lambda deployment package). A `databasePath` that does not
exist yet is built from shop.sql too, which gives every test its own fresh copy.

`databasePath` comes from whoever creates a connector profile, so it is confined to one folder
the operator chooses: `$SLUICE_EXAMPLE_CONNECTOR_DIR`, else `<temp dir>/sluice-example-connector`.
It is a relative name inside that folder; an absolute path, `..`, or a symlink leading out of it
is refused (`confined_path`). Without that, a caller could open any SQLite file the connector's
user can read (Sluice's own database) or create files anywhere it can write.

Credentials come the way AppFlow gives them to custom connectors: `connectorContext.credentials
.secretArn` names a Secrets Manager secret, read with boto3 (the endpoint and keys come from the
environment). The token is the secret's `apiToken` key (also looked for under `customCredentials`
or `credentialsMap`, the two shapes a custom-auth secret may take).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from custom_connector_sdk.connector.auth import CUSTOM_CREDENTIALS
from custom_connector_sdk.lambda_handler.responses import ErrorCode, ErrorDetails

DATA_DIR = Path(__file__).resolve().parent / "data"
SCHEMA_SQL = DATA_DIR / "shop.sql"
DATABASE_PATH_KEY = "databasePath"
FOLDER_VARIABLE = "SLUICE_EXAMPLE_CONNECTOR_DIR"
API_TOKEN_KEY = "apiToken"
EXAMPLE_TOKEN = "example-token"
# Tables the connector keeps to itself.
INTERNAL_TABLES = ("api_tokens",)


class ConnectorFailure(Exception):
    """A failure to report in a response's errorDetails rather than raise out of the Lambda."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.details = ErrorDetails(error_code=code, error_message=message)


def build(path: Path) -> Path:
    """Create the database at `path` from shop.sql (atomically: built beside it, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".shop-", suffix=".db", dir=path.parent)
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp)
        try:
            conn.executescript(SCHEMA_SQL.read_text(encoding="utf-8"))
            conn.commit()
        finally:
            conn.close()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def default_path() -> Path:
    """The shipped database, built on first use (next to shop.sql, else in the temp directory)."""
    shipped = DATA_DIR / "shop.db"
    if shipped.exists():
        return shipped
    if os.access(DATA_DIR, os.W_OK):
        return build(shipped)
    fallback = Path(tempfile.gettempdir()) / "sluice-sqlite-connector" / "shop.db"
    return fallback if fallback.exists() else build(fallback)


def databases_folder() -> Path:
    """The one folder `databasePath` names files in (created when missing)."""
    folder = Path(os.environ.get(FOLDER_VARIABLE) or Path(tempfile.gettempdir()) / "sluice-example-connector")
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def confined_path(value: str) -> Path:
    """`value` as a file inside `databases_folder()`; ValueError (saying why) for anything else."""
    name = Path(value)
    if not value or name.is_absolute() or value.startswith("~"):
        raise ValueError(f"databasePath must be a file name relative to the connector's databases folder "
                         f"(${FOLDER_VARIABLE}), not {value!r}")
    if ".." in name.parts:
        raise ValueError(f"databasePath must not contain '..': {value!r}")
    folder = databases_folder()
    path = (folder / name).resolve()  # follows symlinks: one pointing out of the folder is caught here
    if folder not in path.parents:
        raise ValueError(f"databasePath {value!r} leads out of the connector's databases folder")
    return path


def database_path(settings: dict[str, Any] | None) -> Path:
    """The database a request works on: `databasePath` in the databases folder (built when missing), or the shipped."""
    configured = (settings or {}).get(DATABASE_PATH_KEY)
    if not configured:
        return default_path()
    try:
        path = confined_path(str(configured))
    except ValueError as exc:
        raise ConnectorFailure(ErrorCode.InvalidArgument, str(exc)) from exc
    return path if path.exists() else build(path)


def connect(settings: dict[str, Any] | None) -> sqlite3.Connection:
    """An open connection (rows as sqlite3.Row, foreign keys enforced) to the request's database."""
    try:
        conn = sqlite3.connect(database_path(settings), timeout=30, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise ConnectorFailure(ErrorCode.InvalidArgument, f"Cannot open the database: {exc}") from exc
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def tables(conn: sqlite3.Connection) -> list[str]:
    """User tables, sorted, without SQLite's and the connector's own."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                        "ORDER BY name").fetchall()
    return [row[0] for row in rows if row[0] not in INTERNAL_TABLES]


def read_secret(secret_arn: str | None) -> dict[str, Any]:
    """The credentials secret as a dict, read from Secrets Manager."""
    if not secret_arn:
        raise ConnectorFailure(ErrorCode.InvalidCredentials, "No credentials secret ARN in the request")
    try:
        answer = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        error_code = ErrorCode.ResourceNotFoundError if code == "ResourceNotFoundException" else \
            ErrorCode.AccessDenied if code in ("AccessDeniedException", "AccessDenied") else ErrorCode.ServerError
        raise ConnectorFailure(error_code, f"Cannot read secret {secret_arn}: {exc}") from exc
    except BotoCoreError as exc:
        raise ConnectorFailure(ErrorCode.ServerError, f"Cannot read secret {secret_arn}: {exc}") from exc
    try:
        secret = json.loads(answer.get("SecretString") or "{}")
    except ValueError as exc:
        raise ConnectorFailure(ErrorCode.InvalidCredentials, "The credentials secret is not a JSON object") from exc
    if not isinstance(secret, dict):
        raise ConnectorFailure(ErrorCode.InvalidCredentials, "The credentials secret is not a JSON object")
    return secret


def token_from_secret(secret: dict[str, Any]) -> str | None:
    """The `apiToken` credential: top level, or in a nested custom-credentials map."""
    for holder in (secret, secret.get(CUSTOM_CREDENTIALS), secret.get("credentialsMap")):
        if isinstance(holder, dict) and holder.get(API_TOKEN_KEY):
            return str(holder[API_TOKEN_KEY])
    return None


def check_token(token: str | None, conn: sqlite3.Connection) -> None:
    """Raise InvalidCredentials unless the token is the example token or one in `api_tokens`."""
    if token and token == EXAMPLE_TOKEN:
        return
    if token:
        try:
            if conn.execute("SELECT 1 FROM api_tokens WHERE token = ?", (token,)).fetchone():
                return
        except sqlite3.OperationalError:
            pass  # a database without an api_tokens table accepts only the example token
    raise ConnectorFailure(ErrorCode.InvalidCredentials, "The API token was rejected")


def authorize(connector_context: Any) -> sqlite3.Connection:
    """Check the request's credentials and return a connection to its database."""
    credentials = getattr(connector_context, "credentials", None)
    secret = read_secret(getattr(credentials, "secret_arn", None))
    conn = connect(getattr(connector_context, "connector_runtime_settings", None))
    try:
        check_token(token_from_secret(secret), conn)
    except ConnectorFailure:
        conn.close()
        raise
    return conn
