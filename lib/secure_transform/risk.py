"""Re-identification risk of published data: k-anonymity and l-diversity (``--risk_config``).

Tokenizing direct identifiers is not enough: a row can still be singled out by its
*quasi-identifiers* (amount bin + merchant category + transaction hour + postcode area ...).
Rows that agree on every quasi-identifier form an *equivalence class*:

* **k** is the size of the smallest class; a class smaller than ``min_k`` lets an attacker who
  knows those attributes narrow a person down to fewer than ``min_k`` rows;
* **l** is the smallest number of distinct values of the ``sensitive_column`` within a class;
  a class with fewer than ``min_l`` distinct sensitive values discloses that value to anyone
  who can place a person in the class.

Null handling (one rule everywhere): **a null is a value of its own**. Rows with a null
quasi-identifier form their own class (Spark's ``groupBy`` and window partitioning both group
nulls together), and a null sensitive value counts as one distinct value for l (``countDistinct``
plus one when the class has a null; ``dense_rank`` ranks nulls as one value too). NaN is one
value as well (Spark normalises NaN and -0.0 in grouping keys).

Actions when a threshold fails (``action``):

* ``report``   -- the figures are recorded; the run goes on;
* ``suppress`` -- rows of classes below ``min_k`` go to quarantine with reason ``k_anonymity``
  (below ``min_l`` only: ``l_diversity``); they are counted in row accounting, and the
  published rows satisfy k >= min_k and l >= min_l by construction;
* ``block``    -- the whole run is quarantined like a leak (``publish.quarantine_run``), an
  alert is sent and the job fails.

Everything is Spark-native: the class sizes are one ``groupBy`` over the quasi-identifiers
(one aggregation), summarised into a fixed, bounded histogram (at most ``len(HISTOGRAM_BOUNDS)``
rows reach the driver); suppression uses window counts over the same partitioning, so no class
key ever reaches the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .errors import ConfigError, SchemaError, SecureTransformError
from .jsonargs import parse_json_arg

__all__ = [
    "ACTIONS", "DERIVABLE_COLUMNS", "HISTOGRAM_BOUNDS", "K_ANONYMITY", "L_DIVERSITY", "RiskConfig",
    "RiskConfigError", "ReidentificationRiskError", "assess_risk", "check_risk_columns", "equivalence_classes",
    "parse_risk_config", "split_by_risk", "with_quasi_identifier_features",
]

PARAM = "--risk_config"
ACTIONS = ("report", "suppress", "block")
K_ANONYMITY = "k_anonymity"
L_DIVERSITY = "l_diversity"
#: Coarse quasi-identifiers main_etl can derive before tokenization (opt-in, ``derived_columns``):
#: ``transaction_hour`` (0-23, UTC) from ``transaction_ts``; ``postcode_area`` (the first three
#: digits of a trailing 5-digit ZIP code, as in HIPAA's safe-harbour generalisation) from ``address``.
DERIVABLE_COLUMNS = {"transaction_hour": "transaction_ts", "postcode_area": "address"}
#: Lower bounds of the class-size histogram buckets: [1], [2], [3], [4], [5, 9], [10, 19], ...
HISTOGRAM_BOUNDS = (1, 2, 3, 4, 5, 10, 20, 50, 100, 1000, 10000, 100000)
MAX_QUASI_IDENTIFIERS = 16
MAX_MIN_K = 1_000_000
MAX_MIN_L = 1_000
_KEYS = ("quasi_identifiers", "sensitive_column", "min_k", "min_l", "action", "derived_columns")
_SIZE = "__risk_class_size"
_L = "__risk_class_l"
_RANK = "__risk_sensitive_rank"
REASON_COLUMN = "reject_reason"


class RiskConfigError(ConfigError):
    """``--risk_config`` is invalid (the message names the key and the valid values)."""

    def __init__(self, problem: str) -> None:
        super().__init__(PARAM, problem)


class ReidentificationRiskError(SecureTransformError):
    """The risk gate (``action: block``) refused to publish a run."""

    exit_code = 5


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _column_name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        raise RiskConfigError(f"{key} must hold column names of 1-128 characters")
    return value


@dataclass(frozen=True)
class RiskConfig:
    """Quasi-identifiers, thresholds and the action taken when a threshold fails."""

    quasi_identifiers: tuple[str, ...]
    min_k: int = 5
    sensitive_column: str | None = None
    min_l: int = 1
    action: str = "report"
    derived_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        qis = self.quasi_identifiers
        if not isinstance(qis, tuple) or not 1 <= len(qis) <= MAX_QUASI_IDENTIFIERS:
            raise RiskConfigError(f"quasi_identifiers must list 1-{MAX_QUASI_IDENTIFIERS} columns")
        for name in qis:
            _column_name(name, "quasi_identifiers")
        if len(set(qis)) != len(qis):
            raise RiskConfigError("quasi_identifiers must not repeat a column")
        if not _is_int(self.min_k) or not 2 <= self.min_k <= MAX_MIN_K:
            raise RiskConfigError(f"min_k must be a whole number in [2, {MAX_MIN_K}], got {self.min_k!r}")
        if not _is_int(self.min_l) or not 1 <= self.min_l <= MAX_MIN_L:
            raise RiskConfigError(f"min_l must be a whole number in [1, {MAX_MIN_L}], got {self.min_l!r}")
        if self.sensitive_column is not None:
            _column_name(self.sensitive_column, "sensitive_column")
            if self.sensitive_column in qis:
                raise RiskConfigError("sensitive_column must not also be a quasi-identifier")
        elif self.min_l > 1:
            raise RiskConfigError("min_l > 1 needs a sensitive_column (l-diversity is measured on it)")
        if self.min_l > self.min_k:
            raise RiskConfigError(f"min_l ({self.min_l}) cannot exceed min_k ({self.min_k}): a class of k rows "
                                  "holds at most k distinct values")
        if self.action not in ACTIONS:
            raise RiskConfigError(f"action must be one of {', '.join(ACTIONS)}, got {self.action!r}")
        if not isinstance(self.derived_columns, tuple) or any(c not in DERIVABLE_COLUMNS for c in self.derived_columns):
            raise RiskConfigError(f"derived_columns may only name {', '.join(DERIVABLE_COLUMNS)}")
        if len(set(self.derived_columns)) != len(self.derived_columns):
            raise RiskConfigError("derived_columns must not repeat a column")

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the assessment reads."""
        return self.quasi_identifiers + ((self.sensitive_column,) if self.sensitive_column else ())

    def as_dict(self) -> dict[str, Any]:
        return {"quasi_identifiers": list(self.quasi_identifiers), "sensitive_column": self.sensitive_column,
                "min_k": self.min_k, "min_l": self.min_l, "action": self.action,
                "derived_columns": list(self.derived_columns)}


