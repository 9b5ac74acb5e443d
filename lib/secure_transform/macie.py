"""Amazon Macie sensitive data discovery results: the document model, reading and writing.

Follows AWS's published schema (``/work/shared/reference/macie-formats.md`` lists the sources):

* One JSON Lines record per S3 object, gzip-compressed, under
  ``<results>/<prefix>AWSLogs/<account>/Macie/<region>/<jobId>/...`` -- the depth below the job
  id varies (some results have an extra ``<account>/`` level), so readers list recursively or
  follow a finding's ``classificationDetails.detailedResultsLocation`` (a file, or a folder
  for archives).
* ``resourcesAffected.s3Object`` identifies the object (``key``, ``eTag``, ``versionId``).
* ``classificationDetails.result.status.code`` is ``COMPLETE``, ``PARTIAL`` or ``SKIPPED`` (with a
  ``reason``); managed detections are under ``sensitiveData[].detections[]`` (``type``,
  ``count``, ``occurrences``) and custom ones under ``customDataIdentifiers.detections[]``
  (``arn`` = the identifier's id, ``name``, ``count``, ``occurrences``).
* Occurrences, with their exact conventions:

  ``cells``         CSV/TSV: ``row`` and ``column`` 1-based, ``columnName``; ``cellReference``
                    is null for CSV/TSV; row 1 is the header line when there is one (the row is
                    the physical line number).
  ``records``       Parquet/Avro/JSON Lines: ``recordIndex`` 0-based (JSON Lines: the line);
                    JSON: always 0; ``jsonPath`` in dot or bracket notation, with array indexes.
  ``lineRanges``    text: ``start``/``end`` 1-based lines (inclusive), ``startColumn`` 1-based;
                    there is no end column, so the extent inside the line is unknown.
  ``pages``         PDF: ``pageNumber``.
  ``offsetRanges``  reserved for future use (null).

A discovery result lists up to 1,000 occurrences per type; when a detection's ``count`` is
larger than the occurrences listed, the locations of the rest are unknown (``is_capped``).
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping, Sequence

from . import io as sio
from .errors import ConfigError, SchemaError

__all__ = [
    "OCCURRENCE_KINDS",
    "STATUS_CODES",
    "DiscoveryResult",
    "Detection",
    "JsonPathElement",
    "ObjectRef",
    "Occurrence",
    "build_result_record",
    "format_json_path",
    "job_prefix",
    "parse_json_path",
    "parse_result",
    "read_results",
    "read_results_for_finding",
    "results_location_from_finding",
    "write_results",
]

OCCURRENCE_KINDS = ("cells", "records", "lineRanges", "pages", "offsetRanges")
STATUS_CODES = ("COMPLETE", "PARTIAL", "SKIPPED")
CATEGORIES = ("FINANCIAL_INFORMATION", "PERSONAL_INFORMATION", "CREDENTIALS", "CUSTOM_IDENTIFIER")
RESULT_SUFFIXES = (".jsonl.gz", ".jsonl", ".json.gz", ".json")
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_NAMESPACE = uuid.UUID("6f1d2b1e-3c5a-4d0e-9a7b-5f0c2e8d4a11")  # ids of our custom identifiers / records


# --- occurrences -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One location of sensitive data. ``kind`` is one of :data:`OCCURRENCE_KINDS`."""

    kind: str
    row: int | None = None
    column: int | None = None
    column_name: str | None = None
    cell_reference: str | None = None
    record_index: int | None = None
    json_path: str | None = None
    start: int | None = None
    end: int | None = None
    start_column: int | None = None
    page_number: int | None = None

    def to_json(self) -> dict[str, Any]:
        if self.kind == "cells":
            return {"cellReference": self.cell_reference, "column": self.column, "columnName": self.column_name,
                    "row": self.row}
        if self.kind == "records":
            out: dict[str, Any] = {"recordIndex": self.record_index}
            if self.json_path is not None:
                out["jsonPath"] = self.json_path
            return out
        if self.kind == "lineRanges":
            return {"end": self.end, "start": self.start, "startColumn": self.start_column}
        if self.kind == "pages":
            return {"pageNumber": self.page_number}
        return {"start": self.start, "end": self.end}

    @classmethod
    def from_json(cls, kind: str, item: Mapping[str, Any], source: str) -> "Occurrence":
        if not isinstance(item, Mapping):
            raise SchemaError(source, None, f"an occurrence in {kind} is not an object")

        def integer(name: str, minimum: int, required: bool = True) -> int | None:
            value = item.get(name)
            if value is None and not required:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise SchemaError(source, None, f"occurrence {kind}.{name} must be an integer >= {minimum}")
            return value

        if kind == "cells":
            name = item.get("columnName")
            return cls(kind, row=integer("row", 1), column=integer("column", 1),
                       column_name=name if isinstance(name, str) and name != "" else None,
                       cell_reference=item.get("cellReference"))
        if kind == "records":
            path = item.get("jsonPath")
            if path is not None and not isinstance(path, str):
                raise SchemaError(source, None, "occurrence records.jsonPath must be a string")
            return cls(kind, record_index=integer("recordIndex", 0), json_path=path or None)
        if kind == "lineRanges":
            return cls(kind, start=integer("start", 1), end=integer("end", 1), start_column=integer("startColumn", 1))
        if kind == "pages":
            return cls(kind, page_number=integer("pageNumber", 1, required=False))
        return cls(kind, start=item.get("start"), end=item.get("end"))


