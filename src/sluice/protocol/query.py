"""The query string -> decoded `(name, value)` pairs, one reading for everyone (protocol layer).

SigV4 verification and the request parser must agree on what a query means: if the verifier
read `+` as a literal plus while the parser reads it as a space, a signature over one value
would authorise another. Both call `parse_query`, which reads the query as HTML forms and
Python's `parse_qsl` do (`+` is a space, `%XX` is a byte, the bytes are UTF-8); the verifier
then re-encodes those decoded pairs canonically (RFC 3986, `%20` for a space), exactly as the
client's SDK did before signing. A query that is not ASCII or whose bytes are not UTF-8 has no
single meaning and is refused.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from sluice.protocol import errors


def parse_query(raw: bytes | str) -> list[tuple[str, str]]:
    """Decoded pairs of a raw query string, in order; blank values kept, `+` read as a space.

    Raises a 400 SerializationException when the query is not ASCII or decodes to invalid UTF-8.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            raise errors.serialization_error("The query string must be percent-encoded ASCII") from None
    elif not raw.isascii():
        raise errors.serialization_error("The query string must be percent-encoded ASCII")
    if not raw:
        return []
    try:
        return parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise errors.serialization_error("The query string does not decode to UTF-8 text") from None
