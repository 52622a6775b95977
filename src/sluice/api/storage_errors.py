"""Which unexpected failures mean "the server cannot write to its storage" (API layer).

A full disk (or quota, or file-size limit) is not the caller's fault and not a bug: it clears
when space returns, so the API answers it as `503 ServiceUnavailableException` with AWS's JSON
error body, which botocore and the AWS CLI retry, rather than a 500. AppFlow's model has no
error for it (its 5xx is `InternalServerException`); 503 is the status every AWS SDK treats as
"service unavailable, retry". Recognised, anywhere in the exception's cause chain:

* `OSError` with `ENOSPC`, `EDQUOT` or `EFBIG`;
* SQLite's `SQLITE_FULL` ("database or disk is full") and `SQLITE_IOERR` (a write or sync the
  operating system refused: SQLite reports `EFBIG` that way);
* PostgreSQL's SQLSTATE class 53 (insufficient resources: `53100` disk_full) and `58030` (io_error).
"""

from __future__ import annotations

import errno
import sqlite3

STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_SQLITE_FULL = 13
_SQLITE_IOERR = 10
MESSAGE = "The service cannot write to its storage right now (the disk may be full); retry later."


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        item = pending.pop()
        if item is None or any(item is s for s in seen) or len(seen) > 20:
            continue
        seen.append(item)
        orig = getattr(item, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's error
        pending.extend([item.__cause__, item.__context__, orig if isinstance(orig, BaseException) else None])
    return seen


def is_storage_failure(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is the server's storage refusing a write."""
    for item in _causes(exc):
        if isinstance(item, OSError) and item.errno in STORAGE_ERRNOS:
            return True
        if isinstance(item, sqlite3.Error):
            code = getattr(item, "sqlite_errorcode", None)
            if code is not None and code & 0xFF in (_SQLITE_FULL, _SQLITE_IOERR):
                return True
        state = getattr(item, "sqlstate", None) or getattr(item, "pgcode", None)
        if isinstance(state, str) and (state.startswith("53") or state == "58030"):
            return True
    return False