def _occurrences_json(occurrences: Sequence[Occurrence]) -> dict[str, Any]:
    """Only the location arrays that are used, as in Macie's own output (e.g. ``{"cells": [...]}``)."""
    out: dict[str, Any] = {}
    for occ in occurrences:
        out.setdefault(occ.kind, []).append(occ.to_json())
    return out


def _parse_occurrences(block: Any, source: str) -> tuple[Occurrence, ...]:
    if block is None:
        return ()
    if not isinstance(block, Mapping):
        raise SchemaError(source, None, "occurrences must be an object")
    found: list[Occurrence] = []
    for kind in OCCURRENCE_KINDS:
        items = block.get(kind)
        if items is None:
            continue
        if not isinstance(items, list):
            raise SchemaError(source, None, f"occurrences.{kind} must be a list or null")
        found.extend(Occurrence.from_json(kind, item, source) for item in items)
    return tuple(found)


# --- detections and results --------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """One detection: a managed type (``category`` set) or a custom identifier (``custom``)."""

    type: str
    count: int
    occurrences: tuple[Occurrence, ...] = ()
    category: str = "CUSTOM_IDENTIFIER"
    custom: bool = False
    identifier_id: str | None = None

    @property
    def listed(self) -> int:
        return len(self.occurrences)

    @property
    def is_capped(self) -> bool:
        """True when Macie found more occurrences than it lists (locations of the rest unknown)."""
        return self.count > self.listed

    def kinds(self) -> set[str]:
        return {o.kind for o in self.occurrences}


@dataclass(frozen=True)
class ObjectRef:
    """``resourcesAffected.s3Object`` (plus the bucket name)."""

    bucket: str
    key: str
    etag: str | None = None
    version_id: str | None = None
    size: int | None = None
    last_modified: str | None = None

    @property
    def extension(self) -> str:
        name = self.key.rsplit("/", 1)[-1]
        return name.rsplit(".", 1)[-1] if "." in name else ""


@dataclass(frozen=True)
class DiscoveryResult:
    """A parsed sensitive data discovery result for one object."""

    object: ObjectRef
    status: str
    status_reason: str | None = None
    detections: tuple[Detection, ...] = ()
    mime_type: str | None = None
    job_id: str | None = None
    created_at: str | None = None
    source: str = ""
    embedded_file: str | None = None

    @property
    def has_sensitive_data(self) -> bool:
        return any(d.count > 0 for d in self.detections)

    def occurrence_kinds(self) -> set[str]:
        return set().union(*(d.kinds() for d in self.detections)) if self.detections else set()


