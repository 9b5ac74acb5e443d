"""Logging that cannot leak personal data.

Every job installs :func:`install_redacting_logging` before it logs anything. The formatter
rewrites anything that looks like personal data or key material (e-mail addresses, card-like
digit runs, SSNs, IBANs, phone numbers, long hex/base64 strings) into a typed placeholder, in
the message *and* in formatted exception text, so an exception that carries a row value (for
example a Spark cast error quoting the offending string) is redacted too.

The rules here are deliberately broader than the detector: a false positive in a log costs a
slightly less readable line; a false negative is a breach.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), "[PRIVATE_KEY]"),
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), "[EMAIL]"),
    (re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b"), "[IBAN]"),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), "[AWS_KEY_ID]"),
    # base64 / hex blobs of key size or longer (keys, tokens, secrets)
    (re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])"), "[SECRET]"),
    (re.compile(r"\b[0-9a-fA-F]{32,}\b"), "[HEX]"),
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "[SSN]"),
    # card / account / phone numbers: 7+ digits possibly split by spaces, dots or dashes
    # (ISO dates such as 2026-11-03 are left readable)
    (re.compile(r"(?<![\w.])(?!\d{4}-\d{2}-\d{2}(?!\d))\+?\d(?:[ \-.()]*\d){6,}(?![\w])"), "[NUMBER]"),
)


# Rules that stay on for identifiers the pipeline made itself (job ids, run ids, paths): every
# personal-data rule; only the key-sized hex/base64 blob rules, which hide such ids, are left out.
_BLOB_PLACEHOLDERS = ("[SECRET]", "[HEX]")
_PERSONAL_PATTERNS = tuple((p, r) for p, r in _PATTERNS if r not in _BLOB_PLACEHOLDERS)


def _apply(text: str, patterns: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    if not text:
        return text
    for pattern, placeholder in patterns:
        text = pattern.sub(placeholder, text)
    return text


def redact_personal_data(text: str) -> str:
    """Like :func:`redact` without the hex/base64 blob rules: for pipeline-made identifiers only."""
    return _apply(text, _PERSONAL_PATTERNS)


def redact(text: str) -> str:
    """Replace every PII-looking span of ``text`` by a typed placeholder."""
    return _apply(text, _PATTERNS)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts the whole formatted record (message + traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging API name)
        return redact(super().formatException(ei))


class JsonRedactingFormatter(RedactingFormatter):
    """One JSON object per line, for CloudWatch Logs Insights; fields redacted like the text."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, sort_keys=True)


LOGGER_NAME = "secure_transform"


def install_redacting_logging(level: str = "INFO", *, json_lines: bool = False) -> logging.Logger:
    """Route the root logger (and so py4j/pyspark Python loggers) through the redacting formatter."""
    formatter: logging.Formatter = (
        JsonRedactingFormatter() if json_lines else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_secure_transform", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._secure_transform = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter)
    root.addHandler(handler)
    # Every other handler (e.g. one Glue installed) gets the redacting formatter too.
    for other in root.handlers:
        if other is not handler and not isinstance(other.formatter, RedactingFormatter):
            other.setFormatter(formatter)
    root.setLevel(logging.WARNING)
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(getattr(logging, str(level).upper(), logging.INFO))
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return logger


def get_logger(name: str | None = None) -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)