def parse_risk_config(value: Any) -> RiskConfig | None:
    """``--risk_config`` (JSON text, ``@path`` or a mapping) -> :class:`RiskConfig`; None, "" and
    JSON ``null`` -> None (no risk gate)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    data = parse_json_arg(value, PARAM)
    if data is None:  # JSON null: what Terraform passes when risk_config is unset
        return None
    if not isinstance(data, Mapping):
        raise RiskConfigError("must be a JSON object")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise RiskConfigError(f"unknown key {unknown[0]!r}; valid keys: {', '.join(_KEYS)}")
    if "quasi_identifiers" not in data:
        raise RiskConfigError("quasi_identifiers is required")
    qis = data["quasi_identifiers"]
    derived = data.get("derived_columns", [])
    if not isinstance(qis, list):
        raise RiskConfigError("quasi_identifiers must be a list of column names")
    if not isinstance(derived, list):
        raise RiskConfigError("derived_columns must be a list of column names")
    return RiskConfig(quasi_identifiers=tuple(qis), min_k=data.get("min_k", 5),
                      sensitive_column=data.get("sensitive_column"), min_l=data.get("min_l", 1),
                      action=data.get("action", "report"), derived_columns=tuple(derived))


def _col(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def check_risk_columns(schema_or_columns: Any, config: RiskConfig, source: str) -> None:
    """Every quasi-identifier and the sensitive column must exist (and be groupable) in the data.

    Takes a Spark schema (types checked: a map column cannot be grouped) or a list of names.
    Raises ``SchemaError`` naming the column, never a value.
    """
    fields = getattr(schema_or_columns, "fields", None)
    types = {f.name: f.dataType.simpleString() for f in fields} if fields is not None else \
        {c: None for c in schema_or_columns}
    for name in config.columns:
        role = "sensitive_column" if name == config.sensitive_column else "quasi-identifier"
        if name not in types:
            raise SchemaError(source, name, f"is a {role} of {PARAM} but not a column of the data "
                                            f"(columns: {', '.join(sorted(types)) or 'none'})")
        if types[name] is not None and types[name].startswith("map<"):
            raise SchemaError(source, name, f"is a map column; a {role} must be an atomic, array or struct column")


def with_quasi_identifier_features(df: Any, config: RiskConfig | None) -> Any:
    """Add the coarse quasi-identifiers named in ``derived_columns`` (one ``select``).

    Runs before tokenization (``postcode_area`` is derived from the address, which tokenization
    removes). A column already present is kept as it is; a missing source column is a
    ``SchemaError`` (fail closed: a configured generalisation that cannot be made is an error).
    """
    from pyspark.sql import functions as F

    if config is None or not config.derived_columns:
        return df
    added = []
    for name in config.derived_columns:
        if name in df.columns:
            continue
        source = DERIVABLE_COLUMNS[name]
        if source not in df.columns:
            raise SchemaError("input", source, f"is needed to derive {name!r} ({PARAM} derived_columns)")
        if name == "transaction_hour":
            added.append(F.hour(_col(source).cast("timestamp")).alias(name))
        else:
            zip5 = F.regexp_extract(_col(source).cast("string"), r"(?<![0-9])([0-9]{5})(?:-[0-9]{4})?\s*$", 1)
            added.append(F.when(F.length(zip5) == 5, F.substring(zip5, 1, 3)).alias(name))
    return df.select("*", *added) if added else df


def equivalence_classes(df: Any, config: RiskConfig) -> Any:
    """One row per equivalence class: the quasi-identifiers, ``class_size`` and (with a
    sensitive column) ``class_l``. One ``groupBy`` aggregation; nulls group together."""
    from pyspark.sql import functions as F

    check_risk_columns(df.schema, config, "risk input")
    aggs = [F.count(F.lit(1)).alias("class_size")]
    if config.sensitive_column:
        s = _col(config.sensitive_column)
        aggs.append((F.countDistinct(s) + F.max(F.when(s.isNull(), 1).otherwise(0))).cast("long").alias("class_l"))
    return df.groupBy(*[_col(c) for c in config.quasi_identifiers]).agg(*aggs)


def _bucket(size: Any) -> Any:
    from pyspark.sql import functions as F

    expr = F.lit(HISTOGRAM_BOUNDS[0])
    for bound in HISTOGRAM_BOUNDS[1:]:
        expr = F.when(size >= bound, F.lit(bound)).otherwise(expr)
    return expr


def _bucket_label(lower: int) -> str:
    i = HISTOGRAM_BOUNDS.index(lower)
    if i + 1 == len(HISTOGRAM_BOUNDS):
        return f"{lower}+"
    upper = HISTOGRAM_BOUNDS[i + 1] - 1
    return str(lower) if upper == lower else f"{lower}-{upper}"


def assess_risk(df: Any, config: RiskConfig) -> dict[str, Any]:
    """k, l, the share of rows in classes below ``min_k`` and the class-size histogram.

    One ``groupBy`` over the quasi-identifiers, then one aggregation of the classes by histogram
    bucket; only the bucket rows (at most ``len(HISTOGRAM_BOUNDS)``) reach the driver.
    """
    from pyspark.sql import functions as F

    classes = equivalence_classes(df, config)
    size = F.col("class_size")
    has_l = config.sensitive_column is not None
    below_k = size < config.min_k
    below_l = (F.col("class_l") < config.min_l) if has_l else F.lit(False)
    failing = below_k | below_l
    aggs = [F.count(F.lit(1)).alias("classes"), F.sum(size).alias("rows"), F.min(size).alias("min_size"),
            F.max(size).alias("max_size"),
            F.sum(F.when(below_k, 1).otherwise(0)).alias("classes_below_k"),
            F.sum(F.when(below_k, size).otherwise(0)).alias("rows_below_k"),
            F.sum(F.when(below_l, 1).otherwise(0)).alias("classes_below_l"),
            F.sum(F.when(below_l, size).otherwise(0)).alias("rows_below_l"),
            F.sum(F.when(failing, 1).otherwise(0)).alias("classes_failing"),
            F.sum(F.when(failing, size).otherwise(0)).alias("rows_failing")]
    if has_l:
        aggs.append(F.min("class_l").alias("min_l"))
    buckets = classes.groupBy(_bucket(size).alias("bucket")).agg(*aggs).collect()  # bounded: one row per histogram bucket (<= 12)
    return risk_figures(config, [b.asDict() for b in buckets])


def risk_figures(config: RiskConfig, buckets: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The figures from per-bucket aggregates (pure Python; what ``assess_risk`` returns)."""
    by_bucket = {int(b["bucket"]): b for b in buckets}

    def total(key: str) -> int:
        return int(sum(int(b[key] or 0) for b in buckets))

    rows, classes = total("rows"), total("classes")
    histogram = []
    for lower in HISTOGRAM_BOUNDS:
        b = by_bucket.get(lower)
        histogram.append({"class_size": _bucket_label(lower), "min_size": lower,
                          "classes": int(b["classes"]) if b else 0, "rows": int(b["rows"]) if b else 0})
    k = min((int(b["min_size"]) for b in buckets), default=None)
    ls = [int(b["min_l"]) for b in buckets if b.get("min_l") is not None]
    l_value = min(ls, default=None) if config.sensitive_column else None
    rows_below_k, rows_failing = total("rows_below_k"), total("rows_failing")
    passed = rows_failing == 0
    return {
        **config.as_dict(),
        "rows": rows,
        "equivalence_classes": classes,
        "k": k,
        "max_class_size": max((int(b["max_size"]) for b in buckets), default=None),
        "mean_class_size": round(rows / classes, 3) if classes else None,
        "classes_below_min_k": total("classes_below_k"),
        "rows_below_min_k": rows_below_k,
        "share_rows_below_min_k": round(rows_below_k / rows, 6) if rows else 0.0,
        "l": l_value,
        "classes_below_min_l": total("classes_below_l") if config.sensitive_column else None,
        "rows_below_min_l": total("rows_below_l") if config.sensitive_column else None,
        "rows_failing": rows_failing,
        "share_rows_failing": round(rows_failing / rows, 6) if rows else 0.0,
        "class_size_histogram": histogram,
        "passed": passed,
        "null_semantics": "a null is a value of its own (own class; one distinct sensitive value)",
    }


