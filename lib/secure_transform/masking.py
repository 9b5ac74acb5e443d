"""Macie-driven masking: raw zone + discovery results -> masked zone (or quarantine + alert).

Per object, in the object's own format (CSV/TSV with or without header, JSON Lines, JSON,
Parquet; Avro when the runtime has it):

* ``COMPLETE`` and no detections -> copied byte for byte.
* precise locations -> exactly those cells / JSON paths masked by the per-identifier policy;
  a detection whose ``count`` exceeds the occurrences listed (Macie lists at most 1,000) has its
  whole column / JSON path masked, and the summary records that.
* ``SKIPPED`` or ``PARTIAL``, ``lineRanges`` (no end column: cannot be bounded), ``pages`` or
  ``offsetRanges``, unsupported formats, occurrences that do not fit the object, or a result whose
  eTag / version no longer matches -> the whole object goes to quarantine with a reason record,
  and an SNS notification is published (recorded in the summary locally).

With ``--pii_columns`` (main_etl's tokenization config) the columns main_etl tokenizes are main_etl's
job: detections located in them (CSV/TSV cells by column name, record paths by their top-level
field, capped detections' whole columns) are left unmasked and counted as
``cells_deferred_to_tokenization`` (counts and column names, never values), so main_etl gives each
value one consistent token instead of tokenizing a placeholder. Everything else -- free text,
columns main_etl does not know about -- is masked as before, and no quarantine decision changes.

CSV/TSV are masked as text lines with Spark: each line gets its physical line number (= Macie's
row), the occurrences are a small broadcast DataFrame joined on it, and only the listed fields of
a listed line are rebuilt -- every other byte, line ending and the row order stay as they were.
The text writer keeps the read partitions, so the part files are concatenated in split order
into one object with the original key.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import detection as det
from . import io as sio
from . import multiline
from .classification import DEFAULT_THRESHOLD, classify_columns, column_type_shares
from .errors import AllInputsQuarantinedError, ConfigError, SecureTransformError
from .jsonargs import parse_json_arg
from .macie import DiscoveryResult, ResultIndex, parse_json_path, read_results

__all__ = [
    "ACTIONS",
    "DEFAULT_CUSTOM_ACTIONS",
    "DEFAULT_TYPE_ACTIONS",
    "QUARANTINE_REASONS",
    "MaskingPolicy",
    "MaskingOutcome",
    "Quarantine",
    "mask_cell",
    "mask_objects",
    "parse_masking_policy",
    "run_macie_masking",
]

PARAM = "--masking_policy"
ACTIONS = ("redact", "keep_last4", "tokenize", "keep", "quarantine")
NATIONAL_ID_PATTERNS = ("*_SOCIAL_SECURITY_NUMBER", "*_NATIONAL_IDENTIFICATION_NUMBER", "*_PASSPORT_NUMBER",
                        "DRIVERS_LICENSE", "*_DRIVERS_LICENSE", "*_TAX_IDENTIFICATION_NUMBER", "*_INSURANCE_NUMBER",
                        "*_DNI_NUMBER", "*_RG_NUMBER", "*_RUT_NUMBER", "*_CURP_NUMBER", "*_AADHAAR_NUMBER",
                        "*_CITIZENSHIP_CARD_NUMBER", "*_NIE_NUMBER", "*_NIF_NUMBER", "*_CPF_NUMBER", "*_CNPJ_NUMBER",
                        "*_TAX_FILE_NUMBER", "*_PERMANENT_ACCOUNT_NUMBER", "*_RFC_NUMBER", "*_NIT_NUMBER")
DEFAULT_TYPE_ACTIONS: Mapping[str, str] = {
    "CREDIT_CARD_NUMBER": "keep_last4",
    "CREDIT_CARD_NUMBER_(NO_KEYWORD)": "keep_last4",
    "BANK_ACCOUNT_NUMBER": "tokenize",
    "*_BANK_ACCOUNT_NUMBER": "tokenize",
    **{p: "tokenize" for p in NATIONAL_ID_PATTERNS},
    "NAME": "redact",
}
DEFAULT_CUSTOM_ACTIONS: Mapping[str, str] = {"IBAN": "tokenize", "ABA_ROUTING_NUMBER": "tokenize"}

QUARANTINE_REASONS: Mapping[str, str] = {
    "status_skipped": "Macie could not analyse the object (SKIPPED)",
    "status_partial": "Macie analysed only part of the object (PARTIAL)",
    "unbounded_line_ranges": "lineRanges occurrences have no end column, so the data cannot be bounded",
    "page_occurrences": "pages occurrences (PDF) cannot be masked in place",
    "offset_ranges": "offsetRanges occurrences (reserved by Macie) cannot be interpreted",
    "occurrence_kind_mismatch": "the occurrences do not fit the object's format",
    "unsupported_format": "the object's format cannot be masked in place",
    "etag_mismatch": "the object changed after Macie analysed it (eTag differs)",
    "version_mismatch": "the object version differs from the one Macie analysed",
    "no_discovery_result": "no discovery result covers the object",
    "occurrence_cap": "more occurrences than listed and the policy quarantines such objects",
    "occurrence_cap_unlocated": "more occurrences than listed and none locates a column or path",
    "occurrence_out_of_range": "an occurrence points beyond the object's rows or columns",
    "occurrence_in_header": "an occurrence points into the header line",
    "column_mismatch": "an occurrence's columnName does not match the object's header",
    "json_path_unlocated": "a record occurrence has no jsonPath (sensitive data in a field name)",
    "json_path_not_in_data": "an occurrence's jsonPath does not exist in the data",
    "multiline_csv_records": "CSV records span lines, so Macie rows cannot be mapped to lines",
    "malformed_object": "too many malformed lines, or a malformed header, to mask the object row by row",
    "unparseable_record": "a record to mask could not be parsed",
    "policy_quarantine": "the masking policy quarantines objects with this identifier",
    "masking_failed": "masking the object failed; it was not written to the masked zone",
    "damaged_compressed_object": "the compressed object does not decompress to its end; its rows cannot be counted",
}
#: run status when every input object was quarantined (nothing reaches the masked zone)
ALL_INPUTS_QUARANTINED = "all_inputs_quarantined"


# --- policy --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaskingPolicy:
    """What happens to each identifier type. ``types`` keys may use ``*`` wildcards.

    Actions: ``redact`` (typed placeholder ``[TYPE]``), ``keep_last4`` (all but the last four
    letters/digits become ``mask_char``), ``tokenize`` (deterministic keyed HMAC-SHA256, the same
    token as main_etl's ``deterministic`` method; redaction when no key set is configured),
    ``keep`` (leave as is), ``quarantine`` (the whole object goes to quarantine).
    ``on_occurrence_cap``: ``mask_column`` (default) or ``quarantine``. ``column_threshold``: a
    CSV/TSV column whose share of validated values of a detected type reaches it is masked whole
    as that type (classification.py; default 0.5 of its non-empty cells; ``null``: off).
    """

    types: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TYPE_ACTIONS))
    custom: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CUSTOM_ACTIONS))
    default: str = "redact"
    on_occurrence_cap: str = "mask_column"
    mask_char: str = "*"
    column_threshold: float | None = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        for section, mapping in (("types", self.types), ("custom", self.custom)):
            if not isinstance(mapping, Mapping):
                raise ConfigError(PARAM, f"\"{section}\" must be an object mapping identifier names to actions")
            for name, action in mapping.items():
                if not isinstance(name, str) or not name:
                    raise ConfigError(PARAM, f"\"{section}\" keys must be non-empty identifier names")
                if action not in ACTIONS:
                    raise ConfigError(PARAM, f"{section}.{name}: unknown action {action!r}; valid: {', '.join(ACTIONS)}")
        if self.default not in ACTIONS or self.default == "keep":
            raise ConfigError(PARAM, f"default must be one of redact, keep_last4, tokenize, quarantine, got {self.default!r}")
        if self.on_occurrence_cap not in ("mask_column", "quarantine"):
            raise ConfigError(PARAM, f"on_occurrence_cap must be mask_column or quarantine, got {self.on_occurrence_cap!r}")
        if not isinstance(self.mask_char, str) or len(self.mask_char) != 1 or self.mask_char.isalnum():
            raise ConfigError(PARAM, "mask_char must be one character that is not a letter or digit")
        t = self.column_threshold
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t <= 1):
            raise ConfigError(PARAM, f"column_threshold must be a number in (0, 1] or null (off), got {t!r}")

    def action(self, type_name: str, custom: bool = False) -> str:
        table = self.custom if custom else self.types
        if type_name in table:
            return table[type_name]
        for pattern, action in table.items():
            if "*" in pattern and fnmatch.fnmatchcase(type_name, pattern):
                return action
        if custom and type_name in self.types:  # a custom identifier named like a managed type
            return self.types[type_name]
        return self.default


def parse_masking_policy(value: str | Mapping[str, Any] | None) -> MaskingPolicy:
    """``--masking_policy``: JSON overriding the defaults, e.g.
    ``{"types": {"NAME": "tokenize"}, "custom": {"EMPLOYEE_ID": "redact"}, "on_occurrence_cap": "quarantine"}``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return MaskingPolicy()
    if isinstance(value, str):
        value = parse_json_arg(value, PARAM)
    if not isinstance(value, Mapping):
        raise ConfigError(PARAM, "must be a JSON object")
    unknown = sorted(set(value) - {"types", "custom", "default", "on_occurrence_cap", "mask_char", "column_threshold"})
    if unknown:
        raise ConfigError(PARAM, f"unknown key {unknown[0]!r}; valid: types, custom, default, on_occurrence_cap, "
                                 "mask_char, column_threshold")
    for section in ("types", "custom"):
        if section in value and not isinstance(value[section], Mapping):
            raise ConfigError(PARAM, f"\"{section}\" must be an object mapping identifier names to actions")
    types = dict(DEFAULT_TYPE_ACTIONS)
    types.update(value.get("types") or {})
    custom = dict(DEFAULT_CUSTOM_ACTIONS)
    custom.update(value.get("custom") or {})
    return MaskingPolicy(types=types, custom=custom, default=value.get("default", "redact"),
                         on_occurrence_cap=value.get("on_occurrence_cap", "mask_column"),
                         mask_char=value.get("mask_char", "*"),
                         column_threshold=value.get("column_threshold", DEFAULT_THRESHOLD))


# --- masking one value -------------------------------------------------------------------------


def keep_last4(value: Any, mask_char: str = "*") -> Any:
    """Every letter/digit except the last four becomes ``mask_char``; separators stay."""
    from pyspark.sql import functions as F

    replacement = mask_char.replace("\\", "\\\\").replace("$", "\\$")
    return F.regexp_replace(value, r"[0-9A-Za-z](?=(?:[^0-9A-Za-z]*[0-9A-Za-z]){4})", replacement)


def _whole_value_action(value: Any, type_name: str, action: str, policy_char: str,
                        tokenizer: Callable[[Any], Any] | None) -> Any:
    from pyspark.sql import functions as F

    if action == "keep_last4":
        return keep_last4(value, policy_char)
    if action == "tokenize" and tokenizer is not None:
        return tokenizer(value)
    return F.lit(f"[{type_name}]")


def _mask_step(state: Any, type_name: str, action: str, listed: Any, widened: Any, mask_char: str,
               tokenizer: Callable[[Any], Any] | None) -> Any:
    """One type applied to ``state`` = struct(v, touched), as a new struct.

    ``listed``: Macie located this type in this very value; ``widened``: the value is in a column
    or path masked whole because the detection had more occurrences than listed. Whole value =
    the identifier -> the action; identifier embedded in text -> each span becomes ``[TYPE]``;
    not located by our recogniser -> a listed value becomes ``[TYPE]`` (unless an earlier type
    already masked it), a widened value stays (it may simply not hold this type) -- except for
    types we have no recogniser for, where a widened value becomes ``[TYPE]`` too. Empty and null
    values stay as they are.
    """
    from pyspark.sql import functions as F

    v, touched = state["v"], state["t"]
    placeholder = F.lit(f"[{type_name}]")
    locatable = det.recognizer_for_type(type_name) is not None
    applies = listed | widened

    def with_spans(spans: Any) -> Any:
        if action == "keep":
            new = v
        else:
            replaced = F.aggregate(spans, v, lambda acc, m: F.replace(acc, m, placeholder))
            unlocated = (listed & ~touched) if locatable else applies
            new = (F.when((F.size(spans) == 1) & (F.trim(v) == spans[0]),
                          _whole_value_action(v, type_name, action, mask_char, tokenizer))
                   .when(F.size(spans) >= 1, replaced)
                   .when(unlocated, placeholder)
                   .otherwise(v))
        return F.struct(F.when(applies & (F.length(v) > 0), new).otherwise(v).alias("v"), (touched | applies).alias("t"))

    return det.let(det.type_spans(v, type_name), with_spans)


def mask_value(value: Any, steps: Sequence[tuple], *, mask_char: str = "*",
               tokenizer: Callable[[Any], Any] | None = None) -> Any:
    """Apply ``(type, action, listed[, widened])`` steps in turn to a string column (null stays null).

    ``listed``/``widened`` are boolean Columns (see :func:`_mask_step`). Each step is bound once
    (a Spark "let"), so the expression grows linearly with the number of types.
    """
    from pyspark.sql import functions as F

    state = F.struct(value.cast("string").alias("v"), F.lit(False).alias("t"))

    def step(type_name: str, action: str, listed: Any, widened: Any) -> Callable[[Any], Any]:
        return lambda s: _mask_step(s, type_name, action, listed, widened, mask_char, tokenizer)

    for item in steps:
        type_name, action, listed = item[0], item[1], item[2]
        widened = item[3] if len(item) > 3 else F.lit(False)
        state = det.let(state, step(type_name, action, listed, widened))
    return state["v"]


def mask_cell(value: Any, type_name: str, action: str, *, mask_char: str = "*",
              tokenizer: Callable[[Any], Any] | None = None) -> Any:
    """Mask one value known to hold ``type_name`` (a Column -> Column function; null stays null).

    ``keep_last4``: ``************1111``; ``tokenize``: a 64-hex keyed token; ``redact``:
    ``[TYPE]``. An identifier embedded in free text has each span replaced by ``[TYPE]``.
    """
    from pyspark.sql import functions as F

    return mask_value(value, [(type_name, action, F.lit(True))], mask_char=mask_char, tokenizer=tokenizer)


# --- plans ------------------------------------------------------------------------------------------


class Quarantine(Exception):
    """Internal: this object goes to quarantine (``code`` is a QUARANTINE_REASONS key)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail or QUARANTINE_REASONS.get(code, code)


@dataclass
class ObjectPlan:
    """What to do with one object, decided on the driver from its discovery result."""

    info: Any
    key: str
    fmt: str | None
    result: DiscoveryResult | None = None
    action: str = "pass"  # pass | mask | quarantine
    reason: str | None = None
    detail: str | None = None
    cells: dict = field(default_factory=dict)  # (row, column) -> [types]; records: (index, path) -> [types]
    whole: dict = field(default_factory=dict)  # column number or path -> [types]
    whole_columns: list = field(default_factory=list)  # audit records of widened masks
    column_names: dict = field(default_factory=dict)  # column number -> expected columnName
    types: list = field(default_factory=list)  # (type, action) of this object
    records: int | None = None
    masked_values: dict = field(default_factory=dict)  # type -> occurrences listed
    deferred_cells: dict = field(default_factory=dict)  # type -> listed occurrences left to main_etl
    deferred_columns: dict = field(default_factory=dict)  # type -> {column / top-level field}
    deferred_whole: list = field(default_factory=list)  # capped detections in declared columns
    irregular: Any = None  # detection.records.LineIssues of a CSV/TSV object (line numbers only)
    output_bytes: int | None = None  # size of the object written to the masked zone
    bare_cr_lines: int = 0  # CSV/TSV lines holding a \r before their end (main_etl reads them with multiLine)
    malformed: list = field(default_factory=list)  # records quarantined as rows: reason, line, digest
    classified: dict = field(default_factory=dict)  # column number -> {type}: every value masked as it
    classified_columns: list = field(default_factory=list)  # audit records of classified columns

    def deferred_report(self) -> dict:
        """What this object leaves to main_etl's tokenization: counts and column names only."""
        return {"object": self.key, "cells_deferred_to_tokenization": sum(self.deferred_cells.values()),
                "by_type": dict(sorted(self.deferred_cells.items())),
                "columns": {t: sorted(c) for t, c in sorted(self.deferred_columns.items())},
                "whole_columns": list(self.deferred_whole)}


def _check_identity(plan: ObjectPlan, result: DiscoveryResult, etag_check: str, session: Any) -> None:
    if etag_check == "none":
        return
    if etag_check == "size":
        if result.object.size is not None and result.object.size != plan.info.size:
            raise Quarantine("etag_mismatch", "the object's size differs from the analysed one")
        return
    etag, version = det.object_identity(plan.info, session)
    if not result.object.etag or result.object.etag != etag:
        raise Quarantine("etag_mismatch")
    if result.object.version_id and version and result.object.version_id != version:
        raise Quarantine("version_mismatch")


def _top_level_field(json_path: str) -> str | None:
    """The record's top-level field a JSON path starts at (``$.email``, ``$['email']``,
    ``$[3].email`` in a JSON array document); None for a path into the document itself."""
    for kind, value in parse_json_path(json_path):
        if kind == "field":
            return value
        if kind not in ("index", "wildcard"):  # pragma: no cover - parse_json_path kinds
            return None
    return None


class _Columns:
    """Names of CSV/TSV columns, for deciding which occurrences are in declared columns.

    The header is read once (a bounded read of the first line). An occurrence's ``columnName``
    must be the header's name at that column (else ``column_mismatch``); without one, the header
    names the column when the first line looks like a header. A headerless file has no names,
    so nothing in it is deferred.
    """

    def __init__(self, plan: ObjectPlan, named: bool, session: Any) -> None:
        sep = "\t" if plan.fmt == "tsv" else ","
        self.fields = [f.strip() for f in det.csv_header_fields(plan.info.location, sep, session)]
        self.has_header = named or det.header_like(self.fields)

    def name(self, row: int | None, column: int | None, column_name: str | None) -> str | None:
        if column_name:
            name = column_name.strip()
            if column is None or column > len(self.fields) or self.fields[column - 1] != name:
                raise Quarantine("column_mismatch")
        elif self.has_header and column is not None and 0 < column <= len(self.fields):
            name = self.fields[column - 1]
        else:
            return None
        if self.has_header and row == 1:
            raise Quarantine("occurrence_in_header")
        return name


def plan_object(info: Any, key: str, fmt: str | None, result: DiscoveryResult | None, policy: MaskingPolicy, *,
                etag_check: str = "strict", session: Any = None,
                deferred_columns: frozenset[str] | set[str] = frozenset()) -> ObjectPlan:
    """Decide pass / mask / quarantine for one object (driver side; no data read except the
    identity check and, with ``deferred_columns``, a CSV header). Raises nothing: problems
    become a quarantine plan with a reason.

    ``deferred_columns``: the columns main_etl tokenizes (``--pii_columns``). Occurrences in them
    -- CSV/TSV cells by column name, record paths by their top-level field, and capped
    detections' whole columns -- are left unmasked and counted as deferred; everything else is
    masked as without it. Quarantine decisions that do not depend on where the data is
    (status, eTag, format, occurrence kinds, policy) are taken first and are unchanged.
    """
    plan = ObjectPlan(info=info, key=key, fmt=fmt, result=result)
    deferred_columns = frozenset(deferred_columns)
    try:
        if result is None:
            raise Quarantine("no_discovery_result")
        if result.status == "SKIPPED":
            raise Quarantine("status_skipped", f"Macie status SKIPPED ({result.status_reason or 'no reason'})")
        if result.status == "PARTIAL":
            raise Quarantine("status_partial", f"Macie status PARTIAL ({result.status_reason or 'no reason'})")
        _check_identity(plan, result, etag_check, session)
        detections = [d for d in result.detections if d.count > 0]
        if not detections:
            plan.action = "pass"
            return plan
        if fmt is None:
            raise Quarantine("unsupported_format")
        kinds = result.occurrence_kinds()
        if "lineRanges" in kinds:
            raise Quarantine("unbounded_line_ranges")
        if "pages" in kinds:
            raise Quarantine("page_occurrences")
        if "offsetRanges" in kinds:
            raise Quarantine("offset_ranges")
        wanted = "cells" if fmt in ("csv", "tsv") else "records"
        if kinds - {wanted}:
            raise Quarantine("occurrence_kind_mismatch", f"{', '.join(sorted(kinds - {wanted}))} occurrences "
                                                         f"in a {fmt} object")
        columns = None
        if deferred_columns:
            # the policy decides for the whole object, wherever the identifier is
            for d in detections:
                if policy.action(d.type, d.custom) == "quarantine":
                    raise Quarantine("policy_quarantine", f"the policy quarantines objects with {d.type}")
        if deferred_columns and wanted == "cells":
            named = any(o.column_name for d in detections for o in d.occurrences)
            columns = _Columns(plan, named, session)

        def declared(o: Any) -> str | None:
            """The declared column an occurrence is in (None: mask it here)."""
            if not deferred_columns:
                return None
            name = columns.name(o.row, o.column, o.column_name) if columns is not None else (
                _top_level_field(o.json_path) if o.json_path is not None else None)
            return name if name in deferred_columns else None

        def defer(type_name: str, column: str) -> None:
            plan.deferred_columns.setdefault(type_name, set()).add(column)

        for d in detections:
            action = policy.action(d.type, d.custom)
            if action == "quarantine":
                raise Quarantine("policy_quarantine", f"the policy quarantines objects with {d.type}")
            if action == "keep":
                continue
            masked_here = 0
            for o in d.occurrences:
                if wanted == "cells":
                    if o.column_name:
                        known = plan.column_names.setdefault(o.column, o.column_name)
                        if known != o.column_name:
                            raise Quarantine("column_mismatch", "two occurrences name the same column differently")
                    where = (o.row, o.column)
                else:
                    if o.json_path is None:
                        raise Quarantine("json_path_unlocated")
                    try:
                        parse_json_path(o.json_path)
                    except ValueError:
                        raise Quarantine("json_path_not_in_data", "an occurrence's jsonPath cannot be parsed") from None
                    if fmt == "json" and o.record_index != 0:
                        raise Quarantine("occurrence_out_of_range", "JSON occurrences must have recordIndex 0")
                    where = (o.record_index, o.json_path)
                column = declared(o)
                if column is not None:  # left for main_etl's tokenization
                    plan.deferred_cells[d.type] = plan.deferred_cells.get(d.type, 0) + 1
                    defer(d.type, column)
                    continue
                plan.cells.setdefault(where, set()).add(d.type)
                masked_here += 1
            widened = False
            if d.is_capped:
                if policy.on_occurrence_cap == "quarantine":
                    raise Quarantine("occurrence_cap", f"{d.type}: {d.count} occurrences, {d.listed} listed")
                targets = sorted({o.column for o in d.occurrences} if wanted == "cells" else
                                 {_generalize(o.json_path) for o in d.occurrences}, key=str)
                if not targets:
                    raise Quarantine("occurrence_cap_unlocated", f"{d.type}: {d.count} occurrences, none listed")
                for t in targets:
                    where = ("column" if wanted == "cells" else "json_path")
                    shown = plan.column_names.get(t, t) if wanted == "cells" else t
                    record = {"object": key, "type": d.type, "count": d.count, "listed": d.listed, where: shown,
                              "reason": "occurrence_cap"}
                    column = None
                    if deferred_columns:
                        column = (columns.name(None, t, plan.column_names.get(t)) if columns is not None
                                  else _top_level_field(t))
                    if column in deferred_columns:
                        defer(d.type, column)
                        plan.deferred_whole.append({**record, "reason": "occurrence_cap_in_tokenized_column"})
                        continue
                    plan.whole.setdefault(t, set()).add(d.type)
                    plan.whole_columns.append(record)
                    widened = True
            if masked_here or widened:
                if (d.type, action) not in plan.types:
                    plan.types.append((d.type, action))
                plan.masked_values[d.type] = plan.masked_values.get(d.type, 0) + masked_here
        plan.action = "mask" if plan.types else "pass"
    except Quarantine as q:
        plan.action, plan.reason, plan.detail = "quarantine", q.code, q.detail
    return plan


def _generalize(path: str) -> str:
    """``$.a[3].b`` -> ``$.a[*].b``: the whole path across array elements."""
    from .macie import format_json_path

    return format_json_path([("wildcard", None) if k == "index" else (k, v) for k, v in parse_json_path(path)])


# --- writing objects ---------------------------------------------------------------------------------


def _part_files(tmp: sio.Location, suffix: str, session: Any) -> list[tuple[int, sio.Location, int]]:
    parts = []
    for info in sio.list_objects(tmp, session):
        name = info.location.key.rsplit("/", 1)[-1]
        if name.startswith("part-") and name.endswith(suffix):
            parts.append((int(name[5:10]), info.location, info.size))
    return sorted(parts, key=lambda p: p[0])


def _last_byte(loc: sio.Location, size: int, session: Any) -> bytes:
    if size == 0:
        return b""
    if loc.is_s3:
        resp = sio._s3_client(session).get_object(Bucket=loc.bucket, Key=loc.key, Range=f"bytes={size - 1}-{size - 1}")
        return resp["Body"].read()
    with open(loc.key, "rb") as fh:
        fh.seek(size - 1)
        return fh.read(1)


MIN_PART = 5 * 1024 * 1024


def concatenate(parts: Sequence[tuple[sio.Location, int]], target: sio.Location, *, drop_last_bytes: int = 0,
                session: Any = None) -> int:
    """Concatenate objects in order into ``target`` (local: streamed; S3: multipart upload,
    copying parts server-side with ``UploadPartCopy`` where they are >= 5 MiB). Returns bytes."""
    total = sum(size for _, size in parts) - drop_last_bytes
    if not target.is_s3:
        os.makedirs(os.path.dirname(target.key), exist_ok=True)
        tmp = target.key + ".masking-tmp"
        written = 0
        with open(tmp, "wb") as out:
            for loc, size in parts:
                keep = min(size, total - written)
                with open(loc.key, "rb") as src:
                    remaining = keep
                    while remaining > 0:
                        chunk = src.read(min(remaining, 1 << 20))
                        if not chunk:
                            break
                        out.write(chunk)
                        remaining -= len(chunk)
                written += keep
        os.replace(tmp, target.key)
        return written
    client = sio._s3_client(session)
    if total < MIN_PART:
        body = b"".join(sio.read_bytes(loc, session) for loc, _ in parts)[:total]
        client.put_object(Bucket=target.bucket, Key=target.key, Body=body)
        return total
    upload = client.create_multipart_upload(Bucket=target.bucket, Key=target.key)
    uid = upload["UploadId"]
    done: list[dict] = []
    buffer = b""
    position = 0

    def flush(data: bytes) -> None:
        resp = client.upload_part(Bucket=target.bucket, Key=target.key, UploadId=uid, PartNumber=len(done) + 1, Body=data)
        done.append({"PartNumber": len(done) + 1, "ETag": resp["ETag"]})

    try:
        for loc, size in parts:
            keep = max(0, min(size, total - position))
            position += keep
            offset = 0
            while offset < keep:
                if buffer or keep - offset < MIN_PART:
                    take = min(keep - offset, MIN_PART - len(buffer)) if buffer else keep - offset
                    rng = f"bytes={offset}-{offset + take - 1}"
                    buffer += client.get_object(Bucket=loc.bucket, Key=loc.key, Range=rng)["Body"].read()
                    offset += take
                    if len(buffer) >= MIN_PART:
                        flush(buffer)
                        buffer = b""
                else:
                    end = keep - 1
                    resp = client.upload_part_copy(Bucket=target.bucket, Key=target.key, UploadId=uid,
                                                   PartNumber=len(done) + 1,
                                                   CopySource={"Bucket": loc.bucket, "Key": loc.key},
                                                   CopySourceRange=f"bytes={offset}-{end}")
                    done.append({"PartNumber": len(done) + 1, "ETag": resp["CopyPartResult"]["ETag"]})
                    offset = keep
        if buffer:
            flush(buffer)
        client.complete_multipart_upload(Bucket=target.bucket, Key=target.key, UploadId=uid,
                                         MultipartUpload={"Parts": done})
    except BaseException:
        client.abort_multipart_upload(Bucket=target.bucket, Key=target.key, UploadId=uid)
        raise
    return total


def _remove(loc: sio.Location, session: Any) -> None:
    if loc.is_s3:
        client = sio._s3_client(session)
        for key in [loc.key] + list(_all_objects(loc, session)):
            client.delete_object(Bucket=loc.bucket, Key=key)  # deleting a missing key is not an error
    elif os.path.isdir(loc.key):
        shutil.rmtree(loc.key, ignore_errors=True)
    elif os.path.exists(loc.key):
        os.unlink(loc.key)


def _all_objects(loc: sio.Location, session: Any) -> Iterable[str]:
    client = sio._s3_client(session)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=loc.bucket, Prefix=loc.key.rstrip("/") + "/"):
        for obj in page.get("Contents", []):
            yield obj["Key"]


