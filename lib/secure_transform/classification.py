"""Column classification: a column whose values are mostly one kind of personal data is that kind.

Glue's Detect PII and Macie classify a column from a sample; this looks at every row. For each
column of an object and each type the discovery results report in the object, one aggregation
counts the non-empty cells and the cells that hold a *validated* value of the type (the type's
recogniser, no keyword needed: :func:`detection.type_spans`, covering at least 60% of the value,
so free text that mentions a card number is not a card value). When the share reaches the
threshold (``column_threshold`` in ``--masking_policy``, default 0.5 of the non-empty cells),
the masking plan treats every value of the column as that type, so a value the detector missed
-- a format it does not know, a typo -- is masked anyway. The summary lists each classified
column with its share (counts only, never values).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from . import detection as det

__all__ = ["DEFAULT_THRESHOLD", "classify_columns", "column_type_shares"]

DEFAULT_THRESHOLD = 0.5
COVERAGE = 0.6  # share of a value's characters its validated spans must cover for the value to count


def _alias(i: int, j: int | None = None) -> str:
    return f"_n{i}" if j is None else f"_t{i}_{j}"


def column_type_shares(df: Any, columns: Sequence[str], types: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{column: {"non_empty": n, "types": {type: cells with a valid value of it}}}`` in one aggregation.

    Types without a recogniser are not counted (their columns are never classified).
    """
    from pyspark.sql import functions as F

    types = [t for t in types if det.recognizer_for_type(t) is not None]
    exprs = []
    for i, column in enumerate(columns):
        value = F.trim(F.col("`" + column.replace("`", "``") + "`").cast("string"))
        present = value.isNotNull() & (F.length(value) > 0)
        exprs.append(F.sum(present.cast("long")).alias(_alias(i)))
        for j, t in enumerate(types):
            # the value *is* of the type: its validated spans cover most of it (free text that
            # mentions a card number is not a card value)
            covered = F.aggregate(det.type_spans(value, t), F.lit(0), lambda acc, m: acc + F.length(m))
            hit = present & (covered >= F.length(value) * COVERAGE)
            exprs.append(F.sum(hit.cast("long")).alias(_alias(i, j)))
    if not exprs:
        return {}
    row = df.agg(*exprs).first()  # one aggregate row: counts per column and type
    return {column: {"non_empty": int(row[_alias(i)] or 0),
                     "types": {t: int(row[_alias(i, j)] or 0) for j, t in enumerate(types)}}
            for i, column in enumerate(columns)}


def classify_columns(shares: Mapping[str, Mapping[str, Any]], threshold: float | None = DEFAULT_THRESHOLD
                     ) -> dict[str, dict]:
    """Columns whose share of one type reaches ``threshold``: ``{column: {"type", "share", "cells"}}``.

    The type with the largest share wins; ties go to the first type in name order. ``None``:
    classification is off.
    """
    out: dict[str, dict] = {}
    if threshold is None:
        return out
    for column, entry in shares.items():
        n = entry["non_empty"]
        if not n:
            continue
        best = max(sorted(entry["types"].items()), key=lambda kv: kv[1], default=None)
        if best is not None and best[1] / n >= threshold:
            out[column] = {"type": best[0], "share": round(best[1] / n, 4), "cells": n}
    return out
