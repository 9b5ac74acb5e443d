"""Compressed text inputs: which codecs a run accepts, a bounded read of a file's head, and the
diagnosis of a file Spark could not decompress.

Spark (Hadoop's codecs) reads ``.gz`` and ``.bz2`` text transparently, but two things it does
badly for a pipeline that must fail closed with a clear error:

* the CSV header check reads each file's first line on the driver before Spark reads anything,
  so it must decompress a bounded head itself (a bzip2 block only decodes whole: up to 900 kB of
  text, so its head is read up to ``BZIP2_HEAD_BYTES`` compressed bytes);
* a truncated or corrupt stream fails a Spark task with ``EOFException: Unexpected end of input
  stream``, naming neither the file nor the problem. :func:`find_unreadable` decompresses the
  inputs on the driver, streaming (constant memory, the output discarded), to name the file.

Other suffixes (``.snappy``, ``.zst``, ``.lz4``, ``.deflate``, ``.xz``, ``.zip``, ``.br``) are
refused for text inputs before anything is read: Hadoop's framing of some differs from the usual
tools' and others need native libraries, so accepting them would turn into a task failure deep
in the job (or, for ``.zip``, binary rows).
"""

from __future__ import annotations

import bz2
import logging
import zlib
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from . import io as sio

__all__ = ["CODECS", "UNSUPPORTED_SUFFIXES", "codec_of", "find_unreadable", "name_unreadable_inputs", "read_head",
           "stream_problem", "unsupported_suffix"]

CODECS = {".gz": "gzip", ".bz2": "bzip2"}
UNSUPPORTED_SUFFIXES = (".snappy", ".zst", ".zstd", ".lz4", ".deflate", ".xz", ".zip", ".br", ".z")
HEAD_BYTES = 65536
BZIP2_HEAD_BYTES = 4 * 1024 * 1024  # a whole bzip2 block (900 kB of text) compresses well below this
CHUNK_BYTES = 1024 * 1024


def codec_of(key: str) -> str | None:
    """``gzip``, ``bzip2`` or None (not compressed, or a suffix :func:`unsupported_suffix` names)."""
    lower = key.lower()
    return next((codec for suffix, codec in CODECS.items() if lower.endswith(suffix)), None)


def unsupported_suffix(key: str) -> str | None:
    lower = key.lower()
    if lower.endswith(".snappy.parquet"):
        return None
    return next((s for s in UNSUPPORTED_SUFFIXES if lower.endswith(s)), None)


def _new(codec: str) -> Any:
    return zlib.decompressobj(16 + zlib.MAX_WBITS) if codec == "gzip" else bz2.BZ2Decompressor()


def _decompress(chunks: Iterable[bytes], codec: str, state: dict[str, bool]) -> Iterator[bytes]:
    """Decompressed pieces (each at most ``CHUNK_BYTES``) of a possibly multi-member stream:
    ``cat a.gz b.gz`` is valid gzip, and the same holds for bzip2. ``state["complete"]`` is False
    while a member has started and not ended: at the end of the input, a truncated stream."""
    state["complete"] = True
    member = None
    for data in chunks:
        while data:
            if member is None or member.eof:  # a new member starts where the previous one ended
                member, state["complete"] = _new(codec), False
            while True:
                out = member.decompress(data, CHUNK_BYTES)
                if out:
                    yield out
                # zlib keeps unread input in unconsumed_tail; bz2 keeps pending output inside
                data = member.unconsumed_tail if codec == "gzip" else b""
                if member.eof or (len(out) < CHUNK_BYTES and not data):
                    break
            if member.eof:
                state["complete"] = True
                data = member.unused_data


def _problem(codec: str, detail: str) -> str:
    return f"cannot be read as {codec} ({detail})"


_DECODE_ERRORS = (zlib.error, OSError, EOFError)


