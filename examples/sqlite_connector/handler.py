"""Lambda entry point of the example SQLite connector (AppFlow Custom Connector SDK).

Deploy the folder (with the SDK installed alongside) as a Lambda function whose handler is
`handler.lambda_handler`, or run it locally with Sluice:
`sluice connectors link <arn> examples/sqlite_connector/handler.py:lambda_handler`. The sibling
modules are imported by their plain names, so this folder must be on sys.path (Lambda puts the
package root there; Sluice and the tests put the handler's folder there).
"""

from __future__ import annotations

import os
import sys

# Loaded by file path (Sluice's local runner, the tests): make the sibling modules importable.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from configuration import SqliteConfigurationHandler  # noqa: E402
from custom_connector_sdk.lambda_handler.lambda_handler import BaseLambdaConnectorHandler  # noqa: E402
from metadata import SqliteMetadataHandler  # noqa: E402
from records import SqliteRecordHandler  # noqa: E402


class SqliteLambdaHandler(BaseLambdaConnectorHandler):
    """Dispatches the eight custom-connector requests to the three handlers."""

    def __init__(self) -> None:
        super().__init__(SqliteMetadataHandler(), SqliteRecordHandler(), SqliteConfigurationHandler())


HANDLER = SqliteLambdaHandler()


def lambda_handler(event: dict, context: object) -> dict:
    """Lambda entry point: one SDK request in, its response dict out."""
    return HANDLER.lambda_handler(event, context)
