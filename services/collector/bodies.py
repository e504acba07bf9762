"""Reading a request body: bounded before and after decompression, and refused as a whole
when it cannot be read (too large, an encoding the collector does not speak, a client that
went away mid-body)."""

from __future__ import annotations

import zlib

from starlette.requests import ClientDisconnect, Request

from services.collector.payloads import BodyError


class TooLarge(ValueError):
    """Over the limit (answered 413)."""


class UnsupportedEncoding(ValueError):
    """A Content-Encoding other than gzip (answered 415)."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, decoded from gzip when the client says so; ``limit`` bounds both the bytes
    read and the bytes they inflate to (a gzip bomb stops at the limit, not in memory)."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise UnsupportedEncoding(f"Content-Encoding {encoding[:40]!r} is not supported: "
                                  "send gzip or no encoding")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"body over {limit} bytes")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"body over {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:  # a client that stopped sending (or was cut as too slow)
        raise BodyError("the request body did not arrive whole") from None
    body = b"".join(chunks)
    return body if encoding == "identity" else gunzip(body, limit)


def gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as err:
        raise BodyError(f"the body is not valid gzip ({err})") from None
    if len(out) > limit:
        raise TooLarge(f"body over {limit} bytes once decompressed")
    if not inflater.eof:
        raise BodyError("the gzip body is cut short")
    return out
