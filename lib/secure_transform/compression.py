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
in the job (or, for ``.zip``, binary rows). So are ``.GZ``/``.BZ2`` in another case: Hadoop
matches codec suffixes case-sensitively and would read such a file as plain text.
"""

from __future__ import annotations

import bz2
import logging
import time
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
    """``gzip``, ``bzip2`` or None. Case-sensitive, as Hadoop's codec lookup is: Spark reads
    ``a.CSV.GZ`` as plain text (binary rows), so :func:`unsupported_suffix` refuses it."""
    return next((codec for suffix, codec in CODECS.items() if key.endswith(suffix)), None)


def unsupported_suffix(key: str) -> str | None:
    """The codec suffix of ``key`` (as written) when a text input cannot have it, else None."""
    lower = key.lower()
    if lower.endswith(".snappy.parquet"):
        return None
    for suffix in (*UNSUPPORTED_SUFFIXES, *CODECS):
        if lower.endswith(suffix):
            written = key[-len(suffix):]
            return None if written in CODECS else written
    return None


def _new(codec: str) -> Any:
    return zlib.decompressobj(16 + zlib.MAX_WBITS) if codec == "gzip" else bz2.BZ2Decompressor()


class _Corrupt(Exception):
    """The bytes are not valid for the codec (never raised for I/O errors: those propagate)."""


def _decompress(chunks: Iterable[bytes], codec: str, state: dict[str, bool]) -> Iterator[bytes]:
    """Decompressed pieces (each at most ``CHUNK_BYTES``) of a possibly multi-member stream:
    ``cat a.gz b.gz`` is valid gzip, and the same holds for bzip2. ``state["complete"]`` is False
    while a member has started and not ended: at the end of the input, a truncated stream.

    What Hadoop's readers accept: gzip is strict (bytes after a member must be another member;
    trailing zeros fail the task), bzip2 is read block by block and ignores anything after the
    last stream that does not start a new one (``BZh``), such as padding or a newline."""
    state["complete"] = True
    member = None
    ended_bzip2 = False
    for data in chunks:
        if ended_bzip2:
            continue  # read to the end (a streamed body), ignoring trailing bytes
        while data:
            if member is None or member.eof:  # a new member starts where the previous one ended
                if codec == "bzip2" and member is not None and not data.startswith(b"BZh"[:len(data)]):
                    ended_bzip2 = True
                    break
                member, state["complete"] = _new(codec), False
            while True:
                try:
                    out = member.decompress(data, CHUNK_BYTES)
                except (zlib.error, OSError, EOFError):  # zlib.error, bz2 "Invalid data stream"
                    raise _Corrupt() from None
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
    from .detection import read_head as read_bytes_head

    body = read_bytes_head(info.location, session, raw)
    if codec is None or not body:
        return body[:limit]
    state: dict[str, bool] = {}
    text = bytearray()
    try:
        for piece in _decompress([body], codec, state):
            text += piece
            if len(text) >= limit:
                return bytes(text[:limit])
    except _Corrupt:
        raise SchemaError(info.location.uri, None, _problem(codec, f"not valid {codec} data")) from None
    if len(body) >= info.size and not state["complete"]:
        raise SchemaError(info.location.uri, None, _problem(codec, "the stream is truncated"))
    return bytes(text)


def stream_problem(info: sio.ObjectInfo, session: Any = None) -> str | None:
    """Decompress the whole file, streaming, the output discarded: None when it is sound, else
    the problem (``cannot be read as gzip (the stream is truncated)``, ...). I/O errors (a
    missing object, an S3 timeout) propagate: they say nothing about the file's bytes."""
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
    except _Corrupt:
        return _problem(codec, f"corrupt data within the first {read[0]:,} compressed bytes")
    return None if state["complete"] else _problem(codec, "the stream is truncated")


def find_unreadable(files: list[sio.ObjectInfo], session: Any = None, limit: int = 10,
                    budget_s: float | None = None) -> list[tuple[str, str]]:
    """(uri, problem) of up to ``limit`` compressed inputs that do not decompress to their end.
    With ``budget_s``, raises ``TimeoutError`` once the files checked so far took longer."""
    found = []
    started = time.monotonic()
    for info in files:
        if budget_s is not None and time.monotonic() - started > budget_s:
            raise TimeoutError(f"the {budget_s:.0f} s budget of the scan is spent")
        problem = stream_problem(info, session)
        if problem:
            found.append((info.location.uri, problem))
            if len(found) >= limit:
                break
    return found


# What Hadoop's gzip/bzip2 readers say when a stream is damaged (lower case); any other failure
# (a UDF error, lost executors, out of memory) is not followed by a scan of the inputs.
CODEC_FAILURE_MARKERS = ("org.apache.hadoop.io.compress", "unexpected end of input stream", "unexpected end of stream",
                         "not a gzip file", "zipexception", "incorrect header check", "invalid block type",
                         "invalid stored block", "invalid distance", "crc", "bad block header", "bzip2",
                         "eofexception")
SCAN_SECONDS = 900.0  # the driver-side scan gives up (and the original error propagates) after this


@contextmanager
def name_unreadable_inputs(files: list[sio.ObjectInfo], session: Any = None,
                           budget_s: float | None = None) -> Iterator[None]:
    """Turn a Spark failure while reading compressed inputs into a ``SchemaError`` that names the
    file and the problem.

    Spark reports a truncated gzip as ``EOFException: Unexpected end of input stream`` from some
    task, with no file name. When a Spark (Py4J) error that reads like a codec failure escapes the
    block and the inputs include ``.gz``/``.bz2`` files, each is decompressed on the driver,
    streaming, to find the ones that do not decompress to their end; the first is raised, up to
    ten are logged by name. The original error propagates unchanged when the error is of another
    kind, when no damaged file is found, when the scan itself fails (an S3 timeout says nothing
    about the file) or when it would take longer than ``budget_s`` (default ``SCAN_SECONDS``).
    """
    try:
        yield
    except Exception as exc:
        compressed = [f for f in files if codec_of(f.location.key)]
        if not compressed or not type(exc).__module__.startswith(("py4j", "pyspark")):
            raise
        text = str(exc).lower()
        if not any(marker in text for marker in CODEC_FAILURE_MARKERS):
            raise
        logger = logging.getLogger("secure_transform.compression")
        logger.warning("Spark failed while reading (%s); checking %d compressed input(s)", type(exc).__name__,
                       len(compressed))
        try:
            found = find_unreadable(compressed, session, budget_s=SCAN_SECONDS if budget_s is None else budget_s)
        except Exception as scan_exc:  # noqa: BLE001 - the original failure is the one to report
            logger.warning("could not check the compressed inputs (%s)", type(scan_exc).__name__)
            raise exc from None
        if not found:
            raise
        from .errors import SchemaError

        for uri, problem in found:
            logger.error("%s: %s", uri, problem)
        more = f"; {len(found) - 1} more such file(s) named in the log" if len(found) > 1 else ""
        raise SchemaError(found[0][0], None, found[0][1] + more) from None


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
