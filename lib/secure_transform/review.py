"""Quarantine review: list, approve or deny what the masking job and the leak check quarantined.

Quarantine layout (S3 bucket/prefix or local path)::

    objects/<key>                 raw objects macie_masking could not mask safely (bytes unchanged)
    reasons/<key>.json            their reason record: reason code, Macie status, finding counts
                                  per type (never values), and the audit trail of decisions
    transformed/run_id=<id>/      runs the leak check refused to publish (with _reason.json)

Decisions mirror the seed design's manual approval step:

* ``approve`` -- the reviewer vouches that the object may enter the masked zone unmasked: it is
  moved to ``<masked>/<key>`` and tagged ``review=approved``, ``reviewer``, ``reviewed_at``
  (S3 object tags; locally a sidecar ``<masked>/_review/<key>.json``, which Spark ignores).
* ``deny`` -- the quarantined copy is deleted; the reason record stays as the audit record and
  is tagged ``review=denied`` with reviewer and time (S3) / updated (local).

Every decision is appended to the reason record. Leak-check runs are listed (reason and counts)
but not approvable: a leaking run is fixed by correcting the configuration and re-running.

Objects quarantined *before* masking (``UNANALYSED_REASONS``: no discovery result, a result for
another version of the object, Macie SKIPPED/PARTIAL, a record without a reason) were never
checked as they are now: their finding counts say nothing about these bytes. Approving one would
publish unmasked data, so ``approve`` refuses it with the commands that re-run detection and
masking on it (the masked copy then enters the masked zone; ``deny`` closes the quarantined one).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from . import io as sio
from .errors import ConfigError, SecureTransformError

__all__ = ["QuarantinedItem", "approve", "deny", "list_quarantine"]

_REVIEWER = re.compile(r"^[A-Za-z0-9 ._@+\-=:/]{1,64}$")
#: macie_masking reasons that mean no valid analysis of the object's current bytes exists
UNANALYSED_REASONS = frozenset({"no_discovery_result", "etag_mismatch", "version_mismatch", "status_skipped",
                                "status_partial", "unsupported_format", "damaged_compressed_object"})


@dataclass(frozen=True)
class QuarantinedItem:
    """One quarantined object or run (reason and counts only)."""

    kind: str  # "object" | "run"
    key: str
    reason: str | None
    detail: str | None = None
    findings_by_type: Mapping[str, int] = field(default_factory=dict)
    records: int | None = None
    quarantined_at: str | None = None
    status: str = "pending"
    decisions: tuple = ()

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "reason": self.reason, "detail": self.detail,
                "findings_by_type": dict(self.findings_by_type), "records": self.records,
                "quarantined_at": self.quarantined_at, "status": self.status, "decisions": list(self.decisions)}


def _reason_loc(quarantine: sio.Location, key: str) -> sio.Location:
    return quarantine.child("reasons", key + ".json")


def _object_loc(quarantine: sio.Location, key: str) -> sio.Location:
    return quarantine.child("objects", key)


def _reason_files(quarantine: sio.Location, session: Any) -> list[tuple[str, sio.Location]]:
    root = quarantine.child("reasons")
    out = []
    if root.is_s3:
        client = sio._s3_client(session)
        prefix = root.key.rstrip("/") + "/"
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=root.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".json"):
                    out.append((obj["Key"][len(prefix):-len(".json")], sio.Location("s3", root.bucket, obj["Key"])))
        return out
    if not os.path.isdir(root.key):
        return out
    for dirpath, _dirs, files in os.walk(root.key):
        for name in files:
            if name.endswith(".json"):
                full = os.path.join(dirpath, name)
                key = os.path.relpath(full, root.key)[:-len(".json")].replace(os.sep, "/")
                out.append((key, sio.Location("file", "", full)))
    return sorted(out)


def _runs(quarantine: sio.Location, session: Any) -> list[QuarantinedItem]:
    root = quarantine.child("transformed")
    items = []
    if root.is_s3:
        client = sio._s3_client(session)
        prefix = root.key.rstrip("/") + "/"
        names = set()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=root.bucket, Prefix=prefix, Delimiter="/"):
            names.update(cp["Prefix"][len(prefix):].rstrip("/") for cp in page.get("CommonPrefixes", []))
    else:
        names = set(os.listdir(root.key)) if os.path.isdir(root.key) else set()
    for name in sorted(n for n in names if n.startswith("run_id=")):
        reason_loc = root.child(name, "_reason.json")
        record = sio.read_json(reason_loc, session) if sio.exists(reason_loc, session) else {}
        detail = ("the re-identification risk gate blocked it; not published"
                  if record.get("reason") == "reidentification_risk" else
                  "the leak check found personal data; not published")
        items.append(QuarantinedItem(kind="run", key=f"transformed/{name}", reason=record.get("reason"),
                                     detail=detail,
                                     findings_by_type=record.get("by_type") or {}, records=record.get("rows"),
                                     quarantined_at=record.get("quarantined_at")))
    return items


def _require_zone(quarantine: sio.Location, session: Any) -> None:
    """A quarantine path that does not exist is an error, not an empty quarantine."""
    sio.require_existing(quarantine, "--quarantine", session)
    if not quarantine.is_s3 and not os.path.isdir(quarantine.key):
        raise ConfigError("--quarantine", f"{quarantine.key} is a file, not a quarantine zone (a folder)")


def list_quarantine(quarantine: sio.Location, session: Any = None, *, include_decided: bool = False) -> list[QuarantinedItem]:
    """Quarantined objects (pending review unless ``include_decided``) and runs."""
    _require_zone(quarantine, session)
    items = []
    for key, loc in _reason_files(quarantine, session):
        record = sio.read_json(loc, session)
        status = record.get("status", "pending")
        if status != "pending" and not include_decided:
            continue
        items.append(QuarantinedItem(kind="object", key=key, reason=record.get("reason"), detail=record.get("detail"),
                                     findings_by_type=record.get("findings_by_type") or {},
                                     records=record.get("records"), quarantined_at=record.get("quarantined_at"),
                                     status=status, decisions=tuple(record.get("decisions") or ())))
    return items + _runs(quarantine, session)


def _check_reviewer(reviewer: str) -> str:
    if not isinstance(reviewer, str) or not _REVIEWER.match(reviewer):
        raise ConfigError("--reviewer", "must be 1-64 characters: letters, digits, space and . _ @ + - = : /")
    return reviewer


def _pending_record(quarantine: sio.Location, key: str, session: Any) -> dict:
    _require_zone(quarantine, session)
    if key.startswith("transformed/"):
        raise SecureTransformError(f"{key}: a run quarantined by the leak check cannot be approved or denied here; "
                                   "fix the configuration and re-run main_etl")
    loc = _reason_loc(quarantine, key)
    if not sio.exists(loc, session) or not _exact_exists(loc, session):
        raise ConfigError("--key", f"no quarantined object {key!r} (see `secure-transform review list`)")
    record = sio.read_json(loc, session)
    if record.get("status", "pending") != "pending":
        raise ConfigError("--key", f"{key!r} was already reviewed ({record.get('status')})")
    return record


def _exact_exists(loc: sio.Location, session: Any) -> bool:
    if not loc.is_s3:
        return os.path.isfile(loc.key)
    resp = sio._s3_client(session).list_objects_v2(Bucket=loc.bucket, Prefix=loc.key, MaxKeys=1)
    return any(o["Key"] == loc.key for o in resp.get("Contents", []))


def _tags(decision: str, reviewer: str, when: str) -> dict[str, str]:
    from .masking import _tag_value

    return {"review": decision, "reviewer": _tag_value(reviewer), "reviewed_at": _tag_value(when)}


def _put_tags(loc: sio.Location, tags: Mapping[str, str], session: Any) -> None:
    sio._s3_client(session).put_object_tagging(Bucket=loc.bucket, Key=loc.key, Tagging={
        "TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def approve(quarantine: sio.Location, key: str, masked: sio.Location, reviewer: str, *, note: str | None = None,
            session: Any = None) -> dict:
    """Move a quarantined object into the masked zone and record the approval."""
    from .masking import copy_object

    reviewer = _check_reviewer(reviewer)
    record = _pending_record(quarantine, key, session)
    _refuse_unanalysed(quarantine, key, record)
    src = _object_loc(quarantine, key)
    dst = masked.child(key)
    when = _now()
    tags = _tags("approved", reviewer, when)
    copy_object(src, dst, session, tags=tags if dst.is_s3 else None)
    if dst.is_s3 and not src.is_s3:
        _put_tags(dst, tags, session)
    if not dst.is_s3:
        sio.write_json(masked.child("_review", key + ".json"), {"object": key, "review": "approved", "reviewer": reviewer,
                                                                "reviewed_at": when, "note": note,
                                                                "quarantine_reason": record.get("reason")}, session)
    _delete(src, session)
    decision = {"decision": "approved", "reviewer": reviewer, "at": when, "note": note, "destination": dst.uri}
    _record(quarantine, key, record, "approved", decision, session)
    return decision


def _refuse_unanalysed(quarantine: sio.Location, key: str, record: Mapping[str, Any]) -> None:
    """Approval copies bytes as they are: refuse it for an object whose current bytes nobody analysed."""
    reason = record.get("reason")
    if reason and reason not in UNANALYSED_REASONS:
        return
    source = record.get("source") or _object_loc(quarantine, key).uri
    raise SecureTransformError(
        f"{key}: quarantined before masking ({reason or 'no reason recorded'}), so its current contents were never "
        "checked for personal data; approving would publish it unmasked. Re-run detection and masking on it: "
        f"`secure-transform detect --input {source} --output <results>` then `secure-transform mask --input {source} "
        "--results <results> --output <masked zone> --quarantine <quarantine>`, then close this record with "
        f"`secure-transform review deny --quarantine {quarantine.uri} --key {key} --reviewer <you>`")


def deny(quarantine: sio.Location, key: str, reviewer: str, *, note: str | None = None, session: Any = None,
         pii_type: str | None = None, column: str | None = None, json_path: str | None = None,
         example_shape: str | None = None) -> dict:
    """Delete a quarantined object; its reason record stays as the audit record.

    Writes a feedback record set first (``<quarantine>/feedback/review_deny/...``): one record per
    PII type (``pii_type``, else the types the detector counted, else ``UNKNOWN``) with the
    column or JSON path and the redacted ``example_shape`` when given. A shape that could hold
    real data is refused before anything is deleted or written.
    """
    from . import feedback

    reviewer = _check_reviewer(reviewer)
    feedback.validate_example_shape(example_shape)
    record = _pending_record(quarantine, key, session)
    types = [pii_type] if pii_type else sorted(record.get("findings_by_type") or {}) or ["UNKNOWN"]
    counts = record.get("findings_by_type") or {}
    records = [feedback.FeedbackRecord(object=key, type=t, reason="review_denied", column=column, json_path=json_path,
                                       example_shape=example_shape,
                                       count=int(counts[t]) if t in counts and not pii_type else None) for t in types]
    when = _now()
    written = feedback.write_record_set(quarantine, "review_deny", records, run_id=record.get("run_id"),
                                        detector=record.get("detector_version"), session=session,
                                        extra={"reviewer": reviewer, "quarantine_reason": record.get("reason")})
    _delete(_object_loc(quarantine, key), session)
    decision = {"decision": "denied", "reviewer": reviewer, "at": when, "note": note,
                "feedback": written.uri if written is not None else None}
    _record(quarantine, key, record, "denied", decision, session)
    return decision


def _delete(loc: sio.Location, session: Any) -> None:
    if loc.is_s3:
        sio._s3_client(session).delete_object(Bucket=loc.bucket, Key=loc.key)
    elif os.path.exists(loc.key):
        os.unlink(loc.key)


def _record(quarantine: sio.Location, key: str, record: dict, status: str, decision: dict, session: Any) -> None:
    record = dict(record)
    record["status"] = status
    record["decisions"] = list(record.get("decisions") or []) + [decision]
    loc = _reason_loc(quarantine, key)
    sio.write_json(loc, record, session)
    if loc.is_s3:
        _put_tags(loc, _tags(status, decision["reviewer"], decision["at"]), session)
