"""Server logging (used by `sluice serve` and its worker processes): one format, chatty libraries
clamped, and secrets scrubbed from every line, whatever `SLUICE_LOG_LEVEL` says.

Two layers, because either alone can fail:

* HTTP and AWS client libraries never log below INFO: at DEBUG botocore prints whole response
  bodies (a Secrets Manager `SecretString`), and httpx/httpcore log every vendor URL;
* a filter on the root handlers rewrites any line (and traceback) that still carries an
  `Authorization` header, a bearer token, or a secret-named JSON, dict or form field
  (`access_token`, `client_secret`, `SecretString`, ...) to show `***` instead of the value.

`SLUICE_LOG_FORMAT=json` writes each line as one JSON object (`time`, `level`, `logger`,
`message`, plus a record's structured `fields`, e.g. a run event's flow, execution, kind and
seq); anything else writes readable text. Redaction runs before either format.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Libraries that would print request or response bodies, headers or URLs below these levels.
_CLAMPED = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "botocore": logging.INFO,
            "boto3": logging.INFO, "urllib3": logging.INFO, "s3transfer": logging.INFO,
            "alembic": logging.WARNING}

_SECRET_KEYS = (
    r"access_?token|refresh_?token|id_?token|session_?token|security_?token|client_?secret|secret_?string|"
    r"secret_?binary|secret_?access_?key|api_?key|api_?secret_?key|jwt_?token|assertion|code_?verifier|password|"
    r"x-amz-security-token"
)
_REDACTIONS = (
    # Header lines and header dicts: `Authorization: Bearer x`, `{'authorization': 'Basic x'}`.
    (re.compile(r"(?i)((?:proxy-)?authorization|cookie|set-cookie)([\\\"']*\s*[:=]\s*[\\\"']*)[^\\\"'\r\n,}]+"),
     r"\1\2***"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*"), r"\1 ***"),
    # JSON, repr and form fields whose name says secret: `"client_secret": "x"`, `access_token=x&`.
    (re.compile(rf"(?i)({_SECRET_KEYS})([\\\"']*\s*[:=]\s*[\\\"']*)[^\\\"'&\s,}}]+"), r"\1\2***"),
)


def redact(text: str) -> str:
    """`text` with header values, bearer tokens and secret-named fields replaced by `***`."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """A handler filter applying `redact` to each record's message and traceback."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a record's `fields` (a dict passed as `extra`) are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if k not in line})
        if record.exc_text or record.exc_info:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str, log_format: str | None = None) -> None:
    """Log to stderr at `level` (a logging level name), libraries clamped, secrets redacted.

    `log_format` "json" writes JSON lines; None reads `SLUICE_LOG_FORMAT` (default text).
    """
    root_level = logging.getLevelName(level.upper())
    if not isinstance(root_level, int):
        root_level = logging.INFO
    logging.basicConfig(level=root_level, format=FORMAT)
    root = logging.getLogger()
    root.setLevel(root_level)
    as_json = (log_format or os.environ.get("SLUICE_LOG_FORMAT", "text")).strip().lower() == "json"
    for handler in root.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
        if as_json:
            handler.setFormatter(JsonFormatter())
    for name, floor in _CLAMPED.items():
        logging.getLogger(name).setLevel(max(root_level, floor))
