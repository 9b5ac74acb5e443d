"""DataFrame-level detection: every cell of a DataFrame (any atomic type read as text, structs and
arrays as JSON) through the recogniser expressions, counted per record, column and type."""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import ConfigError
from .expressions import explode_matches
from .registry import CUSTOM_TYPES, MANAGED_TYPES, RECOGNIZERS, DetectConfig, context_flags, type_category
from .validators import sql_functions as _F

__all__ = ["NUMBER_MIN_MAGNITUDE", "as_text", "category_expr", "detect_pii", "quoted", "scannable"]

_ATOMIC = ("string", "boolean", "tinyint", "smallint", "int", "bigint", "float", "double", "date", "timestamp",
           "timestamp_ntz")


def quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


# Types that can never hold a recognised value, and the smallest magnitude a number needs to hold
# one: every recogniser that matches a string of digits alone needs at least 9 of them (SSN,
# routing and bank account numbers; cards 13, bare phone numbers 10). Dates and timestamps read as
# "1984-03-12[ 10:00:00]" and can only be a date of birth (checked over every date 1900-2100 and 2
# million timestamps with every keyword bit set), which needs a keyword in the column/path name.
_NEVER_SCANNED = ("binary", "boolean", "void")
_DATE_TYPES = ("date", "timestamp", "timestamp_ntz")
NUMBER_MIN_MAGNITUDE = 100_000_000
_DOB_BIT = 1 << [r.label for r in RECOGNIZERS].index("DATE_OF_BIRTH")


def scannable(dtype: Any, flags: int) -> bool:
    """Can a value of this Spark type, in a column/path with these context ``flags``, hold PII?"""
    name = dtype.simpleString()
    if name in _NEVER_SCANNED:
        return False
    if name in _DATE_TYPES:
        return bool(flags & _DOB_BIT)
    return True


def as_text(col: Any, dtype: Any) -> Any:
    """The text the recognisers see for a value of ``dtype`` (null when it cannot hold PII).

    Numbers: only the integral part, and only when it has at least 9 digits
    (``NUMBER_MIN_MAGNITUDE``) -- smaller numbers skip the recognisers as null cells.
    """
    F = _F()
    name = dtype.simpleString()
    if name == "string":
        return col
    if name in _NEVER_SCANNED:
        return F.lit(None).cast("string")
    if name in ("float", "double"):
        # Only the integral part can hold an identifier; fractional digits of a score such as
        # 0.4423456789012345 are not a card number (and pass Luhn one time in ten).
        whole = F.floor(col)
        return F.when(F.isnan(col) | (F.abs(col) == float("inf")), F.lit(None)).when(
            (whole >= NUMBER_MIN_MAGNITUDE) | (whole <= -NUMBER_MIN_MAGNITUDE),
            whole.cast("decimal(38,0)").cast("string"))
    if name in ("tinyint", "smallint"):
        return F.lit(None).cast("string")  # at most 5 digits
    if name in ("int", "bigint") or (name.startswith("decimal") and name.endswith(",0)")):
        return F.when((col >= NUMBER_MIN_MAGNITUDE) | (col <= -NUMBER_MIN_MAGNITUDE), col.cast("string"))
    if name in _ATOMIC or name.startswith("decimal"):
        return col.cast("string")
    return F.to_json(col)


def detect_pii(df: Any, *, record_index: str | None = None, config: DetectConfig | None = None,
               columns: Sequence[str] | None = None) -> Any:
    """Per-cell detections of a DataFrame: one row per (record, column, type) with a count > 0.

    Output columns: ``record_index`` (the given column, else null), ``column_number`` (1-based
    position in ``df``), ``column_name``, ``type``, ``category`` and ``count``. Atomic columns are
    read as text (a card number stored as a long is still found), structs/arrays as JSON. The
    columns are stacked into (column, flags, value) cells so one recogniser expression serves them
    all; values never leave the executors.
    """
    F = _F()
    config = config or DetectConfig()
    wanted = set(columns) if columns is not None else None
    cells = []
    for number, f in enumerate(df.schema.fields, start=1):
        if f.name == record_index or (wanted is not None and f.name not in wanted):
            continue
        flags = context_flags(f.name, format_preserving=f.name in config.format_preserving_columns)
        if not scannable(f.dataType, flags):
            continue  # booleans, binary, dates/timestamps outside a birth-date column
        cells.append(F.struct(F.lit(number).alias("column_number"), F.lit(f.name).alias("column_name"),
                              F.lit(flags).cast("long").alias("flags"),
                              as_text(F.col(quoted(f.name)), f.dataType).alias("value")))
    if not any(f.name != record_index and (wanted is None or f.name in wanted) for f in df.schema.fields):
        raise ConfigError("--columns", "no column to scan")
    if not cells:  # nothing that can hold PII: an empty result of the same shape
        cells.append(F.struct(F.lit(0).alias("column_number"), F.lit(None).cast("string").alias("column_name"),
                              F.lit(0).cast("long").alias("flags"), F.lit(None).cast("string").alias("value")))
    idx = F.col(quoted(record_index)).cast("long") if record_index else F.lit(None).cast("long")
    # Expressions are computed in projections and only column references are exploded (see
    # explode_matches); the array of cells is never empty, so explode_outer gives the same rows.
    stacked = (df.select(idx.alias("record_index"), F.array(*cells).alias("_cells"))
               .select("record_index", F.explode_outer("_cells").alias("c"))
               .select("record_index", "c.column_number", "c.column_name", "c.flags", "c.value")
               .where(F.col("value").isNotNull()))
    per_match = explode_matches(stacked, config).select("record_index", "column_number", "column_name", "m")
    counted = per_match.groupBy("record_index", "column_number", "column_name", F.col("m.type").alias("type")).agg(
        F.count(F.lit(1)).cast("int").alias("count"))
    return counted.select("record_index", "column_number", "column_name", "type",
                          category_expr(F.col("type")).alias("category"), "count")


def category_expr(type_col: Any) -> Any:
    F = _F()
    known = sorted(MANAGED_TYPES | CUSTOM_TYPES)
    mapping = F.create_map(*[x for t in known for x in (F.lit(t), F.lit(type_category(t)))])
    return F.coalesce(F.element_at(mapping, type_col), F.lit("CUSTOM_IDENTIFIER"))


