"""A fake paginated JSON REST API ("tickets") for the test custom connector.

In-process: `FakeJsonApi(port=0, api_key="test-key").start()`; out-of-process:
`python -m tests.fakes.json_api --port N --api-key KEY`.
"""

from .server import FakeJsonApi

__all__ = ["FakeJsonApi"]
