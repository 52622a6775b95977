"""CreateFlow checks of S3 properties that could otherwise fail only when the flow runs (connectors layer).

The model lets `bucketPrefix` be any text up to 512 characters and `flowName` 256; the S3
destination writes `<bucketPrefix>/<flowName>/...`. Some values can never be written:

* a NUL character, in any backend (no file system takes it, and S3 tools mishandle it);
* on the embedded local backend, where each key segment is a file name, a segment longer than
  the file system's `NAME_MAX` (255 bytes on Linux, macOS and Windows), including the flow
  name as the destination's folder, and the segments `.` and `..`, which the local store refuses.

Imports nothing heavy: `sluice.connectors.s3.SPEC` points at `check_properties` directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.connectors.s3.storage import backend_name

NAME_MAX = 255


def check_properties(props: Mapping[str, Any], role: str, flow_name: str) -> None:
    """Raise ValueError naming the member and the limit when `props` can never be read or written."""
    bucket = str(props.get("bucketName") or "")
    prefix = str(props.get("bucketPrefix") or "")
    for member, value in (("bucketName", bucket), ("bucketPrefix", prefix)):
        if "\x00" in value:
            raise ValueError(f"The S3 {role}'s {member} must not contain a NUL character.")
    if backend_name() != "local":
        return
    for segment in (part for part in prefix.split("/") if part):
        if segment in (".", ".."):
            raise ValueError(f"The S3 {role}'s bucketPrefix must not have a '{segment}' segment (local S3 store).")
        if len(segment.encode("utf-8")) > NAME_MAX:
            raise ValueError(
                f"The S3 {role}'s bucketPrefix has a segment of {len(segment.encode('utf-8'))} bytes; the local "
                f"S3 store keeps each segment as a file name, at most {NAME_MAX} bytes (NAME_MAX)."
            )
    size = len(flow_name.encode("utf-8"))
    if role == "destination" and size > NAME_MAX:
        raise ValueError(
            f"The flow name is {size} bytes; the local S3 store writes it as a folder name, at most "
            f"{NAME_MAX} bytes (NAME_MAX). Use a flow name of at most {NAME_MAX} characters."
        )
