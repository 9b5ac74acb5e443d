"""CSV/TSV objects whose records span lines (quoted newlines), between masking and main_etl.

Every job parses CSV with RFC 4180's quoting rules: ``"`` quotes a field, ``""`` inside it is a
quote, and a quoted field may hold the separator, ``\\r`` or ``\\n``. The detector and masking
pair the lines of such records themselves (``detection.records``); main_etl reads with Spark's
CSV reader, whose ``multiLine`` mode parses them as one row but reads each file in one task (it
cannot split a file). So main_etl turns it on only when an input needs it, and masking tells it
which ones do: for each masked-zone object holding records that span lines (or a ``\r`` inside a
line, which Spark's line-based reader would take for a line break), masking writes a
small marker ``<masked zone>/_multiline_records/<key>.json`` (the object's size and counts, no
values). Hidden folders are skipped by listings and by Spark (the Glue read excludes the folder),
so the marker is never read as data.
A marker whose size no longer matches its object is stale and ignored.
"""

from __future__ import annotations

from typing import Any, Iterable

from . import io as sio

__all__ = ["MARKER_FOLDER", "READ_OPTIONS", "marked_objects", "update_markers", "write_marker"]

MARKER_FOLDER = "_multiline_records"
#: the CSV reader's quoting, RFC 4180 (Spark's default escape is a backslash, which breaks ``""``
#: next to a quoted newline)
READ_OPTIONS = {"quote": '"', "escape": '"'}


def _marker(target: sio.Location, key: str) -> sio.Location:
    return target.child(MARKER_FOLDER, key + ".json")


def write_marker(target: sio.Location, key: str, *, size: int, records: int, spanning: int, bare_cr: int = 0,
                 session: Any = None) -> None:
    """Record that ``key`` under ``target`` (``size`` bytes) holds ``spanning`` records spanning lines
    and ``bare_cr`` lines with a ``\r`` inside (a line break to Spark's line-based reader)."""
    sio.write_json(_marker(target, key), {"object": key, "bytes": int(size), "records": int(records),
                                          "records_spanning_lines": int(spanning),
                                          "lines_with_bare_carriage_return": int(bare_cr)}, session)


def update_markers(target: sio.Location, objects: Iterable[tuple[str, int, int, int, int]],
                   session: Any = None) -> None:
    """Write a marker for each ``(key, size, records, spanning, bare_cr)`` that needs one and drop the
    other keys' markers left by earlier runs (one listing of the marker folder)."""
    objects = list(objects)
    existing = {info.location for info in sio.list_objects(target.child(MARKER_FOLDER), session)}
    for key, size, records, spanning, bare_cr in objects:
        marker = _marker(target, key)
        if spanning > 0 or bare_cr > 0:
            write_marker(target, key, size=size, records=records, spanning=spanning, bare_cr=bare_cr, session=session)
        elif marker in existing:
            if marker.is_s3:
                sio._s3_client(session).delete_object(Bucket=marker.bucket, Key=marker.key)
            else:
                import os

                os.unlink(marker.key)


def marked_objects(source: sio.Location, files: Iterable[sio.ObjectInfo], session: Any = None) -> list[sio.ObjectInfo]:
    """The ``files`` under ``source`` that masking marked as holding records spanning lines (one
    listing of the marker folder; a marker whose size differs from its object's is ignored)."""
    files = list(files)
    folder = source.child(MARKER_FOLDER)
    sizes: dict[str, int] = {}
    for info in sio.list_objects(folder, session):
        if not info.location.key.endswith(".json"):
            continue
        record = sio.read_json(info.location, session)
        if isinstance(record, dict) and isinstance(record.get("bytes"), int):
            sizes[str(record.get("object"))] = record["bytes"]
    if not sizes:
        return []
    root = source.key.rstrip("/")
    out = []
    for info in files:
        key = info.location.key
        if not root:
            relative = key
        elif key.startswith(root + "/"):
            relative = key[len(root) + 1:]
        else:  # the source is the object itself
            relative = key.rsplit("/", 1)[-1]
        if sizes.get(relative) == info.size:
            out.append(info)
    return out
