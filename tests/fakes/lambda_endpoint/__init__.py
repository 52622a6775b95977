"""A fake AWS Lambda Invoke endpoint for tests: a real HTTP server whose functions run in child processes.

In-process: `FakeLambda(port=0).start()`, then `add_function(name, handler, env=..., timeout=...)`
and point boto3's Lambda client at `.url`. Out-of-process: `python -m tests.fakes.lambda_endpoint
--port N --function name=module:function`.
"""

from .server import FakeLambda

__all__ = ["FakeLambda"]
