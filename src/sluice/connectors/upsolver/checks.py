"""CreateFlow checks of `UpsolverDestinationProperties` (connectors layer).

Upsolver reads what AppFlow writes to an Upsolver-owned bucket, and the AppFlow model only admits
bucket names starting with `upsolver-appflow` (`UpsolverBucketName`: pattern
`^(upsolver-appflow)\\S*`, 16-63 characters); the protocol layer's model validation enforces
the pattern, and this check says the rule in words for anything that reaches the connector. The
S3 checks (NUL characters, key segments the local store cannot hold) apply as for S3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.connectors.s3.checks import check_properties as check_s3_properties

BUCKET_PREFIX = "upsolver-appflow"


def check_properties(props: Mapping[str, Any], role: str, flow_name: str) -> None:
    """Raise ValueError when the bucket is not an Upsolver AppFlow bucket, or S3 could never hold the path."""
    bucket = str(props.get("bucketName") or "")
    if not bucket.startswith(BUCKET_PREFIX):
        raise ValueError(
            f"The Upsolver destination's bucketName {bucket!r} must start with {BUCKET_PREFIX!r}: Upsolver reads "
            "AppFlow data only from the buckets it names that way (UpsolverDestinationProperties)."
        )
    if not (props.get("s3OutputFormatConfig") or {}).get("prefixConfig"):
        raise ValueError("The Upsolver destination needs s3OutputFormatConfig.prefixConfig (the model requires it).")
    check_s3_properties(props, role, flow_name)