def copy_object(src: sio.Location, dst: sio.Location, session: Any = None, *, tags: Mapping[str, str] | None = None) -> None:
    """Copy bytes unchanged (S3: server-side, multipart for large objects)."""
    if src.is_s3 and dst.is_s3:
        extra: dict[str, Any] = {}
        if tags:
            extra = {"Tagging": _tag_string(tags), "TaggingDirective": "REPLACE"}
        sio._s3_client(session).copy({"Bucket": src.bucket, "Key": src.key}, dst.bucket, dst.key, ExtraArgs=extra or None)
        return
    if not src.is_s3 and not dst.is_s3:
        os.makedirs(os.path.dirname(dst.key), exist_ok=True)
        shutil.copyfile(src.key, dst.key)
        return
    sio.write_bytes(dst, sio.read_bytes(src, session), session)


def _tag_string(tags: Mapping[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode({k: _tag_value(v) for k, v in tags.items()})


def _tag_value(value: Any) -> str:
    """S3 tag values: letters, digits, spaces and + - = . _ : / @ only, at most 256 characters."""
    import re

    return re.sub(r"[^A-Za-z0-9 +\-=._:/@]", "_", str(value))[:256]


# --- masking per format --------------------------------------------------------------------------------


def _tokenizer(keyset: Any, spark: Any) -> Callable[[Any], Any] | None:
    if keyset is None:
        return None
    from .tokenization import ensure_plan_redaction, hmac_sha256

    ensure_plan_redaction(spark)
    key = keyset.derive("deterministic")
    return lambda col: hmac_sha256(col, key)


def _raise(message: str) -> Any:
    from pyspark.sql import functions as F

    return F.raise_error(F.lit(f"secure-transform masking: {message}")).cast("string")


def _mask_csv(spark: Any, plan: ObjectPlan, policy: MaskingPolicy, tokenizer: Any, sep: str, tmp: sio.Location,
              target: sio.Location, session: Any, rebuild_cache: dict | None = None,
              deferred: frozenset[str] | None = None) -> None:
    """Rebuild only the listed lines of a CSV/TSV object, keeping every other byte.

    ``rebuild_cache`` (one dict per run) keeps the line-rebuilding expression per layout (separator,
    header, the types per column and action per type): building it costs hundreds of Py4J calls,
    and the objects of one feed share a layout. The rows to mask are data (a broadcast join), not
    part of the expression, so one expression serves every object of the layout. With
    ``deferred`` (main_etl's columns) the columns are classified first (:func:`_classify_csv`)."""
    from pyspark.sql import functions as F

    path = plan.info.location.spark_path()
    has_header = bool(plan.column_names)
    if has_header:
        header = [h.strip() for h in det.csv_header_fields(plan.info.location, sep, session)]
        for column, name in plan.column_names.items():
            if column > len(header) or header[column - 1] != name.strip():
                raise Quarantine("column_mismatch")
    first = det.csv_header_fields(plan.info.location, sep, session)
    lines, blocks = det.indexed_lines(spark, [path], sep=sep, expected_fields=len(first) or None, count_bare_cr=True)
    total = sum(b["lines"] for b in blocks)
    plan.bare_cr_lines = sum(b.get("bare_cr_lines", 0) for b in blocks)
    lines = _without_irregular_records(plan, lines, blocks, sep, first, has_header)
    # Macie rows are records: a record spanning lines is one row, addressed by its first line here
    rows = plan.irregular.rows if plan.irregular is not None else det.RowMap()
    if rows:  # each record spanning lines becomes one row, masked as a whole and written back in order
        lines = det.joined_records(lines, {blocks[0]["file"]: rows.spans})
    if deferred is not None:
        _classify_csv(spark, plan, policy, sep, deferred, session,
                      records=lines.where(F.col("_line") > 1) if rows and has_header else lines if rows else None)
    for (row, column) in plan.cells:
        if row > rows.rows_in(total):
            raise Quarantine("occurrence_out_of_range", "an occurrence's row is beyond the last line")
        if has_header and row == 1:
            raise Quarantine("occurrence_in_header")
    by_row: dict[int, dict[int, list]] = {}
    column_types: dict[int, set] = {}
    for (row, column), types in sorted(plan.cells.items()):
        line = rows.line_of_row(row)
        if plan.irregular is not None and plan.irregular.in_records(line):
            continue  # the line left for quarantine as a row: nothing to mask in the output
        by_row.setdefault(line, {})[column] = sorted(types)
        column_types.setdefault(column, set()).update(types)
    for column, types in list(plan.whole.items()) + list(plan.classified.items()):
        column_types.setdefault(column, set()).update(types)
    if not column_types and not plan.malformed:  # nothing to change (records spanning lines only)
        copy_object(plan.info.location, target, session)
        plan.output_bytes = plan.info.size
        return
    masks = spark.createDataFrame([(row, cols) for row, cols in by_row.items()] or [(0, {})],
                                  "_mrow long, _mcols map<int,array<string>>")
    actions = dict(plan.types)
    no_types = F.array().cast("array<string>")
    special = '[",\\r\\n]' if sep == "," else '["\\t\\r\\n]'

    def masked_field(f: Any, column: int, mcols: Any, line_no: Any) -> Any:
        listed = F.coalesce(F.element_at(mcols, F.lit(column)), no_types)
        steps = []
        for t in sorted(column_types[column]):
            data_line = line_no > 1 if has_header else F.lit(True)
            widened = data_line if t in plan.whole.get(column, ()) else F.lit(False)
            # a classified column: every value is taken as located, so a value the detector missed is masked too
            located = F.array_contains(listed, t) | (data_line if t in plan.classified.get(column, ()) else F.lit(False))
            steps.append((t, actions[t], located, widened))
        any_applies = steps[0][2] | steps[0][3]
        for _, _, c, w in steps[1:]:
            any_applies = any_applies | c | w
        masked = mask_value(det.csv_unquote(f), steps, mask_char=policy.mask_char, tokenizer=tokenizer)
        requoted = det.let(masked, lambda m: F.when(f.startswith('"') | m.rlike(special), F.concat(
            F.lit('"'), F.replace(m, F.lit('"'), F.lit('""')), F.lit('"'))).otherwise(m))
        return F.when(any_applies, requoted).otherwise(f)

    def rebuild(value: Any, mcols: Any, line_no: Any) -> Any:
        def one(f: Any, i: Any) -> Any:
            expr = None
            for column in sorted(column_types):
                branch = masked_field(f, column, mcols, line_no)
                expr = F.when(i + 1 == column, branch) if expr is None else expr.when(i + 1 == column, branch)
            return expr.otherwise(f)

        def build(fields: Any) -> Any:
            listed_max = F.array_max(F.map_keys(F.coalesce(mcols, F.create_map().cast("map<int,array<string>>"))))
            rebuilt = F.concat(F.array_join(F.transform(fields, one), sep),
                               F.when(value.endswith("\r"), F.lit("\r")).otherwise(F.lit("")))
            return F.when(F.coalesce(listed_max, F.lit(0)) > F.size(fields),
                          _raise("an occurrence names a column beyond the line")).otherwise(rebuilt)

        return det.let(det.csv_fields(value, sep), build)

    joined = lines.join(F.broadcast(masks), F.col("_line") == F.col("_mrow"), "left")
    touched = F.col("_mcols").isNotNull() | F.lit(bool(plan.whole) or bool(plan.classified))
    layout = (sep, has_header, policy.mask_char, tuple(sorted(actions.items())),
              tuple(sorted((c, tuple(sorted(t))) for c, t in column_types.items())),
              tuple(sorted((c, tuple(sorted(t))) for c, t in plan.whole.items())),
              tuple(sorted((c, tuple(sorted(t))) for c, t in plan.classified.items())))
    rebuilt = rebuild_cache.get(layout) if rebuild_cache is not None else None
    if not column_types:  # only irregular lines to take out: every other line stays as it is
        rebuilt = F.col("value")
    if rebuilt is None:
        rebuilt = rebuild(F.col("value"), F.col("_mcols"), F.col("_line"))
        if rebuild_cache is not None:
            rebuild_cache[layout] = rebuilt
    out = joined.select(F.when(touched, rebuilt).otherwise(F.col("value")).alias("value"), "_line")
    if rows:
        # the joined records were shuffled: a global sort puts every part file in line order
        out = out.orderBy("_line")
    out.drop("_line").write.mode("overwrite").option("lineSep", "\n").text(tmp.spark_path())
    parts = _part_files(tmp, ".txt", session)
    if not rows:  # the text writer kept the read partitions: order the parts by their first line
        order = {b["pid"]: b["first_line"] for b in blocks}
        parts.sort(key=lambda p: order.get(p[0], 0))
    ends_with_newline = _last_byte(plan.info.location, plan.info.size, session) == b"\n"
    plan.output_bytes = concatenate([(loc, size) for _, loc, size in parts], target,
                                    drop_last_bytes=0 if ends_with_newline else 1, session=session)


def _without_irregular_records(plan: ObjectPlan, lines: Any, blocks: list, sep: str, first: list[str],
                               has_header: bool) -> Any:
    """``lines`` without the lines that are not records (see ``detection.records``).

    An unbalanced quote or a wrong field count becomes a quarantined row (``plan.malformed``;
    reason, line, a SHA-256 and length of its text, never the text), and the rest of the object
    is masked. Records spanning lines stay: they are records (``plan.irregular.spans``). Sets
    ``plan.records`` to the good records.
    """
    from pyspark.sql import functions as F

    from .detection.records import LineIssues, TooManyIrregularLines, line_issues

    header = has_header or det.header_like([f.strip() for f in first])
    total = sum(b["lines"] for b in blocks)
    files = sorted({b["file"] for b in blocks})
    try:
        found = line_issues(lines, blocks, sep, {f: len(first) for f in files} if first else None)
    except TooManyIrregularLines as exc:
        raise Quarantine("malformed_object", f"{exc}; the object cannot be masked row by row") from None
    issues = found.get(files[0], LineIssues(lines=total)) if files else LineIssues()
    if header and issues.in_records(1):
        raise Quarantine("malformed_object", "the header line has an unbalanced quote")
    plan.irregular = issues
    plan.records = issues.records(header) - len(issues.malformed)
    if not issues.malformed:
        return lines
    bad = F.col("_line").isin(list(issues.unbalanced + issues.wrong_fields))
    digests = {int(r["_line"]): (r["sha"], int(r["chars"])) for r in lines.where(bad).select(
        "_line", F.sha2(F.col("value"), 256).alias("sha"), F.length("value").alias("chars")).collect()}
    # bounded above: one row per malformed line (at most MAX_IRREGULAR_LINES), digests only
    plan.malformed = [{**m, "raw_record_sha256": digests.get(m["line"], (None, None))[0],
                       "raw_record_chars": digests.get(m["line"], (None, None))[1]} for m in issues.malformed]
    return lines.where(~bad)


def _classify_csv(spark: Any, plan: ObjectPlan, policy: MaskingPolicy, sep: str, deferred: frozenset[str],
                  session: Any, records: Any = None) -> None:
    """Classify the columns of a CSV/TSV object to mask (classification.py): a column whose share
    of validated values of a type the object holds reaches ``policy.column_threshold`` is masked
    whole as that type. Columns main_etl tokenizes are left to it. One aggregation per object.

    ``records``: the object's data records as text (an object whose records span lines; split
    with the detector's quoting rules), instead of Spark's line-based CSV reader."""
    from pyspark.sql import functions as F

    has_header = bool(plan.column_names)
    header = [h.strip() for h in det.csv_header_fields(plan.info.location, sep, session)] if has_header else []
    types = [t for t, action in plan.types if action != "keep"]
    if not types or policy.column_threshold is None:
        return
    if records is not None:
        width = len(det.csv_header_fields(plan.info.location, sep, session))
        fields = det.csv_fields(F.col("value"), sep)
        df = records.select(*[det.csv_unquote(F.element_at(fields, i + 1)).alias(f"_c{i}") for i in range(width)])
    else:
        df = (spark.read.option("header", str(has_header).lower()).option("sep", sep).option("mode", "PERMISSIVE")
              .csv(plan.info.location.spark_path()))
    columns = [c for i, c in enumerate(df.columns) if not (has_header and i < len(header) and header[i] in deferred)]
    numbers = {c: i + 1 for i, c in enumerate(df.columns)}
    shares = column_type_shares(df, columns, types)
    for column, found in sorted(classify_columns(shares, policy.column_threshold).items()):
        number = numbers[column]
        plan.classified.setdefault(number, set()).add(found["type"])
        plan.classified_columns.append({"object": plan.key, "column": header[number - 1] if has_header and
                                        number <= len(header) else number, **found})


def _update_path(col: Any, dtype: Any, elements: Sequence[tuple], fn: Callable[[Any, Any], Any]) -> Any:
    """Return ``col`` with the value at ``elements`` replaced by ``fn(value, type)``."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StructType

    if not elements:
        if isinstance(dtype, ArrayType) and not isinstance(dtype.elementType, (StructType, ArrayType)):
            return F.transform(col, lambda x: fn(x, dtype.elementType))
        if isinstance(dtype, (StructType, ArrayType)):
            raise Quarantine("json_path_not_in_data", "an occurrence's jsonPath points to an object, not a value")
        return fn(col, dtype)
    kind, value = elements[0]
    if kind == "field":
        if not isinstance(dtype, StructType) or value not in dtype.names:
            raise Quarantine("json_path_not_in_data")
        child = dtype[value].dataType
        return col.withField("`" + value.replace("`", "``") + "`", _update_path(col.getField(value), child, elements[1:], fn))
    if not isinstance(dtype, ArrayType):
        raise Quarantine("json_path_not_in_data")
    elem = dtype.elementType
    if kind == "wildcard":
        return F.transform(col, lambda x: _update_path(x, elem, elements[1:], fn))
    return F.transform(col, lambda x, i: F.when(i == value, _update_path(x, elem, elements[1:], fn)).otherwise(x))


def _apply_paths(root: Any, schema: Any, listed: Mapping[str, set], whole: Mapping[str, set],
                 is_listed: Callable[[str], Any], plan: ObjectPlan, policy: MaskingPolicy, tokenizer: Any) -> Any:
    """Update every listed / widened path of a record struct.

    ``listed``: path -> types Macie located at that path in some records (``is_listed(path)`` is
    the per-row condition); ``whole``: generalised path -> types masked in every record.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    out = root
    actions = dict(plan.types)
    for path in sorted(set(listed) | set(whole)):
        listed_types, whole_types = listed.get(path, set()), whole.get(path, set())
        row_listed = is_listed(path) if listed_types else F.lit(False)

        def fn(value: Any, dtype: Any, _lt: set = listed_types, _wt: set = whole_types, _row: Any = row_listed) -> Any:
            if isinstance(dtype, StringType):
                steps = [(t, actions[t], _row if t in _lt else F.lit(False), F.lit(t in _wt))
                         for t in sorted(_lt | _wt)]
                return mask_value(value, steps, mask_char=policy.mask_char, tokenizer=tokenizer)
            # a non-string value is nulled, so the field keeps its type
            return F.when((_row | F.lit(bool(_wt))) & value.isNotNull(), F.lit(None).cast(dtype)).otherwise(value)

        out = _update_path(out, schema, parse_json_path(path), fn)
    return out


def _listed_paths(plan: ObjectPlan) -> dict[str, set]:
    out: dict[str, set] = {}
    for (_, p), t in plan.cells.items():
        out.setdefault(p, set()).update(t)
    return out


def _record_paths(plan: ObjectPlan) -> tuple[dict, dict]:
    """(index -> {path: types}) for listed records and {path: types} for widened paths."""
    per_record: dict[int, dict[str, set]] = {}
    for (index, path), types in plan.cells.items():
        per_record.setdefault(index, {}).setdefault(path, set()).update(types)
    return per_record, {p: set(t) for p, t in plan.whole.items()}


def _mask_jsonl(spark: Any, plan: ObjectPlan, policy: MaskingPolicy, tokenizer: Any, tmp: sio.Location,
                target: sio.Location, session: Any) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    path = plan.info.location.spark_path()
    schema = StructType([f for f in spark.read.json(path).schema.fields if f.name != "_corrupt_record"])
    lines, blocks = det.indexed_lines(spark, [path])
    total = sum(b["lines"] for b in blocks)
    plan.records = total
    per_record, whole = _record_paths(plan)
    if any(i >= total for i in per_record):
        raise Quarantine("occurrence_out_of_range", "a recordIndex is beyond the last line")
    masks = spark.createDataFrame([(i + 1, sorted(p)) for i, p in per_record.items()] or [(0, [])],
                                  "_mrow long, _mpaths array<string>")
    joined = lines.join(F.broadcast(masks), F.col("_line") == F.col("_mrow"), "left")
    parsed = F.from_json(F.col("value"), schema, {"mode": "FAILFAST"})

    def is_listed(p: str) -> Any:
        return F.coalesce(F.array_contains(F.col("_mpaths"), F.lit(p)), F.lit(False))

    updated = _apply_paths(parsed, schema, _listed_paths(plan), whole, is_listed, plan, policy, tokenizer)
    touched = F.col("_mpaths").isNotNull() | F.lit(bool(whole))
    out = joined.select(F.when(touched & F.col("value").rlike(r"\S"), F.to_json(updated)).otherwise(F.col("value"))
                        .alias("value"))
    out.write.mode("overwrite").option("lineSep", "\n").text(tmp.spark_path())
    parts = _part_files(tmp, ".txt", session)
    order = {b["pid"]: b["first_line"] for b in blocks}
    parts.sort(key=lambda p: order.get(p[0], 0))
    ends_with_newline = _last_byte(plan.info.location, plan.info.size, session) == b"\n"
    concatenate([(loc, size) for _, loc, size in parts], target, drop_last_bytes=0 if ends_with_newline else 1,
                session=session)


def _mask_json_doc(spark: Any, plan: ObjectPlan, policy: MaskingPolicy, tokenizer: Any, tmp: sio.Location,
                   target: sio.Location, session: Any) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StructType

    path = plan.info.location.spark_path()
    element = spark.read.option("multiLine", "true").json(path)
    schema = StructType([f for f in element.schema.fields if f.name != "_corrupt_record"])
    is_array = det.read_head(plan.info.location, session, 4096).decode("utf-8", "replace").lstrip(
        "\ufeff \t\r\n").startswith("[")
    plan.records = element.count() if is_array else 1
    doc_schema = ArrayType(schema) if is_array else schema
    doc = F.from_json(F.col("value"), doc_schema, {"mode": "FAILFAST"})
    updated = _apply_paths(doc, doc_schema, _listed_paths(plan), {p: set(t) for p, t in plan.whole.items()},
                           lambda p: F.lit(True), plan, policy, tokenizer)
    out = spark.read.text(path, wholetext=True).select(F.to_json(updated).alias("value"))
    out.coalesce(1).write.mode("overwrite").text(tmp.spark_path())
    parts = _part_files(tmp, ".txt", session)
    concatenate([(loc, size) for _, loc, size in parts], target, drop_last_bytes=1, session=session)


def _mask_records(spark: Any, plan: ObjectPlan, policy: MaskingPolicy, tokenizer: Any, fmt: str, tmp: sio.Location,
                  target: sio.Location, session: Any) -> None:
    """Parquet (row index from ``_metadata.row_index``) and Avro (split statistics)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    path = plan.info.location.spark_path()
    if fmt == "parquet":
        data = spark.read.parquet(path)
        df = data.select("*", F.col("_metadata.row_index").alias("_record"))
    else:
        data = spark.read.format("avro").load(path)
        indexed, _ = det.indexed_rows(data)
        df = indexed.drop("_file")
    schema = StructType(data.schema.fields)
    plan.records = data.count()
    per_record, whole = _record_paths(plan)
    if any(i >= plan.records for i in per_record):
        raise Quarantine("occurrence_out_of_range", "a recordIndex is beyond the last record")
    masks = spark.createDataFrame([(i, sorted(p)) for i, p in per_record.items()] or [(-1, [])],
                                  "_mrow long, _mpaths array<string>")
    joined = df.join(F.broadcast(masks), F.col("_record") == F.col("_mrow"), "left")

    def is_listed(p: str) -> Any:
        return F.coalesce(F.array_contains(F.col("_mpaths"), F.lit(p)), F.lit(False))

    record = F.struct(*[F.col("`" + f.name.replace("`", "``") + "`") for f in schema.fields])
    updated = _apply_paths(record, schema, _listed_paths(plan), whole, is_listed, plan, policy, tokenizer)
    out = joined.select(updated.alias("_r"), "_record").repartition(1).sortWithinPartitions("_record").select(
        *[F.col("_r").getField(f.name).alias(f.name) for f in schema.fields])
    out.write.mode("overwrite").format(fmt).save(tmp.spark_path())
    parts = _part_files(tmp, f".{fmt}", session)
    if len(parts) != 1:
        raise SecureTransformError(f"{plan.key}: expected one {fmt} part file, found {len(parts)}")
    concatenate([(parts[0][1], parts[0][2])], target, session=session)


# --- the job ---------------------------------------------------------------------------------------------


@dataclass
class MaskingOutcome:
    """What happened to every object (no values)."""

    plans: list = field(default_factory=list)
    notifications: list = field(default_factory=list)
    tokenization: str = "unavailable: tokenize falls back to redaction"
    deferred_columns: tuple = ()  # the --pii_columns main_etl tokenizes (names only)

    def summary(self) -> dict:
        masked = [p for p in self.plans if p.action == "mask"]
        passed = [p for p in self.plans if p.action == "pass"]
        quarantined = [p for p in self.plans if p.action == "quarantine"]
        rows_out = sum(p.records or 0 for p in masked + passed)
        malformed = [{"object": p.key, **{k: m[k] for k in ("line", "lines", "reason")}}
                     for p in masked + passed for m in p.malformed]
        rows_q = sum(p.records or 0 for p in quarantined) + len(malformed)
        by_type: dict[str, int] = {}
        for p in masked:
            for t, n in p.masked_values.items():
                by_type[t] = by_type.get(t, 0) + n
        deferring = [p for p in masked + passed if p.deferred_cells or p.deferred_whole]
        deferred_by_type: dict[str, int] = {}
        deferred_columns: dict[str, set] = {}
        for p in deferring:
            for t, n in p.deferred_cells.items():
                deferred_by_type[t] = deferred_by_type.get(t, 0) + n
            for t, cols in p.deferred_columns.items():
                deferred_columns.setdefault(t, set()).update(cols)
        return {
            "rows_in": rows_out + rows_q, "rows_out": rows_out, "rows_quarantined": rows_q,
            "objects": len(self.plans), "objects_masked": len(masked), "objects_passed_through": len(passed),
            "objects_quarantined": len(quarantined),
            "quarantined": [{"object": p.key, "reason": p.reason, "detail": p.detail, "records": p.records}
                            for p in quarantined],
            "masked_occurrences_by_type": dict(sorted(by_type.items())),
            "whole_columns_masked": [w for p in masked for w in p.whole_columns],
            # columns masked whole because most of their values are one type (classification.py)
            "columns_classified": [c for p in masked for c in p.classified_columns],
            "pii_columns_deferred": list(self.deferred_columns),
            "cells_deferred_to_tokenization": sum(deferred_by_type.values()),
            "cells_deferred_to_tokenization_by_type": dict(sorted(deferred_by_type.items())),
            "columns_deferred_to_tokenization": {t: sorted(c) for t, c in sorted(deferred_columns.items())},
            "deferred_to_tokenization": [p.deferred_report() for p in deferring],
            # records that were not one well-formed line, quarantined as rows (the rest of the object went on)
            "malformed_records_quarantined": len(malformed),
            # records whose quoted fields span lines, masked and written as records (multiline.py)
            "records_spanning_lines": sum(_spanning(p) for p in masked + passed),
            "lines_with_bare_carriage_return": sum(_bare_cr(p) for p in masked + passed),
            # objects main_etl reads with Spark's multiLine CSV (records spanning lines or a bare \r)
            "objects_read_as_multiline": sum(1 for p in masked + passed if _spanning(p) or _bare_cr(p)),
            "malformed_records": malformed[:1000],
            "records_unknown": [p.key for p in quarantined if p.records is None],
            # objects whose rows could not be counted (damaged, unreadable): outside rows_in, shown here
            "objects_with_unknown_rows": sum(1 for p in quarantined if p.records is None),
            "status": ALL_INPUTS_QUARANTINED if self.plans and len(quarantined) == len(self.plans) else "ok",
            "tokenization": self.tokenization,
            "notifications": self.notifications,
        }


def _count_records(spark: Any, plans: Sequence[ObjectPlan], session: Any) -> list[ObjectPlan]:
    """Record counts of pass-through and quarantined objects: one Spark job per format.

    Returns the pass-through CSV/TSV objects with odd-quote lines (records spanning lines or
    unbalanced quotes): they are rewritten without those records (see ``_without_irregular_records``).
    """
    from pyspark.sql import functions as F

    needs_rows: list[ObjectPlan] = []
    todo = [p for p in plans if p.records is None and p.fmt is not None]
    for fmt in det.FORMATS:
        group = [p for p in todo if p.fmt == fmt]
        if not group:
            continue
        paths = [p.info.location.spark_path() for p in group if p.info.size > 0]
        for p in group:
            if p.info.size == 0:
                p.records = 0
        if not paths:
            continue
        try:
            irregular = F.lit(0)
            cr = F.lit(0)
            if fmt in ("csv", "tsv", "jsonl"):
                df = spark.read.option("lineSep", "\n").text(paths)
                if fmt != "jsonl":  # quote parity / blank lines: records, not physical lines
                    irregular = ((F.size(F.split("value", '"')) - 1) % 2) * 1000000 + F.col("value").rlike(
                        "^\r?$").cast("int")
                    cr = det.bare_cr("value").cast("int")
            elif fmt == "json":
                df = spark.read.option("multiLine", "true").json(paths)
            elif fmt == "parquet":
                df = spark.read.parquet(*paths)
            else:
                df = spark.read.format("avro").load(paths)
            stats = {det.spark_path_key(r["f"]): (int(r["n"]), int(r["irr"] or 0), int(r["cr"] or 0)) for r in df.groupBy(
                F.col("_metadata.file_path").alias("f")).agg(F.count(F.lit(1)).alias("n"), F.sum(irregular).alias("irr"),
                                                             F.sum(cr).alias("cr")).collect()}  # bounded: one row per file
            counts = {k: n for k, (n, _, _) in stats.items()}
        except Exception:  # noqa: BLE001 - an unreadable object keeps records unknown (reported)
            continue
        for p in group:
            n = counts.get(det.spark_path_key(p.info.location.spark_path()))
            if n is None:
                continue
            if fmt in ("csv", "tsv") and n:
                fields = [f.strip() for f in det.csv_header_fields(p.info.location, "\t" if fmt == "tsv" else ",",
                                                                 session)]
                n -= 1 if det.header_like(fields) else 0
                _, irregular_lines, p.bare_cr_lines = stats[det.spark_path_key(p.info.location.spark_path())]
                odd, blank = divmod(irregular_lines, 1000000)
                n -= blank  # blank lines are not records
                if odd and p.action == "pass":
                    needs_rows.append(p)  # quoted newlines or unbalanced quotes: take them out row by row
                elif odd:  # a quarantined object: records, not lines (a record spanning lines counts once)
                    n = _quarantined_csv_records(spark, p, "\t" if fmt == "tsv" else ",", fields, session) or n
            p.records = n
    return needs_rows


def _quarantined_csv_records(spark: Any, plan: ObjectPlan, sep: str, first: list[str], session: Any) -> int | None:
    """Records of a quarantined CSV/TSV object with odd-quote lines, paired as masking would
    (None when there are too many irregular lines to pair)."""
    from .detection.records import TooManyIrregularLines, line_issues

    lines, blocks = det.indexed_lines(spark, [plan.info.location.spark_path()], sep=sep,
                                      expected_fields=len(first) or None)
    files = sorted({b["file"] for b in blocks})
    try:
        issues = line_issues(lines, blocks, sep, {f: len(first) for f in files} if first else None)
    except TooManyIrregularLines:
        return None
    return sum(i.records(det.header_like(first)) for i in issues.values())


def _spanning(plan: ObjectPlan) -> int:
    """Records spanning lines in the object written to the masked zone (0 when none was written)."""
    if plan.action == "quarantine" or plan.irregular is None:
        return 0
    return len(plan.irregular.spans)


def _bare_cr(plan: ObjectPlan) -> int:
    """Lines with a \r before their end in the object written to the masked zone (0 when none was)."""
    return 0 if plan.action == "quarantine" else plan.bare_cr_lines


def _write_malformed_rows(plans: Sequence[ObjectPlan], quarantine: sio.Location, run_id: str, session: Any) -> None:
    """Records taken out of masked objects, as quarantined rows (JSON Lines; digests, never text)."""
    rows = [{"object": p.key, "line_number": m["line"], "line_count": m["lines"], "reject_reason": m["reason"],
             "raw_record_sha256": m.get("raw_record_sha256"), "raw_record_chars": m.get("raw_record_chars"),
             "run_id": run_id} for p in plans if p.action != "quarantine" for m in p.malformed]
    if rows:
        sio.write_text(quarantine.child("records", f"run_id={run_id}", "macie_masking.jsonl"),
                       "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), session)


def _name_damaged_streams(plans: Sequence[ObjectPlan], session: Any) -> None:
    """A quarantined compressed object whose rows could not be counted: name the codec problem.

    Decompresses only those objects, streaming, on the driver (nothing is kept)."""
    from . import compression

    for plan in plans:
        if plan.action != "quarantine" or plan.records is not None or not compression.codec_of(plan.info.location.key):
            continue
        try:
            problem = compression.stream_problem(plan.info, session)
        except OSError:
            continue  # an I/O error says nothing about the bytes: keep the original reason
        if problem:
            previous = f"; first quarantined as {plan.reason}" if plan.reason else ""
            plan.reason, plan.detail = "damaged_compressed_object", f"{problem}; rows unknown{previous}"


def all_inputs_quarantined_error(summary: Mapping[str, Any], where: str = "macie_masking") -> SecureTransformError:
    """The failure of a run whose every input object was quarantined: names objects and reasons."""
    items = summary.get("quarantined") or []
    listed = "; ".join(f"{q['object']}: {q['reason']}" for q in items[:10])
    more = f"; and {len(items) - 10} more" if len(items) > 10 else ""
    error = AllInputsQuarantinedError(
        f"{where}: all {len(items)} input object(s) were quarantined, nothing reached the masked zone "
        f"({listed}{more}); see `secure-transform review list --quarantine {summary.get('quarantine_location', '<quarantine>')}`")
    error.summary = dict(summary)
    return error


def _quarantine(plan: ObjectPlan, quarantine: sio.Location, run_id: str, session: Any) -> None:
    dst = quarantine.child("objects", plan.key)
    tags = {"quarantine_reason": plan.reason or "unknown", "quarantined_by": "macie_masking", "run_id": run_id}
    copy_object(plan.info.location, dst, session, tags=tags if dst.is_s3 else None)
    if dst.is_s3 and not plan.info.location.is_s3:
        sio._s3_client(session).put_object_tagging(Bucket=dst.bucket, Key=dst.key, Tagging={
            "TagSet": [{"Key": k, "Value": _tag_value(v)} for k, v in tags.items()]})
    findings = {}
    if plan.result is not None:
        for d in plan.result.detections:
            findings[d.type] = findings.get(d.type, 0) + d.count
    record = {
        "object": plan.key, "source": plan.info.location.uri, "quarantined_object": dst.uri,
        "reason": plan.reason, "detail": plan.detail, "format": plan.fmt, "records": plan.records,
        "macie_status": plan.result.status if plan.result else None,
        "macie_status_reason": plan.result.status_reason if plan.result else None,
        "findings_by_type": findings,
        "occurrence_kinds": sorted(plan.result.occurrence_kinds()) if plan.result else [],
        "discovery_result": plan.result.source if plan.result else None,
        "run_id": run_id, "quarantined_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "decisions": [],
    }
    sio.write_json(quarantine.child("reasons", plan.key + ".json"), record, session)


def notify(topic_arn: str | None, subject: str, message: Mapping[str, Any], session: Any = None) -> dict:
    """Publish an alert to SNS (when a topic is configured) and return the record of it."""
    body = json.dumps(message, sort_keys=True, default=str)
    record = {"topic": topic_arn, "subject": subject[:100], "message": json.loads(body), "published": False}
    if topic_arn:
        import boto3

        client = (session or boto3.session.Session()).client("sns")
        resp = client.publish(TopicArn=topic_arn, Subject=subject[:100], Message=body)
        record.update({"published": True, "message_id": resp.get("MessageId")})
    return record


def _deferred_columns(pii_columns: Any) -> frozenset[str]:
    """The column names of main_etl's ``--pii_columns`` (validated; empty when not given)."""
    if pii_columns is None:
        return frozenset()
    from .tokenization import parse_pii_columns

    return frozenset(parse_pii_columns(pii_columns).column_names)


def mask_objects(spark: Any, source: sio.Location, results: sio.Location, target: sio.Location,
                 quarantine: sio.Location, *, policy: MaskingPolicy | None = None, keyset: Any = None,
                 run_id: str = "local", session: Any = None, alert_topic_arn: str | None = None,
                 etag_check: str = "strict", input_format: str | None = None,
                 progress: Callable[[str], None] | None = None,
                 pii_columns: Any = None) -> MaskingOutcome:
    """Mask every object under ``source`` using the discovery results under ``results``.

    ``pii_columns``: main_etl's ``--pii_columns`` (JSON text, ``@file``, a mapping or a parsed
    ``PiiConfig``). Detections in those columns are left for main_etl to tokenize (see
    :func:`plan_object`); invalid configuration raises ``ConfigError`` before anything is written.
    """
    policy = policy or MaskingPolicy()
    if etag_check not in ("strict", "size", "none"):
        raise ConfigError("--etag-check", f"must be strict, size or none, got {etag_check!r}")
    deferred = _deferred_columns(pii_columns)
    outcome = MaskingOutcome(deferred_columns=tuple(sorted(deferred)))
    tokenizer = _tokenizer(keyset, spark)
    rebuild_cache: dict = {}  # CSV line-rebuilding expressions by layout, for this run's tokenizer only
    if keyset is not None:
        outcome.tokenization = f"keyed HMAC-SHA256 (key version {keyset.active_version})"
    index = ResultIndex.build(read_results(results, session))
    objects = list(sio.list_objects(source, session))
    if objects and not index.by_key:
        # a wrong path, not "nothing analysed": every object would be quarantined as no_discovery_result
        raise ConfigError("--results_bucket", f"{results.uri} holds no discovery results (it is missing, empty or "
                          "not a results location); run the detector or point it at Macie's results; nothing was "
                          "written")
    if progress:
        progress(f"mask: {len(objects)} object(s), {sum(len(v) for v in index.by_key.values())} discovery result(s)")
    tmp_root = target.child("_tmp_masking", run_id)
    for n, info in enumerate(objects):
        key = det.relative_key(source, info)
        try:
            fmt = det.object_format(info.location, session, input_format)
        except ConfigError:
            raise
        if fmt == "avro" and not det.avro_available(spark):
            fmt = None
        bucket = source.bucket if source.is_s3 else None
        candidates = index.candidates(key, bucket)
        result = _pick_result(candidates, info, etag_check, session)
        plan = plan_object(info, key, fmt, result, policy, etag_check=etag_check, session=session,
                           deferred_columns=deferred)
        dst = target.child(key)
        if plan.action == "mask":
            tmp = tmp_root.child(str(n))
            try:
                if fmt in ("csv", "tsv"):
                    _mask_csv(spark, plan, policy, tokenizer, "\t" if fmt == "tsv" else ",", tmp, dst, session,
                              rebuild_cache, deferred=deferred)
                elif fmt == "jsonl":
                    _mask_jsonl(spark, plan, policy, tokenizer, tmp, dst, session)
                elif fmt == "json":
                    _mask_json_doc(spark, plan, policy, tokenizer, tmp, dst, session)
                else:
                    _mask_records(spark, plan, policy, tokenizer, fmt, tmp, dst, session)
            except Quarantine as q:
                plan.action, plan.reason, plan.detail = "quarantine", q.code, q.detail
            except Exception as exc:  # noqa: BLE001 - Spark errors may quote values: keep only our marker
                text = str(exc)
                code = "unparseable_record" if ("FAILFAST" in text or "MALFORMED" in text.upper()) else "masking_failed"
                if "secure-transform masking:" in text:
                    code = "occurrence_out_of_range"
                plan.action, plan.reason, plan.detail = "quarantine", code, QUARANTINE_REASONS[code] + \
                    f" ({type(exc).__name__})"
                _remove(dst, session)
            finally:
                _remove(tmp, session)
        elif plan.action == "pass":
            copy_object(info.location, dst, session)
        if plan.action == "quarantine":
            _remove(dst, session)  # never leave a partial or stale output for a quarantined object
        if progress:
            progress(f"mask: {n + 1}/{len(objects)} {plan.action}")
        outcome.plans.append(plan)
    for plan in _count_records(spark, outcome.plans, session):
        # a pass-through object whose records span lines: copied whole, main_etl would read each
        # line as a record; rewritten without those records, which become quarantined rows
        dst = target.child(plan.key)
        tmp = tmp_root.child(f"rows-{plan.key.replace('/', '_')}")
        try:
            _mask_csv(spark, plan, policy, tokenizer, "\t" if plan.fmt == "tsv" else ",", tmp, dst, session,
                      rebuild_cache)
            plan.action = "mask" if plan.malformed else "pass"  # only records spanning lines: still a copy
        except Quarantine as q:
            plan.action, plan.reason, plan.detail = "quarantine", q.code, q.detail
            _remove(dst, session)
        finally:
            _remove(tmp, session)
    _remove(tmp_root, session)
    if not target.is_s3:  # drop the empty local scratch folder too
        try:
            os.rmdir(target.child("_tmp_masking").key)
        except OSError:
            pass
    # main_etl reads the objects whose records span lines with Spark's multiLine CSV (multiline.py)
    multiline.update_markers(target, [(p.key, p.output_bytes if p.output_bytes is not None else p.info.size,
                                       p.records or 0, _spanning(p), _bare_cr(p)) for p in outcome.plans], session)
    _name_damaged_streams(outcome.plans, session)
    _write_malformed_rows(outcome.plans, quarantine, run_id, session)
    quarantined = [p for p in outcome.plans if p.action == "quarantine"]
    for plan in quarantined:
        _quarantine(plan, quarantine, run_id, session)
    if quarantined:
        message = {"job": "macie_masking", "run_id": run_id, "objects_quarantined": len(quarantined),
                   "objects": [{"object": p.key, "reason": p.reason} for p in quarantined[:50]],
                   "quarantine": quarantine.uri}
        every = len(quarantined) == len(outcome.plans)
        if every:
            message["status"] = ALL_INPUTS_QUARANTINED
        subject = (f"secure-transform: all {len(quarantined)} input object(s) quarantined, nothing to transform"
                   if every else f"secure-transform: {len(quarantined)} object(s) quarantined by macie_masking")
        outcome.notifications.append(notify(alert_topic_arn, subject, message, session))
    return outcome


def _pick_result(candidates: Sequence[DiscoveryResult], info: Any, etag_check: str, session: Any) -> DiscoveryResult | None:
    """The newest result whose eTag matches the object now (else the newest, to report the mismatch)."""
    if not candidates:
        return None
    if etag_check == "strict" and len(candidates) > 1:
        etag, _ = det.object_identity(info, session)
        for res in candidates:
            if res.object.etag == etag:
                return res
    return candidates[0]


def run_macie_masking(rt: Any) -> dict:
    """Entry point of ``glue_jobs/macie_masking.py``."""
    with rt.stage("configure"):
        source = rt.location("source_bucket")
        results = rt.location("results_bucket")
        target = rt.location("target_bucket")
        quarantine = rt.location("quarantine_bucket")
        policy = parse_masking_policy(rt.args.get("masking_policy"))
        # main_etl's tokenization config: its columns are left for main_etl (fails closed here)
        pii_columns = rt.args.get("pii_columns")
        deferred = _deferred_columns(pii_columns)
        keyset = None
        if rt.args.get("key_secret_id") or rt.args.get("key_file"):
            from .keys import load_job_keyset

            keyset = load_job_keyset(rt)  # a configured key that cannot be loaded stops the job
    with rt.stage("mask") as st:
        outcome = mask_objects(rt.spark, source, results, target, quarantine, policy=policy, keyset=keyset,
                               run_id=rt.run_id, session=rt.aws_session, alert_topic_arn=rt.args.get("alert_topic_arn"),
                               progress=rt.logger.info, pii_columns=pii_columns)
        summary = outcome.summary()
        st.rows_in, st.rows_out, st.rows_quarantined = summary["rows_in"], summary["rows_out"], summary["rows_quarantined"]
    rt.logger.info("macie_masking: %d masked, %d passed through, %d quarantined", summary["objects_masked"],
                   summary["objects_passed_through"], summary["objects_quarantined"])
    if deferred:
        rt.logger.info("macie_masking: %d cell(s) in main_etl's tokenized columns left for tokenization",
                       summary["cells_deferred_to_tokenization"])
    summary.update({"job": "macie_masking", "source": source.uri, "target": target.uri,
                    "quarantine_location": quarantine.uri})
    if summary["status"] == ALL_INPUTS_QUARANTINED:
        raise all_inputs_quarantined_error(summary)  # the summary is still written (runtime.execute)
    return summary
