"""HTML building blocks of the run report: escaping, redaction, numbers, labels, tables.

Two kinds of text reach the page and they are treated differently:

* **Free text** from data or another job's summary goes through :func:`safe_text`: every rule of
  :func:`secure_transform.logs.redact`, including long hex and base64 runs (a key or secret).
* **Identifiers the pipeline itself made** (a Macie job id, a run id, a results path, a config
  hash, an artifact version) go through :func:`identifier_text`: the personal-data rules still
  apply (e-mail, card/phone numbers, SSN, IBAN, AWS key ids, private keys), but a hex job id or
  a long path is shown, since hiding it as ``[HEX]``/``[SECRET]`` only stops an analyst finding
  the run. Whether a value is an identifier is decided by its key (:func:`is_identifier_key`);
  keys that name key material never qualify.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any, Iterable, Sequence

from .logs import redact, redact_personal_data

__all__ = ["e", "safe_text", "identifier_text", "is_identifier_key", "fmt_num", "fmt_pct", "table", "note",
           "details", "label"]


def e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def safe_text(value: Any, limit: int = 200) -> str:
    """A string from data or another job's summary: redacted, shortened, escaped."""
    return e(_shorten(redact(str(value)), limit))


_IDENTIFIER_KEY = re.compile(r"(^|_)(id|ids|path|paths|uri|location|output|results|source|target|quarantine|"
                             r"hash|version|bucket|prefix|report|model|job)$")
_SECRET_KEY = re.compile(r"key(?!_?version)|secret|token|password|credential", re.I)


def is_identifier_key(key: str) -> bool:
    """Whether ``key`` (e.g. ``macie_job_id``, ``results_path``) names an identifier the pipeline made."""
    name = str(key).lower().rsplit(".", 1)[-1]
    return bool(_IDENTIFIER_KEY.search(name)) and not _SECRET_KEY.search(name)


# Macie's result layout puts the (non-personal) account id in the path: AWSLogs/<account>/Macie/...
_MACIE_ACCOUNT = re.compile(r"(AWSLogs/\d{12}/)")


def identifier_text(value: Any, limit: int = 300) -> str:
    """A pipeline-made identifier or path: personal data redacted, hex ids and paths kept."""
    parts = _MACIE_ACCOUNT.split(str(value))
    text = "".join(p if i % 2 else redact_personal_data(p) for i, p in enumerate(parts))
    return e(_shorten(text, limit))


def fmt_num(value: Any, digits: int = 2) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return e(value)
        return f"{value:,.{digits}f}" if abs(value) >= 0.01 or value == 0 else f"{value:.3g}"
    return safe_text(value)


def fmt_pct(part: Any, whole: Any, digits: int = 2) -> str:
    if not isinstance(part, (int, float)) or not isinstance(whole, (int, float)) or not whole:
        return ""
    return f"{100 * part / whole:.{digits}f} %"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, css: str = "") -> str:
    """Rows are already-safe HTML cells; headers are escaped here (no header row when all are empty).
    Wide tables scroll inside their box instead of widening the page."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers) if any(headers) else ""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f'<div class="scroll"><table class="{e(css)}">{thead}<tbody>{body}</tbody></table></div>'


def note(text: str, kind: str = "note") -> str:
    return f'<p class="{e(kind)}">{e(text)}</p>'


def details(summary: str, body: str) -> str:
    """Raw tables folded away: the reader opens them when a figure needs checking."""
    return f"<details><summary>{e(summary)}</summary>{body}</details>"


# Human names for the keys the jobs write; anything else is derived from the key itself.
_LABELS = {
    "rows_in": "Rows in", "rows_out": "Rows out", "rows_quarantined": "Rows quarantined",
    "seconds": "Seconds", "leak_findings": "Leak findings", "published": "Published",
    "findings_masked": "Findings masked", "findings_by_type": "Findings by type",
    "detections_by_type": "Detections by type", "detections_by_column": "Detections by column",
    "cells_deferred_to_tokenization": "Cells left for tokenization", "objects_quarantined": "Objects quarantined",
    "anomalies_flagged": "Anomalies flagged", "anomaly_rate": "Anomaly rate", "flagged_rate": "Flagged rate",
    "roc_auc": "ROC-AUC", "precision_at_flagged_rate": "Precision at the flagged rate",
    "recall_at_flagged_rate": "Recall at the flagged rate", "config_hash": "Configuration hash",
    "bin_edges_version": "Bin edges version", "anomaly_model_version": "Anomaly model version",
    "merchant_mapping_version": "Merchant mapping version", "key_version": "Key version",
    "pii_columns_protected": "Columns protected", "run_id": "Run id", "job_id": "Job id",
    "macie_job_id": "Macie job id", "fpe_fallbacks": "Format-preserving fallbacks", "redaction": "Redaction",
    "risk": "Re-identification risk", "reidentification_risk": "Re-identification risk",
    "format_preserving_fallbacks": "Format-preserving fallbacks", "placeholders": "Placeholders written",
    "rows_below_min_k": "Rows below min k", "share_rows_below_min_k": "Share of rows below min k",
    "classes_below_min_k": "Classes below min k", "equivalence_classes": "Equivalence classes",
    "quasi_identifiers": "Quasi-identifiers", "sensitive_column": "Sensitive column", "min_k": "Minimum k", "min_l": "Minimum l", "k": "k (smallest class)",
    "l": "l (smallest diversity)", "input_files": "Input files", "input_bytes": "Input bytes",
    "input_format": "Input format",
}
_ACRONYMS = {"id": "id", "pii": "PII", "ssn": "SSN", "iban": "IBAN", "url": "URL", "uri": "URI", "mcc": "MCC",
             "fpe": "FPE", "etl": "ETL", "json": "JSON", "csv": "CSV", "roc": "ROC", "auc": "AUC", "aws": "AWS",
             "ip": "IP", "kms": "KMS", "s3": "S3", "usa": "USA", "uk": "UK", "us": "US"}


def _words(key: str) -> str:
    words = [w for w in re.split(r"[_\s]+", str(key)) if w]
    if not words:
        return str(key)
    out = [_ACRONYMS.get(w.lower(), w.lower()) for w in words]
    out[0] = out[0][:1].upper() + out[0][1:] if out[0] not in _ACRONYMS.values() else out[0]
    return " ".join(out)


def label(key: Any) -> str:
    """``detections_by_type.ADDRESS`` -> ``Detections by type: address``; known keys get their name."""
    parts = str(key).split(".")
    head = _LABELS.get(parts[0]) or _words(parts[0])
    rest = [_LABELS.get(p) or (_words(p).lower() if p.isupper() else p) for p in parts[1:]]  # column names verbatim
    return ": ".join([head] + [" \u203a ".join(rest)] if rest else [head])
