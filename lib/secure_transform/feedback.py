"""Feedback loop: personal data the detectors missed becomes detector improvements.

Two events teach us that a detector missed something:

* the **leak check** finds personal data in a transformed run (the detector upstream, Macie or
  the built-in one, let it through);
* a reviewer **denies** a quarantined object (``secure-transform review deny``), optionally with a
  redacted *example shape* of what was missed.

Each event writes one **record set** (one JSON object holding all its records) to
``<quarantine>/feedback/<source>/<YYYY-MM-DD>/<time>-<id>.json``, atomically (S3 ``PutObject``;
locally temp file + rename), never updated afterwards. A record holds the object, the column or
JSON path, the PII type, the detector version, the reason and the run id, **never a value**.

Example shapes use a fixed alphabet (:data:`SHAPE_ALPHABET`): ``9`` for any digit, ``A`` for
any upper-case letter, ``a`` for any lower-case letter, plus the separators
``space - . / _ : @ + ( ) # , *``. Anything else (another digit, another letter, any other
character) is refused: ``9999 9999 9999 9999`` is a shape, ``4111 1111 1111 1111`` is data.

``secure-transform feedback summarize`` aggregates the record sets into a curated table (types
and shapes missed, by column and source) and proposes Macie custom data identifiers (a regex
from each shape, keywords from the columns and type, a maximum match distance) as a
``.tfvars.json`` for the root module's ``macie_custom_data_identifiers`` variable, validated by
the same rules as the Terraform variable (and Macie's ``CreateCustomDataIdentifier`` limits).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from . import io as sio
from .errors import ConfigError

__all__ = [
    "SCHEMA", "SHAPE_ALPHABET", "TFVARS_VARIABLE", "FeedbackRecord", "candidate_identifiers", "detector_version",
    "read_record_sets", "regex_from_shape", "summarize", "validate_custom_data_identifiers",
    "validate_example_shape", "write_record_set",
]

SCHEMA = "secure-transform/feedback-v1"
FEEDBACK_PREFIX = "feedback"
SHAPE_SEPARATORS = " -./_:@+()#,*"
SHAPE_ALPHABET = "9Aa" + SHAPE_SEPARATORS
MAX_SHAPE_LENGTH = 100
MIN_SHAPE_SYMBOLS = 5  # shorter shapes (e.g. "99") would match almost anything: no identifier is proposed
TFVARS_VARIABLE = "macie_custom_data_identifiers"
# Macie CreateCustomDataIdentifier / aws_macie2_custom_data_identifier limits (mirrored in
# terraform/modules/macie/variables.tf and terraform/variables.tf).
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,100}$")
MAX_REGEX, MAX_DESCRIPTION, MAX_KEYWORDS, KEYWORD_LENGTH, MATCH_DISTANCE = 512, 512, 50, (3, 90), (1, 300)
DEFAULT_MATCH_DISTANCE = 50
_TYPE = re.compile(r"^[A-Za-z0-9_:.-]{1,64}$")
_COLUMN_MAX = 256


def detector_version() -> str:
    """The built-in detector's version (``detection.DETECTOR_VERSION`` when the detector declares
    one, else the library version)."""
    from . import __version__

    try:
        from . import detection
        declared = getattr(detection, "DETECTOR_VERSION", None)
    except ImportError:  # pragma: no cover - detection is part of the library
        declared = None
    return str(declared) if declared else f"secure-transform-{__version__}"


def validate_example_shape(shape: str | None, parameter: str = "--example-shape") -> str | None:
    """A redacted shape, or ConfigError when it could hold real data (the value is never echoed)."""
    if shape is None:
        return None
    if not isinstance(shape, str) or not 1 <= len(shape) <= MAX_SHAPE_LENGTH:
        raise ConfigError(parameter, f"must be 1-{MAX_SHAPE_LENGTH} characters")
    bad = [c for c in shape if c not in SHAPE_ALPHABET]
    if bad:
        kinds = sorted({"a digit other than 9" if c.isdigit() else "a letter other than A/a" if c.isalpha()
                        else "a character outside the shape alphabet" for c in bad})
        raise ConfigError(parameter, f"looks like real data ({', '.join(kinds)}); use 9 for a digit, A/a for an "
                                     f"upper/lower-case letter and only the separators {SHAPE_SEPARATORS!r}")
    if not any(c in "9Aa" for c in shape):
        raise ConfigError(parameter, "must contain at least one 9, A or a")
    return shape


def regex_from_shape(shape: str) -> str:
    """A Macie-compatible regex for a shape: runs of 9/A/a become ``[0-9]{n}``/``[A-Z]{n}``/
    ``[a-z]{n}``; a space or hyphen becomes ``[ -]?`` (real data writes either, or nothing);
    other separators match themselves; ``\\b`` anchors an alphanumeric start or end."""
    validate_example_shape(shape, "example_shape")
    parts = []
    for run in re.finditer(r"9+|A+|a+|.", shape):
        text = run.group(0)
        if text[0] in "9Aa":
            cls = {"9": "[0-9]", "A": "[A-Z]", "a": "[a-z]"}[text[0]]
            parts.append(cls if len(text) == 1 else f"{cls}{{{len(text)}}}")
        elif text in " -":
            parts.append("[ -]?")
        else:
            parts.append(re.escape(text))
    regex = "".join(parts)
    if shape[0] in "9Aa":
        regex = r"\b" + regex
    if shape[-1] in "9Aa":
        regex += r"\b"
    return regex


@dataclass(frozen=True)
class FeedbackRecord:
    """One missed finding: where, what type, why; never the value."""

    object: str
    type: str
    reason: str
    column: str | None = None
    json_path: str | None = None
    count: int | None = None
    example_shape: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.object, str) or not self.object or len(self.object) > 1024:
            raise ConfigError("feedback object", "must be 1-1024 characters")
        if not isinstance(self.type, str) or not _TYPE.match(self.type):
            raise ConfigError("--type", "must be 1-64 letters, digits or _ : . - (e.g. CREDIT_CARD_NUMBER)")
        if not isinstance(self.reason, str) or not re.match(r"^[a-z0-9_]{1,64}$", self.reason):
            raise ConfigError("feedback reason", "must be a reason code (1-64 lowercase letters, digits, _)")
        for name, value in (("--column", self.column), ("--json-path", self.json_path)):
            if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= _COLUMN_MAX):
                raise ConfigError(name, f"must be 1-{_COLUMN_MAX} characters")
        if self.count is not None and (not isinstance(self.count, int) or isinstance(self.count, bool) or self.count < 0):
            raise ConfigError("feedback count", "must be a whole number >= 0")
        validate_example_shape(self.example_shape)

    def as_dict(self) -> dict[str, Any]:
        return {"object": self.object, "column": self.column, "json_path": self.json_path, "type": self.type,
                "count": self.count, "reason": self.reason, "example_shape": self.example_shape}


def write_record_set(quarantine: sio.Location, source: str, records: Sequence[FeedbackRecord], *,
                     run_id: str | None, detector: str | None = None, session: Any = None,
                     extra: Mapping[str, Any] | None = None) -> sio.Location | None:
    """Write one record set atomically; returns its location (None when there is nothing to write)."""
    if not records:
        return None
    if source not in ("leak_check", "review_deny"):
        raise ConfigError("feedback source", "must be leak_check or review_deny")
    now = datetime.now(timezone.utc)
    set_id = uuid.uuid4().hex
    body = {"schema": SCHEMA, "record_set_id": set_id, "source": source, "run_id": run_id,
            "created_at": now.isoformat(timespec="seconds"), "detector_version": detector or detector_version(),
            "records": [r.as_dict() for r in records], **(dict(extra) if extra else {})}
    loc = quarantine.child(FEEDBACK_PREFIX, source, now.strftime("%Y-%m-%d"), f"{now.strftime('%H%M%S')}-{set_id}.json")
    sio.write_json(loc, body, session)  # one PutObject / one rename: readers never see half a set
    return loc


def leak_records(scan: Mapping[str, Any], quarantined_to: str) -> list[FeedbackRecord]:
    """Feedback records of one leak-check scan (counts per column and type)."""
    return [FeedbackRecord(object=quarantined_to, column=column, type=pii_type, count=int(n), reason="leak_detected")
            for column, types in sorted((scan.get("by_column") or {}).items())
            for pii_type, n in sorted(types.items())]


def read_record_sets(quarantines: Iterable[sio.Location], session: Any = None) -> tuple[list[dict], list[str]]:
    """Every record set under ``<quarantine>/feedback/``; (sets, locations that could not be read)."""
    sets, unreadable = [], []
    for quarantine in quarantines:
        root = quarantine.child(FEEDBACK_PREFIX)
        for info in sio.list_objects(root, session):
            if not info.location.key.endswith(".json"):
                continue
            try:
                body = sio.read_json(info.location, session)
            except (ValueError, UnicodeDecodeError):
                unreadable.append(info.location.uri)
                continue
            if not isinstance(body, dict) or body.get("schema") != SCHEMA or not isinstance(body.get("records"), list):
                unreadable.append(info.location.uri)
                continue
            body["_location"] = info.location.uri
            sets.append(body)
    return sets, unreadable


@dataclass
class _Row:
    records: int = 0
    findings: int = 0
    runs: set = field(default_factory=set)
    objects: set = field(default_factory=set)
    first_seen: str = ""
    last_seen: str = ""


def summarize(record_sets: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The curated table: one row per (type, example shape, column or JSON path, source)."""
    table: dict[tuple, _Row] = defaultdict(_Row)
    refused = 0
    for rs in record_sets:
        when = str(rs.get("created_at") or "")
        for rec in rs.get("records") or []:
            if not isinstance(rec, Mapping):
                continue
            shape = rec.get("example_shape")
            try:
                validate_example_shape(shape, "example_shape")
            except ConfigError:  # a hand-edited record with data in it: never propagated
                refused += 1
                shape = None
            where = rec.get("column") or rec.get("json_path") or ""
            key = (str(rec.get("type") or "UNKNOWN"), shape or "", str(where), str(rs.get("source") or ""),
                   str(rs.get("detector_version") or ""))
            row = table[key]
            row.records += 1
            row.findings += int(rec.get("count") or 1)
            if rs.get("run_id"):
                row.runs.add(str(rs["run_id"]))
            row.objects.add(str(rec.get("object") or ""))
            row.first_seen = min(row.first_seen or when, when)
            row.last_seen = max(row.last_seen, when)
    rows = [{"type": k[0], "example_shape": k[1] or None, "column_or_path": k[2] or None, "source": k[3],
             "detector_version": k[4] or None, "records": r.records, "findings": r.findings, "runs": len(r.runs),
             "objects": len(r.objects), "first_seen": r.first_seen, "last_seen": r.last_seen}
            for k, r in table.items()]
    rows.sort(key=lambda r: (-r["findings"], r["type"], r["column_or_path"] or "", r["source"]))
    return {"record_sets": len(record_sets), "records": sum(r["records"] for r in rows), "shapes_refused": refused,
            "rows": rows}