def with_risk_reason(df: Any, config: RiskConfig) -> Any:
    """Add ``reject_reason``: ``k_anonymity`` for rows of classes below ``min_k``, else
    ``l_diversity`` below ``min_l``, else null. Window counts over the quasi-identifiers (one
    shuffle), so no class key reaches the driver; l is ``max(dense_rank(sensitive))`` per class,
    which ranks a null as one value, as :func:`equivalence_classes` counts it."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    check_risk_columns(df.schema, config, "risk input")
    keys = [_col(c) for c in config.quasi_identifiers]
    whole = Window.partitionBy(*keys)
    sized = df.select("*", F.count(F.lit(1)).over(whole).alias(_SIZE))
    reason = F.when(F.col(_SIZE) < config.min_k, F.lit(K_ANONYMITY))
    if config.sensitive_column and config.min_l > 1:
        ranked = sized.select("*", F.dense_rank().over(
            Window.partitionBy(*keys).orderBy(_col(config.sensitive_column))).alias(_RANK))
        sized = ranked.select("*", F.max(_RANK).over(whole).alias(_L)).drop(_RANK)
        reason = reason.when(F.col(_L) < config.min_l, F.lit(L_DIVERSITY))
    return sized.select(*[_col(c) for c in df.columns], reason.alias(REASON_COLUMN))


def split_by_risk(df: Any, config: RiskConfig) -> tuple[Any, Any]:
    """(kept rows, suppressed rows with ``reject_reason``) from a frame made by
    :func:`with_risk_reason`. Persist that frame first when both halves are written."""
    from pyspark.sql import functions as F

    reason = F.col(REASON_COLUMN)
    return df.filter(reason.isNull()).drop(REASON_COLUMN), df.filter(reason.isNotNull())


def format_risk(figures: Mapping[str, Any]) -> list[str]:
    """Lines for a terminal: the headline figures and the histogram."""
    qis = ", ".join(figures.get("quasi_identifiers") or [])
    lines = [f"re-identification risk over {figures.get('rows', 0):,} rows; quasi-identifiers: {qis}",
             f"  equivalence classes   {figures.get('equivalence_classes', 0):,}",
             f"  k (smallest class)    {figures.get('k')}   (min_k {figures.get('min_k')})",
             f"  rows below min_k      {figures.get('rows_below_min_k', 0):,} "
             f"({100 * float(figures.get('share_rows_below_min_k') or 0):.2f}%) in "
             f"{figures.get('classes_below_min_k', 0):,} classes"]
    if figures.get("sensitive_column"):
        lines.append(f"  l ({figures['sensitive_column']})  {figures.get('l')}   (min_l {figures.get('min_l')}; "
                     f"{figures.get('rows_below_min_l', 0):,} rows below)")
    lines.append(f"  action {figures.get('action')}: {'passed' if figures.get('passed') else 'FAILED'}")
    width = max((h["rows"] for h in figures.get("class_size_histogram", [])), default=0)
    for h in figures.get("class_size_histogram", []):
        if h["classes"]:
            bar = "#" * max(1, round(40 * h["rows"] / width)) if width else ""
            lines.append(f"  size {h['class_size']:>11}  {h['classes']:>9,} classes  {h['rows']:>11,} rows  {bar}")
    return lines