def read_head(info: sio.ObjectInfo, session: Any = None, limit: int = HEAD_BYTES) -> bytes:
    """Up to ``limit`` bytes of the file's text, decompressed when it is ``.gz``/``.bz2``.

    Reads at most ``limit`` bytes from storage (at least 64 KiB for gzip, ``BZIP2_HEAD_BYTES``
    for bzip2). Raises
    ``SchemaError`` naming the file when those bytes are not valid for the codec, or when they are
    the whole file and its stream is truncated.
    """
    from .errors import SchemaError

    codec = codec_of(info.location.key)
    raw = limit if codec is None else (BZIP2_HEAD_BYTES if codec == "bzip2" else max(limit, HEAD_BYTES))
    body = _read_range(info.location, raw, session)
    if codec is None or not body:
        return body[:limit]
    state: dict[str, bool] = {}
    text = bytearray()
    try:
        for piece in _decompress([body], codec, state):
            text += piece
            if len(text) >= limit:
                return bytes(text[:limit])
    except _DECODE_ERRORS:
        raise SchemaError(info.location.uri, None, _problem(codec, f"not valid {codec} data")) from None
    if len(body) >= info.size and not state["complete"]:
        raise SchemaError(info.location.uri, None, _problem(codec, "the stream is truncated"))
    return bytes(text)


def stream_problem(info: sio.ObjectInfo, session: Any = None) -> str | None:
    """Decompress the whole file, streaming, the output discarded: None when it is sound, else
    the problem (``cannot be read as gzip (the stream is truncated)``, ...)."""
    codec = codec_of(info.location.key)
    if codec is None:
        return None
    state: dict[str, bool] = {}
    read = [0]

    def counted() -> Iterator[bytes]:
        for chunk in _iter_chunks(info.location, session):
            read[0] += len(chunk)
            yield chunk

    try:
        for _ in _decompress(counted(), codec, state):
            pass
    except _DECODE_ERRORS:
        return _problem(codec, f"corrupt data within the first {read[0]:,} compressed bytes")
    return None if state["complete"] else _problem(codec, "the stream is truncated")


def find_unreadable(files: list[sio.ObjectInfo], session: Any = None, limit: int = 10) -> list[tuple[str, str]]:
    """(uri, problem) of up to ``limit`` compressed inputs that do not decompress to their end."""
    found = []
    for info in files:
        problem = stream_problem(info, session)
        if problem:
            found.append((info.location.uri, problem))
            if len(found) >= limit:
                break
    return found


@contextmanager
def name_unreadable_inputs(files: list[sio.ObjectInfo], session: Any = None) -> Iterator[None]:
    """Turn a Spark failure while reading compressed inputs into a ``SchemaError`` that names the
    file and the problem.

    Spark reports a truncated gzip as ``EOFException: Unexpected end of input stream`` from some
    task, with no file name. When a Spark (Py4J) error escapes the block and the inputs include
    ``.gz``/``.bz2`` files, each is decompressed on the driver, streaming, to find the ones that
    do not decompress to their end; the first is raised, up to ten are logged by name. When none
    is found, the original error propagates unchanged.
    """
    try:
        yield
    except Exception as exc:
        compressed = [f for f in files if codec_of(f.location.key)]
        if not compressed or not type(exc).__module__.startswith(("py4j", "pyspark")):
            raise
        logger = logging.getLogger("secure_transform.compression")
        logger.warning("Spark failed while reading (%s); checking %d compressed input(s)", type(exc).__name__,
                       len(compressed))
        found = find_unreadable(compressed, session)
        if not found:
            raise
        from .errors import SchemaError

        for uri, problem in found:
            logger.error("%s: %s", uri, problem)
        more = f"; {len(found) - 1} more such file(s) named in the log" if len(found) > 1 else ""
        raise SchemaError(found[0][0], None, found[0][1] + more) from None


def _read_range(loc: sio.Location, size: int, session: Any = None) -> bytes:
    if loc.is_s3:
        return sio._s3_client(session).get_object(Bucket=loc.bucket, Key=loc.key,
                                                  Range=f"bytes=0-{size - 1}")["Body"].read()
    with open(loc.key, "rb") as fh:
        return fh.read(size)


def _iter_chunks(loc: sio.Location, session: Any = None) -> Iterator[bytes]:
    if loc.is_s3:
        body = sio._s3_client(session).get_object(Bucket=loc.bucket, Key=loc.key)["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()
        return
    with open(loc.key, "rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            yield chunk
