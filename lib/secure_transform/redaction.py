"""Free-text redaction figures: how many typed placeholders main_etl wrote, per column and type.

``redact`` with ``"scope": "spans"`` (tokenization.py) keeps a free-text column and replaces every
detected span with its placeholder (``[CREDIT_CARD_NUMBER]``, ``[PERSON]``, ...). The counts come
from the same one-row aggregation of the written output as the job's other metrics
(:func:`placeholder_metrics`), and go to ``run_summary.json`` under ``placeholders_by_column``
and ``placeholders_by_type`` (:func:`placeholder_counts`). Counts only, never values.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from .detection import PLACEHOLDERS

__all__ = ["placeholder_counts", "placeholder_metrics", "redacted_span_columns"]


def redacted_span_columns(pii: Any) -> tuple[str, ...]:
    """Columns of a ``PiiConfig`` redacted span by span (``redact`` with scope ``spans``)."""
    return tuple(c.name for c in pii.columns if c.method == "redact" and getattr(c, "scope", "value") == "spans")


def _alias(column: str, label: str) -> str:
    return f"_ph_{re.sub(r'[^A-Za-z0-9]', '_', column)}_{label}"


def placeholder_metrics(columns: Sequence[str]) -> list[Any]:
    """Aggregate expressions: the number of each placeholder in each column (one scan, no values)."""
    from pyspark.sql import functions as F

    out = []
    for column in columns:
        col = F.col("`" + column.replace("`", "``") + "`")
        for label, placeholder in sorted(PLACEHOLDERS.items()):
            found = F.when(col.isNotNull(), F.size(F.regexp_extract_all(col, F.lit(re.escape(placeholder)), 0)))
            out.append(F.sum(F.coalesce(found, F.lit(0))).alias(_alias(column, label)))
    return out


def placeholder_counts(row: Mapping[str, Any] | Any, columns: Sequence[str]) -> dict[str, dict[str, int]]:
    """``{"by_column": {column: {type: n}}, "by_type": {type: n}}`` from the aggregate row (n > 0 only)."""
    by_column: dict[str, dict[str, int]] = {}
    by_type: dict[str, int] = {}
    for column in columns:
        for label in sorted(PLACEHOLDERS):
            n = int(row[_alias(column, label)] or 0)
            if n:
                by_column.setdefault(column, {})[label] = n
                by_type[label] = by_type.get(label, 0) + n
    return {"by_column": by_column, "by_type": dict(sorted(by_type.items()))}