def _slug(text: str, limit: int) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")[:limit].strip("-") or "pii"


def _keywords(pii_type: str, columns: Iterable[str]) -> list[str]:
    words: list[str] = []
    for text in [pii_type.replace("_", " ").lower(), *sorted(columns)]:
        for kw in (text.lower(), text.lower().replace("_", " ").replace(".", " ")):
            kw = kw.strip()
            if KEYWORD_LENGTH[0] <= len(kw) <= KEYWORD_LENGTH[1] and kw not in words:
                words.append(kw)
    return words[:MAX_KEYWORDS]


def candidate_identifiers(summary: Mapping[str, Any], *,
                          maximum_match_distance: int = DEFAULT_MATCH_DISTANCE) -> dict[str, dict[str, Any]]:
    """Proposed Macie custom data identifiers: one per (type, example shape) with enough symbols."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for row in summary.get("rows", []):
        shape = row.get("example_shape")
        if not shape or sum(c in "9Aa" for c in shape) < MIN_SHAPE_SYMBOLS:
            continue
        g = groups.setdefault((row["type"], shape), {"columns": set(), "findings": 0, "records": 0, "sources": set()})
        if row.get("column_or_path") and not str(row["column_or_path"]).startswith("$"):
            g["columns"].add(str(row["column_or_path"]).rsplit(".", 1)[-1])
        g["findings"] += row["findings"]
        g["records"] += row["records"]
        g["sources"].add(row["source"])
    out: dict[str, dict[str, Any]] = {}
    for (pii_type, shape), g in sorted(groups.items()):
        regex = regex_from_shape(shape)
        name = f"fb-{_slug(pii_type, 40)}-{hashlib.sha256(regex.encode()).hexdigest()[:8]}"
        description = (f"Proposed by secure-transform feedback summarize from {g['records']} record(s) "
                       f"({', '.join(sorted(g['sources']))}): {pii_type} missed, shape of {len(shape)} characters")
        out[name] = {"description": description[:MAX_DESCRIPTION], "regex": regex,
                     "keywords": _keywords(pii_type, g["columns"]), "maximum_match_distance": maximum_match_distance}
    validate_custom_data_identifiers(out)
    return out


def validate_custom_data_identifiers(identifiers: Mapping[str, Mapping[str, Any]],
                                     parameter: str = TFVARS_VARIABLE) -> None:
    """The rules of the Terraform variable (and Macie's API limits), in Python."""
    for name, cdi in identifiers.items():
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise ConfigError(parameter, "each name must be 1-101 lowercase letters, digits or '-', starting with a "
                                         "letter or digit")
        regex, description = cdi.get("regex"), cdi.get("description")
        if not isinstance(regex, str) or not 1 <= len(regex) <= MAX_REGEX:
            raise ConfigError(parameter, f"{name}: regex must be 1-{MAX_REGEX} characters")
        try:
            re.compile(regex)
        except re.error:
            raise ConfigError(parameter, f"{name}: regex does not compile") from None
        if not isinstance(description, str) or not 1 <= len(description) <= MAX_DESCRIPTION:
            raise ConfigError(parameter, f"{name}: description must be 1-{MAX_DESCRIPTION} characters")
        keywords = cdi.get("keywords")
        if not isinstance(keywords, list) or len(keywords) > MAX_KEYWORDS or not all(
                isinstance(k, str) and KEYWORD_LENGTH[0] <= len(k) <= KEYWORD_LENGTH[1] for k in keywords):
            raise ConfigError(parameter, f"{name}: keywords must be at most {MAX_KEYWORDS}, each "
                                         f"{KEYWORD_LENGTH[0]}-{KEYWORD_LENGTH[1]} characters")
        distance = cdi.get("maximum_match_distance")
        if not isinstance(distance, int) or isinstance(distance, bool) or not MATCH_DISTANCE[0] <= distance <= MATCH_DISTANCE[1]:
            raise ConfigError(parameter, f"{name}: maximum_match_distance must be a whole number in "
                                         f"[{MATCH_DISTANCE[0]}, {MATCH_DISTANCE[1]}]")


def tfvars_document(identifiers: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The ``.tfvars.json`` body for ``terraform plan -var-file=...`` at the root module."""
    validate_custom_data_identifiers(identifiers)
    return {TFVARS_VARIABLE: {k: dict(v) for k, v in sorted(identifiers.items())}}


def table_lines(summary: Mapping[str, Any]) -> list[str]:
    """The curated table for a terminal (shapes and counts only)."""
    lines = [f"{summary['records']} feedback record(s) in {summary['record_sets']} record set(s)"
             + (f"; {summary['shapes_refused']} example shape(s) refused as real-looking data"
                if summary.get("shapes_refused") else "")]
    header = f"{'type':<28} {'shape':<26} {'column / path':<24} {'source':<12} {'records':>7} {'findings':>8} {'runs':>5}"
    lines += [header, "-" * len(header)]
    for r in summary["rows"]:
        lines.append(f"{r['type'][:28]:<28} {(r['example_shape'] or '-')[:26]:<26} {(r['column_or_path'] or '-')[:24]:<24} "
                     f"{r['source'][:12]:<12} {r['records']:>7} {r['findings']:>8} {r['runs']:>5}")
    return lines


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"
