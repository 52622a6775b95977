"""A warehouse column as AppFlow's `ConnectorEntityField` (connectors layer)."""

from __future__ import annotations

from typing import Any


def insert_field(name: str, details: dict[str, Any], *, description: str, nullable: bool,
                 defaulted: bool) -> dict[str, Any]:
    """A destination-only field that takes INSERTs: what Redshift and Snowflake columns answer.

    `details` is the field's `supportedFieldTypeDetails.v1` (fieldType, lengths, values).
    """
    return {
        "identifier": name,
        "label": name,
        "description": description,
        "supportedFieldTypeDetails": {"v1": details},
        "sourceProperties": {"isRetrievable": False, "isQueryable": False},
        "destinationProperties": {
            "isCreatable": True,
            "isNullable": nullable,
            "isUpsertable": False,
            "isUpdatable": False,
            "isDefaultedOnCreate": defaulted,
            "supportedWriteOperations": ["INSERT"],
        },
    }