def _require(mapping: Any, path: str, source: str) -> Any:
    node = mapping
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise SchemaError(source, None, f"discovery result lacks {path}")
        node = node[part]
    return node


def _count(value: Any, source: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SchemaError(source, None, f"{what} must be a non-negative integer")
    return value


def parse_result(record: Mapping[str, Any], source: str = "discovery result") -> DiscoveryResult:
    """Parse one discovery-result (or finding) JSON object. ``SchemaError`` names the problem."""
    if not isinstance(record, Mapping):
        raise SchemaError(source, None, "a discovery result line is not a JSON object")
    if "detail" in record and "classificationDetails" not in record:  # an EventBridge event
        record = record["detail"]
    details = _require(record, "classificationDetails", source)
    result = _require(details, "result", source)
    status = _require(result, "status", source)
    code = status.get("code") if isinstance(status, Mapping) else None
    if code not in STATUS_CODES:
        raise SchemaError(source, None, f"result.status.code must be one of {', '.join(STATUS_CODES)}")
    s3_object = _require(record, "resourcesAffected.s3Object", source)
    key = s3_object.get("key")
    if not isinstance(key, str) or not key:
        raise SchemaError(source, None, "resourcesAffected.s3Object.key is missing")
    bucket_block = (record.get("resourcesAffected") or {}).get("s3Bucket") or {}
    bucket = bucket_block.get("name") or ""
    if not bucket:
        path = s3_object.get("path") or ""
        bucket = path.split("/", 1)[0] if "/" in path else ""
    etag = s3_object.get("eTag")
    obj = ObjectRef(bucket=bucket, key=key, etag=etag.strip('"') if isinstance(etag, str) and etag else None,
                    version_id=s3_object.get("versionId") or None, size=s3_object.get("size"),
                    last_modified=s3_object.get("lastModified"))
    detections: list[Detection] = []
    for item in result.get("sensitiveData") or []:
        if not isinstance(item, Mapping):
            raise SchemaError(source, None, "sensitiveData entries must be objects")
        category = item.get("category") or "PERSONAL_INFORMATION"
        for det in item.get("detections") or []:
            dtype = det.get("type") if isinstance(det, Mapping) else None
            if not isinstance(dtype, str) or not dtype:
                raise SchemaError(source, None, "a sensitiveData detection lacks its type")
            detections.append(Detection(dtype, _count(det.get("count", 0), source, f"count of {dtype}"),
                                        _parse_occurrences(det.get("occurrences"), source), category=category))
    custom = result.get("customDataIdentifiers") or {}
    for det in (custom.get("detections") if isinstance(custom, Mapping) else None) or []:
        name = det.get("name") if isinstance(det, Mapping) else None
        if not isinstance(name, str) or not name:
            raise SchemaError(source, None, "a customDataIdentifiers detection lacks its name")
        detections.append(Detection(name, _count(det.get("count", 0), source, f"count of custom identifier {name}"),
                                    _parse_occurrences(det.get("occurrences"), source), custom=True,
                                    identifier_id=det.get("arn")))
    embedded = s3_object.get("embeddedFileDetails")
    return DiscoveryResult(
        object=obj, status=code, status_reason=status.get("reason") or None, detections=tuple(detections),
        mime_type=result.get("mimeType"), job_id=details.get("jobId"), created_at=record.get("createdAt"),
        source=source, embedded_file=(embedded or {}).get("filePath") if isinstance(embedded, Mapping) else None)


def _decode(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def _records_in(text: str, source: str) -> Iterator[Mapping[str, Any]]:
    stripped = text.strip()
    if not stripped:
        return
    if stripped.startswith("["):  # a GetFindings-style export: a JSON array of findings
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise SchemaError(source, None, f"not valid JSON (line {exc.lineno})") from None
        yield from items
        return
    if "\n" not in stripped:
        lines = [stripped]
    else:
        lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            # a pretty-printed single document
            try:
                yield json.loads(stripped)
                return
            except json.JSONDecodeError:
                raise SchemaError(source, None, f"line {number} is not valid JSON") from None


def read_results(loc: sio.Location, session: Any = None) -> Iterator[DiscoveryResult]:
    """Every discovery result in a file or (recursively, any depth) under a folder/prefix."""
    for info in _result_files(loc, session):
        name = info.location.key.lower()
        if not name.endswith(RESULT_SUFFIXES):
            continue
        source = info.location.uri
        for record in _records_in(_decode(sio.read_bytes(info.location, session)), source):
            yield parse_result(record, source)


def _result_files(loc: sio.Location, session: Any) -> Iterator[sio.ObjectInfo]:
    if loc.is_s3 and loc.key and loc.key.lower().endswith(RESULT_SUFFIXES):
        client = sio._s3_client(session)
        resp = client.list_objects_v2(Bucket=loc.bucket, Prefix=loc.key, MaxKeys=1)
        if any(o["Key"] == loc.key for o in resp.get("Contents", [])):  # a file, not a folder
            yield sio.ObjectInfo(loc, 0)
            return
    yield from sio.list_objects(loc, session)


def results_location_from_finding(finding: Mapping[str, Any]) -> sio.Location:
    """``classificationDetails.detailedResultsLocation`` of a finding (or of an EventBridge event)."""
    if "detail" in finding and "classificationDetails" not in finding:
        finding = finding["detail"]
    details = finding.get("classificationDetails") if isinstance(finding, Mapping) else None
    where = (details or {}).get("detailedResultsLocation")
    if not isinstance(where, str) or not where:
        raise ConfigError("--finding", "the finding has no classificationDetails.detailedResultsLocation")
    if "[export-config-not-set]" in where:
        raise ConfigError("--finding", "Macie has no discovery-results repository configured "
                                       "(detailedResultsLocation is s3://[export-config-not-set]/...)")
    return sio.parse_location(where, "--finding")


def read_results_for_finding(finding: Mapping[str, Any], session: Any = None) -> list[DiscoveryResult]:
    """The discovery result(s) a finding points to (a file, or a folder for archives)."""
    return list(read_results(results_location_from_finding(finding), session))


# --- JSON paths --------------------------------------------------------------------------------

JsonPathElement = tuple  # ("field", name) | ("index", n) | ("wildcard", None)
_DOT_NAME = re.compile(r"[A-Za-z_$@][A-Za-z0-9_$@\-]*")


def parse_json_path(path: str) -> tuple[JsonPathElement, ...]:
    """Parse ``$.a.b[2]``, ``$['a']["b"][2]``, ``$[3].x`` or ``$.a[*]`` into elements.

    Raises ``ValueError`` (without echoing the path) when the path is not of these forms.
    """
    if not isinstance(path, str) or not path.startswith("$"):
        raise ValueError("a JSON path must start with $")
    i, n = 1, len(path)
    out: list[JsonPathElement] = []
    while i < n:
        ch = path[i]
        if ch == ".":
            m = _DOT_NAME.match(path, i + 1)
            if not m:
                raise ValueError("bad name after '.' in JSON path")
            out.append(("field", m.group(0)))
            i = m.end()
        elif ch == "[":
            if i + 1 < n and path[i + 1] in "'\"":
                quote = path[i + 1]
                j = i + 2
                name = []
                while j < n and path[j] != quote:
                    if path[j] == "\\" and j + 1 < n:
                        j += 1
                    name.append(path[j])
                    j += 1
                if j + 1 >= n or path[j + 1] != "]":
                    raise ValueError("unterminated quoted name in JSON path")
                out.append(("field", "".join(name)))
                i = j + 2
            else:
                j = path.find("]", i)
                if j < 0:
                    raise ValueError("unterminated [ in JSON path")
                inner = path[i + 1:j].strip()
                if inner == "*":
                    out.append(("wildcard", None))
                elif inner.isdigit():
                    out.append(("index", int(inner)))
                else:
                    raise ValueError("array index in JSON path is not a number")
                i = j + 1
        else:
            raise ValueError("unexpected character in JSON path")
    return tuple(out)


def format_json_path(elements: Iterable[JsonPathElement]) -> str:
    """Format elements in dot notation where the name allows it, bracket notation otherwise."""
    parts = ["$"]
    for kind, value in elements:
        if kind == "field":
            if _DOT_NAME.fullmatch(value):
                parts.append(f".{value}")
            else:
                parts.append("['" + value.replace("\\", "\\\\").replace("'", "\\'") + "']")
        elif kind == "index":
            parts.append(f"[{value}]")
        else:
            parts.append("[*]")
    return "".join(parts)


# --- writing (the built-in detector) -------------------------------------------------------------


def job_prefix(results: sio.Location, account: str, region: str, job_id: str) -> sio.Location:
    """``<results>/AWSLogs/<account>/Macie/<region>/<jobId>``."""
    if not _JOB_ID.match(job_id):
        raise ConfigError("--job_id", "must be 32 lowercase hex characters, like Macie's job ids")
    return results.child("AWSLogs", account, "Macie", region, job_id)


def custom_identifier_id(name: str) -> str:
    """A stable id for one of our custom identifiers (real Macie puts the bare UUID in ``arn``)."""
    return str(uuid.uuid5(_NAMESPACE, f"custom-data-identifier/{name}"))


_SEVERITY = {1: "Low", 2: "Medium", 3: "High"}


def build_result_record(obj: ObjectRef, detections: Sequence[Detection], *, account: str, region: str, job_id: str,
                        results_file: str, status: str = "COMPLETE", reason: str | None = None,
                        mime_type: str | None = None, created_at: str | None = None,
                        description: str = "Sensitive data discovery result of the secure-transform built-in detector.",
                        ) -> dict[str, Any]:
    """One discovery-result record in Macie's schema for ``obj`` and its detections."""
    if status not in STATUS_CODES:
        raise ValueError(f"status must be one of {STATUS_CODES}")
    now = created_at or datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    managed: dict[str, list[Detection]] = {}
    custom: list[Detection] = []
    for det in detections:
        (custom.append(det) if det.custom else managed.setdefault(det.category, []).append(det))
    sensitive = [{"category": cat, "totalCount": sum(d.count for d in dets),
                  "detections": [{"type": d.type, "count": d.count,
                                  "occurrences": _occurrences_json(d.occurrences)} for d in dets]}
                 for cat, dets in sorted(managed.items())]
    custom_block = {"totalCount": sum(d.count for d in custom),
                    "detections": [{"arn": d.identifier_id or custom_identifier_id(d.type), "name": d.type,
                                    "count": d.count, "occurrences": _occurrences_json(d.occurrences)}
                                   for d in custom]}
    kinds = set(managed) | ({"CUSTOM_IDENTIFIER"} if custom else set())
    finding_type = "SensitiveData:S3Object/Multiple" if len(kinds) > 1 else {
        "FINANCIAL_INFORMATION": "SensitiveData:S3Object/Financial",
        "PERSONAL_INFORMATION": "SensitiveData:S3Object/Personal",
        "CREDENTIALS": "SensitiveData:S3Object/Credentials",
        "CUSTOM_IDENTIFIER": "SensitiveData:S3Object/CustomIdentifier",
    }.get(next(iter(kinds), ""), "SensitiveData:S3Object/Personal")
    score = 3 if kinds & {"FINANCIAL_INFORMATION", "CREDENTIALS"} else 2 if kinds else 1
    bucket_arn = f"arn:aws:s3:::{obj.bucket}"
    record_id = str(uuid.uuid5(_NAMESPACE, f"{job_id}/{obj.bucket}/{obj.key}/{obj.etag}"))
    return {
        "schemaVersion": "1.0",
        "id": record_id,
        "accountId": account,
        "partition": "aws",
        "region": region,
        "type": finding_type,
        "title": "The S3 object contains sensitive information." if kinds else "The S3 object was analyzed.",
        "description": description,
        "severity": {"score": score, "description": _SEVERITY[score]},
        "createdAt": now,
        "updatedAt": now,
        "category": "CLASSIFICATION",
        "count": 1,
        "archived": False,
        "sample": False,
        "classificationDetails": {
            "jobArn": f"arn:aws:macie2:{region}:{account}:classification-job/{job_id}",
            "jobId": job_id,
            "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
            "detailedResultsLocation": results_file,
            "result": {
                "status": {"code": status, "reason": reason},
                "sizeClassified": obj.size if status != "SKIPPED" else 0,
                "mimeType": mime_type,
                "additionalOccurrences": any(d.is_capped for d in detections),
                "sensitiveData": sensitive,
                "customDataIdentifiers": custom_block,
            },
        },
        "resourcesAffected": {
            "s3Bucket": {"arn": bucket_arn, "name": obj.bucket},
            "s3Object": {"bucketArn": bucket_arn, "key": obj.key, "path": f"{obj.bucket}/{obj.key}",
                         "extension": obj.extension, "eTag": obj.etag, "versionId": obj.version_id or "",
                         "size": obj.size, "lastModified": obj.last_modified, "storageClass": "STANDARD"},
        },
    }


def result_file_location(results: sio.Location, account: str, region: str, job_id: str, obj: ObjectRef) -> sio.Location:
    """Where the record of ``obj`` goes: ``.../<jobId>/<account>/<uuid>.jsonl.gz`` (Macie's 2024 layout)."""
    name = str(uuid.uuid5(_NAMESPACE, f"{obj.bucket}/{obj.key}")) + ".jsonl.gz"
    return job_prefix(results, account, region, job_id).child(account, name)


def write_results(results: sio.Location, records: Iterable[tuple[ObjectRef, Sequence[Detection], Mapping[str, Any]]],
                  *, account: str, region: str, job_id: str, session: Any = None) -> list[sio.Location]:
    """Write one gzip JSON Lines file per object; ``records`` yields (object, detections, options)
    where options are :func:`build_result_record` keywords (status, reason, mime_type)."""
    written = []
    for obj, detections, options in records:
        loc = result_file_location(results, account, region, job_id, obj)
        record = build_result_record(obj, detections, account=account, region=region, job_id=job_id,
                                     results_file=loc.uri, **dict(options))
        line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
        sio.write_bytes(loc, gzip.compress(line.encode("utf-8"), mtime=0), session)
        written.append(loc)
    return written


@dataclass(frozen=True)
class ResultIndex:
    """Discovery results by object key, newest first (several jobs may have scanned an object)."""

    by_key: Mapping[str, tuple[DiscoveryResult, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, results: Iterable[DiscoveryResult]) -> "ResultIndex":
        grouped: dict[str, list[DiscoveryResult]] = {}
        for res in results:
            if res.embedded_file:  # per-file results inside archives: the archive itself is the object
                continue
            grouped.setdefault(res.object.key, []).append(res)
        return cls({k: tuple(sorted(v, key=lambda r: r.created_at or "", reverse=True)) for k, v in grouped.items()})

    def candidates(self, key: str, bucket: str | None = None) -> tuple[DiscoveryResult, ...]:
        """Results for an object key (exact, else a key ending in ``/<key>`` for local copies)."""
        found = self.by_key.get(key)
        if found is None:
            suffix = "/" + key.lstrip("/")
            matches = [r for k, rs in self.by_key.items() if k.endswith(suffix) for r in rs]
            found = tuple(sorted(matches, key=lambda r: r.created_at or "", reverse=True))
        if bucket:
            found = tuple(r for r in found if not r.object.bucket or r.object.bucket == bucket)
        return found
