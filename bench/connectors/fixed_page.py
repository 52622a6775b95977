"""A handler that answers every call with the same ready QueryData page of 1,000 records (bench only).

With the handler's own work near zero, the time a call takes through an invoker is what the
connector protocol costs: framing, JSON both ways, the process or HTTP hop.
"""

from __future__ import annotations

import json
from typing import Any

RECORDS = [json.dumps({"id": n, "name": f"event-{n}", "amount": (n % 1000) / 10,
                       "updated_at": f"2024-01-{1 + n % 28:02d}T10:00:00Z"}) for n in range(1000)]
ANSWER = {"isSuccess": True, "errorDetails": None, "nextToken": "1000", "records": RECORDS}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The ready page, whatever was asked."""
    return ANSWER
