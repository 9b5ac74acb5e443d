"""Hierarchical merchant-category encoding of ISO 18245 merchant category codes (MCC).

A mapping (JSON or CSV, local path or S3; the project ships a default) assigns each MCC or MCC
range a category, a parent and a risk level. Categories roll up through their parents to a root;
the transform adds the category, its parent, the root-down path, the risk level and a numeric
risk score, and flags unknown or malformed codes, which take the mapping's ``unknown`` entry.

The mapping is loaded and validated once (cycles, dangling parents, overlapping or malformed
ranges, unknown risk levels and a missing ``unknown`` entry are :class:`ConfigError`\\ s on
``--merchant_mapping``), expanded to at most 10,000 code rows and applied as a broadcast hash
join on the normalised integer code: no shuffle, no UDF. See docs/BUSINESS_LOGIC.md for the
rules and docs/MERCHANT_CATEGORIES.md for the shipped mapping.
"""

from __future__ import annotations

import csv
import hashlib
import io as _stdio
import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable, Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from . import io as st_io
from .errors import ConfigError, SchemaError
from .jsonargs import DuplicateKeyError, no_duplicate_keys

__all__ = [
    "CategoryRule",
    "DEFAULT_RISK_SCORES",
    "DEFAULT_ROOT",
    "MerchantCategory",
    "MerchantMapping",
    "OUTPUT_COLUMNS",
    "default_mapping_path",
    "load_merchant_mapping",
    "merchant_mapping_version",
    "merchant_metrics",
    "normalize_mcc",
    "parse_merchant_mapping",
    "with_merchant_category",
]

PARAM = "--merchant_mapping"
DEFAULT_ROOT = "all"
UNKNOWN_KEY = "unknown"
PATH_SEPARATOR = "/"
#: Risk level -> model score, used unless a structured mapping gives its own ``risk_scores``.
DEFAULT_RISK_SCORES: dict[str, float] = {"low": 0.1, "medium": 0.5, "high": 0.9}
OUTPUT_COLUMNS = (
    "merchant_category",
    "merchant_parent",
    "merchant_category_path",
    "merchant_risk_level",
    "merchant_risk",
    "is_unknown_mcc",
)
_DEFAULT_RESOURCE = ("data", "mcc_mapping.json")
_KEY = re.compile(r"^\s*([0-9]{4})\s*(?:-\s*([0-9]{4})\s*)?$")
# A string MCC: exactly four digits after trimming, optionally followed by ".0" (a code that
# went through a float, e.g. CSV schema inference or pandas: "5411.0").
_MCC_STRING = r"^[0-9]{4}([.]0+)?$"
_ENTRY_KEYS = ("category", "parent", "risk_level", "description")
_STRUCTURED_KEYS = ("codes", "hierarchy", "root", "risk_scores", "description", "version")
_CSV_COLUMNS = ("mcc", "category", "parent", "risk_level")
_KEY_COL = "__st_mcc_key"
_LOOKUP_COLS = ("__st_mcc_code", "__st_mcc_category", "__st_mcc_parent", "__st_mcc_path", "__st_mcc_level", "__st_mcc_risk")


def _fail(source: str, problem: str) -> ConfigError:
    return ConfigError(PARAM, f"{source}: {problem}")


@dataclass(frozen=True)
class CategoryRule:
    """One mapping entry: an MCC (``start == end``), an MCC range, or the ``unknown`` entry."""

    key: str
    category: str
    parent: str
    risk_level: str
    start: int | None = None
    end: int | None = None
    description: str = ""

    @property
    def is_unknown(self) -> bool:
        return self.start is None

    @property
    def width(self) -> int:
        return 0 if self.start is None or self.end is None else self.end - self.start + 1


@dataclass(frozen=True)
class MerchantCategory:
    """What the transform adds for one code (the Python reference of one output row)."""

    category: str
    parent: str
    path: str
    risk_level: str
    risk: float
    is_unknown: bool


def _name(value: Any, what: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, f"{what} must be a non-empty string")
    text = value.strip()
    if PATH_SEPARATOR in text:
        raise _fail(source, f"{what} {text!r} must not contain {PATH_SEPARATOR!r} (the path separator)")
    return text


def _parse_key(key: Any, source: str) -> tuple[int | None, int | None, str]:
    if isinstance(key, str) and key.strip().lower() == UNKNOWN_KEY:
        return None, None, UNKNOWN_KEY
    match = _KEY.match(key) if isinstance(key, str) else None
    if not match:
        raise _fail(source, f"key {key!r} is not a 4-digit MCC, a range 'NNNN-NNNN' or {UNKNOWN_KEY!r}")
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else start
    if end < start:
        raise _fail(source, f"range {key.strip()!r} ends before it starts")
    canonical = f"{start:04d}" if start == end else f"{start:04d}-{end:04d}"
    return start, end, canonical


@dataclass(frozen=True)
class MerchantMapping:
    """A validated MCC mapping. Construct with :func:`load_merchant_mapping` or :func:`parse_merchant_mapping`.

    ``hierarchy`` holds declared ``(node, parent)`` pairs; when ``strict_hierarchy`` is set (a
    structured JSON file with a ``hierarchy`` object, or a CSV with hierarchy rows) every parent
    must be declared or be the root, else it is a dangling parent. Without it, a parent that is
    not itself a category becomes a top-level group under the root.
    """

    rules: tuple[CategoryRule, ...]
    unknown: CategoryRule | None
    root: str = DEFAULT_ROOT
    hierarchy: tuple[tuple[str, str], ...] = ()
    strict_hierarchy: bool = False
    risk_scores: tuple[tuple[str, float], ...] = tuple(DEFAULT_RISK_SCORES.items())
    source: str = "mapping"
    _parents: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _codes: dict[int, CategoryRule] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        src = self.source
        if self.unknown is None or not self.unknown.is_unknown:
            raise _fail(src, f"has no {UNKNOWN_KEY!r} entry (the category for unknown and malformed codes)")
        root = _name(self.root, "root", src)
        object.__setattr__(self, "root", root)
        scores = dict(self.risk_scores)
        if not scores:
            raise _fail(src, "risk_scores must name at least one risk level")
        for level, score in scores.items():
            if not isinstance(level, str) or not level.strip():
                raise _fail(src, "risk levels must be non-empty strings")
            if not isinstance(score, (int, float)) or isinstance(score, bool) or not 0.0 <= score <= 1.0:
                raise _fail(src, f"risk score of level {level!r} must be a number in [0, 1]")
        object.__setattr__(self, "risk_scores", tuple(sorted((k, float(v)) for k, v in scores.items())))
        for rule in (*self.rules, self.unknown):
            if rule.risk_level not in scores:
                raise _fail(
                    src, f"entry {rule.key!r}: risk_level {rule.risk_level!r} is not one of {', '.join(sorted(scores))}"
                )
            if rule.category == root:
                raise _fail(src, f"entry {rule.key!r}: category must not be the root {root!r}")
        object.__setattr__(self, "rules", tuple(sorted(self.rules, key=lambda r: (r.start, -(r.end or 0)))))
        self._check_ranges()
        object.__setattr__(self, "_parents", self._build_parents())
        codes: dict[int, CategoryRule] = {}
        for rule in sorted(self.rules, key=lambda r: -r.width):  # narrower rules overwrite wider ones
            for code in range(rule.start, rule.end + 1):  # type: ignore[arg-type]
                codes[code] = rule
        object.__setattr__(self, "_codes", codes)

    # -- validation ------------------------------------------------------------------------------
    def _check_ranges(self) -> None:
        stack: list[CategoryRule] = []
        for rule in self.rules:  # sorted by start, then widest first
            while stack and stack[-1].end < rule.start:  # type: ignore[operator]
                stack.pop()
            if stack:
                outer = stack[-1]
                if (outer.start, outer.end) == (rule.start, rule.end):
                    raise _fail(self.source, f"code or range {rule.key!r} is given twice")
                if outer.end < rule.end:  # type: ignore[operator]
                    raise _fail(
                        self.source,
                        f"ranges {outer.key!r} and {rule.key!r} overlap without one containing the other",
                    )
            stack.append(rule)

    def _build_parents(self) -> dict[str, str]:
        src, root = self.source, self.root
        parents: dict[str, str] = {}

        def link(node: str, parent: str, where: str) -> None:
            if node == root:
                raise _fail(src, f"{where}: the root {root!r} cannot have a parent")
            known = parents.get(node)
            if known is not None and known != parent:
                raise _fail(src, f"{where}: category {node!r} is given two parents, {known!r} and {parent!r}")
            parents[node] = parent

        for node, parent in self.hierarchy:
            link(node, parent, f"hierarchy entry {node!r}")
        for rule in (*self.rules, self.unknown):
            link(rule.category, rule.parent, f"entry {rule.key!r}")  # type: ignore[union-attr]
        for parent in sorted(set(parents.values())):
            if parent != root and parent not in parents:
                if self.strict_hierarchy:
                    raise _fail(src, f"dangling parent {parent!r}: not declared in the hierarchy, not a category, not the root {root!r}")
                parents[parent] = root  # flat form: a bare parent is a top-level group
        for start in sorted(parents):
            seen = [start]
            node = parents[start]
            while node != root:
                if node in seen:
                    cycle = seen[seen.index(node):] + [node]
                    raise _fail(src, f"parent cycle {' -> '.join(cycle)}")
                seen.append(node)
                node = parents[node]
        return parents

    # -- queries ---------------------------------------------------------------------------------
    @property
    def scores(self) -> dict[str, float]:
        return dict(self.risk_scores)

    @property
    def parents(self) -> dict[str, str]:
        """Every node of the hierarchy (except the root) -> its parent."""
        return dict(self._parents)

    def path(self, node: str) -> tuple[str, ...]:
        """Nodes from the top-level group down to ``node`` (the root is not part of the path)."""
        out = []
        while node != self.root:
            out.append(node)
            node = self._parents[node]
        return tuple(reversed(out))

    def rule_for(self, code: int | None) -> CategoryRule | None:
        return None if code is None else self._codes.get(code)

    def describe(self, rule: CategoryRule, is_unknown: bool = False) -> MerchantCategory:
        return MerchantCategory(
            category=rule.category,
            parent=rule.parent,
            path=PATH_SEPARATOR.join(self.path(rule.category)),
            risk_level=rule.risk_level,
            risk=self.scores[rule.risk_level],
            is_unknown=is_unknown,
        )

    def resolve(self, mcc: Any) -> MerchantCategory:
        """Python reference of the transform for one value (str, int, float or None)."""
        rule = self.rule_for(_normalize_python(mcc))
        return self.describe(self.unknown, True) if rule is None else self.describe(rule)  # type: ignore[arg-type]

    def code_rows(self) -> list[tuple[int, str, str, str, str, float]]:
        """The expanded lookup table: one row per mapped code (innermost rule wins)."""
        out = []
        for code in sorted(self._codes):
            d = self.describe(self._codes[code])
            out.append((code, d.category, d.parent, d.path, d.risk_level, d.risk))
        return out

    def canonical(self) -> dict[str, Any]:
        """Everything that decides an output value, in a stable form (hashed for the version)."""
        return {
            "root": self.root,
            "parents": dict(sorted(self._parents.items())),
            "risk_scores": dict(self.risk_scores),
            "rules": [[r.key, r.category, r.parent, r.risk_level] for r in self.rules],
            "unknown": [self.unknown.category, self.unknown.parent, self.unknown.risk_level],  # type: ignore[union-attr]
        }

    @property
    def version(self) -> str:
        return merchant_mapping_version(self)


def merchant_mapping_version(mapping: MerchantMapping) -> str:
    """Content hash (16 hex digits of SHA-256) of what decides the outputs (descriptions excluded)."""
    text = json.dumps(mapping.canonical(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------------


def _rule(key: Any, entry: Any, root: str, source: str) -> CategoryRule:
    start, end, canonical = _parse_key(key, source)
    where = f"entry {canonical!r}"
    if not isinstance(entry, Mapping):
        raise _fail(source, f"{where} must be an object with category, parent and risk_level")
    extra = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
    if extra:
        raise _fail(source, f"{where} has unknown key(s) {', '.join(extra)}; valid keys: {', '.join(_ENTRY_KEYS)}")
    category = _name(entry.get("category"), f"{where} category", source)
    parent = entry.get("parent")
    parent = root if parent is None or (isinstance(parent, str) and not parent.strip()) else _name(parent, f"{where} parent", source)
    level = entry.get("risk_level")
    if not isinstance(level, str) or not level.strip():
        raise _fail(source, f"{where} risk_level must be a non-empty string")
    description = entry.get("description", "")
    if not isinstance(description, str):
        raise _fail(source, f"{where} description must be a string")
    return CategoryRule(canonical, category, parent, level.strip().lower(), start, end, description)


def _split_unknown(rules: Iterable[CategoryRule], source: str) -> tuple[list[CategoryRule], CategoryRule | None]:
    codes, unknown = [], None
    for rule in rules:
        if rule.is_unknown:
            if unknown is not None:
                raise _fail(source, f"{UNKNOWN_KEY!r} entry is given twice")
            unknown = rule
        else:
            codes.append(rule)
    return codes, unknown


def _from_json(text: str, source: str) -> MerchantMapping:
    try:
        data = json.loads(text, object_pairs_hook=no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise _fail(source, f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except DuplicateKeyError as exc:
        raise _fail(source, str(exc)) from None
    if not isinstance(data, Mapping):
        raise _fail(source, "must be a JSON object")
    if "codes" in data:
        extra = sorted(k for k in data if k not in _STRUCTURED_KEYS)
        if extra:
            raise _fail(source, f"unknown top-level key(s) {', '.join(extra)}; valid keys: {', '.join(_STRUCTURED_KEYS)}")
        root = _name(data.get("root", DEFAULT_ROOT), "root", source)
        codes = data["codes"]
        if not isinstance(codes, Mapping):
            raise _fail(source, "codes must be an object of MCC or range -> entry")
        hierarchy = data.get("hierarchy")
        if hierarchy is not None and not isinstance(hierarchy, Mapping):
            raise _fail(source, "hierarchy must be an object of category -> parent")
        pairs = tuple(
            (_name(node, "hierarchy category", source), _name(parent, f"hierarchy parent of {node!r}", source))
            for node, parent in (hierarchy or {}).items()
        )
        scores = data.get("risk_scores", DEFAULT_RISK_SCORES)
        if not isinstance(scores, Mapping):
            raise _fail(source, "risk_scores must be an object of risk level -> score in [0, 1]")
        rules, unknown = _split_unknown((_rule(k, v, root, source) for k, v in codes.items()), source)
        return MerchantMapping(
            tuple(rules),
            unknown,
            root=root,
            hierarchy=pairs,
            strict_hierarchy=hierarchy is not None,
            risk_scores=tuple((str(k).strip().lower(), v) for k, v in scores.items()),
            source=source,
        )
    rules, unknown = _split_unknown((_rule(k, v, DEFAULT_ROOT, source) for k, v in data.items()), source)
    return MerchantMapping(tuple(rules), unknown, source=source)


def _from_csv(text: str, source: str) -> MerchantMapping:
    reader = csv.DictReader(_stdio.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in _CSV_COLUMNS if c not in header]
    if missing:
        raise _fail(source, f"CSV header lacks column(s) {', '.join(missing)}; expected {','.join(_CSV_COLUMNS)}[,description]")
    extra = [c for c in header if c not in (*_CSV_COLUMNS, "description")]
    if extra:
        raise _fail(source, f"CSV has unknown column(s) {', '.join(extra)}")
    reader.fieldnames = header
    rules, hierarchy = [], []
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise _fail(source, f"CSV line {line} has more fields than the header")
        cells = {k: (v or "").strip() for k, v in row.items()}
        if not any(cells.values()):
            continue
        if not cells["mcc"]:
            # A row without an MCC declares a hierarchy node: category -> parent.
            if cells["risk_level"]:
                raise _fail(source, f"CSV line {line}: a hierarchy row (empty mcc) takes no risk_level")
            node = _name(cells["category"], f"CSV line {line} category", source)
            hierarchy.append((node, _name(cells["parent"], f"CSV line {line} parent", source)))
            continue
        entry = {k: cells[k] for k in ("category", "parent", "risk_level", "description") if k in cells}
        rules.append(_rule(cells["mcc"], entry, DEFAULT_ROOT, source))
    codes, unknown = _split_unknown(rules, source)
    return MerchantMapping(tuple(codes), unknown, hierarchy=tuple(hierarchy), strict_hierarchy=bool(hierarchy), source=source)


def parse_merchant_mapping(text: str, source: str = "mapping", fmt: str | None = None) -> MerchantMapping:
    """Parse mapping text; ``fmt`` is ``json`` or ``csv`` (sniffed from the first character if None)."""
    if fmt is None:
        fmt = "json" if text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[") else "csv"
    if fmt == "json":
        return _from_json(text, source)
    if fmt == "csv":
        return _from_csv(text, source)
    raise _fail(source, f"format {fmt!r} is not json or csv")


def default_mapping_path() -> str:
    """Filesystem path of the shipped default mapping (``secure_transform/data/mcc_mapping.json``)."""
    return str(resources.files("secure_transform").joinpath(*_DEFAULT_RESOURCE))


def load_merchant_mapping(uri: str | None = None, session: Any = None) -> MerchantMapping:
    """Load and validate a mapping: ``None`` -> the shipped default; else a local path or s3:// URI.

    ``.json`` / ``.csv`` (optionally ``.gz``) select the format; other names are sniffed.
    """
    if uri is None or not str(uri).strip():
        resource = resources.files("secure_transform").joinpath(*_DEFAULT_RESOURCE)
        return parse_merchant_mapping(resource.read_text(encoding="utf-8"), "default mapping", "json")
    loc = st_io.parse_location(str(uri), PARAM)
    try:
        if not st_io.exists(loc, session):
            raise ConfigError(PARAM, f"no mapping file at {loc.uri}")
        text = st_io.read_text(loc, session)
    except ConfigError:
        raise
    except UnicodeDecodeError:
        raise ConfigError(PARAM, f"{loc.uri} is not UTF-8 text") from None
    except Exception as exc:  # OSError locally, botocore ClientError on S3: name the file, not the content
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
        raise ConfigError(PARAM, f"{loc.uri} cannot be read ({code or type(exc).__name__})") from None
    name = loc.key.lower().removesuffix(".gz")
    fmt = "json" if name.endswith(".json") else "csv" if name.endswith(".csv") else None
    return parse_merchant_mapping(text, loc.uri, fmt)


# ------------------------------------------------------------------------------------------------
# Column function and transform
# ------------------------------------------------------------------------------------------------


def _normalize_python(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        return int(text[:4]) if re.match(_MCC_STRING, text) else None
    if isinstance(value, int):
        return value if 0 <= value <= 9999 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and 0 <= value <= 9999 else None
    return None


def normalize_mcc(col: Column, data_type: T.DataType) -> Column:
    """The MCC as an int in [0, 9999], or null when it is missing or malformed.

    Strings: trimmed, exactly four digits, optionally followed by ``.0`` (``" 5411 "``,
    ``"5411.0"`` -> 5411; ``"742"``, ``"ABCD"``, ``"54110"``, ``""`` -> null). Integer columns:
    the value when in [0, 9999] (an integer 742 is code ``0742``, its leading zero lost by
    type inference). Float/decimal columns: the same, when the value is a whole number.
    """
    if isinstance(data_type, T.StringType):
        text = F.trim(col)
        return F.when(text.rlike(_MCC_STRING), F.substring(text, 1, 4).cast("int"))
    if isinstance(data_type, T.IntegralType):
        return F.when(col.between(0, 9999), col.cast("int"))
    if isinstance(data_type, (T.FloatType, T.DoubleType)):
        ok = ~F.isnan(col) & col.between(0, 9999) & (col == F.floor(col))
        return F.when(ok, col.cast("int"))
    if isinstance(data_type, T.DecimalType):
        return F.when(col.between(0, 9999) & (col == F.floor(col)), col.cast("int"))
    raise TypeError(f"MCC type {data_type.simpleString()} is not a string or number")


def _col(name: str) -> Column:
    return F.col("`" + name.replace("`", "``") + "`")


_LOOKUP_SCHEMA = T.StructType(
    [
        T.StructField(_LOOKUP_COLS[0], T.IntegerType(), False),
        T.StructField(_LOOKUP_COLS[1], T.StringType(), False),
        T.StructField(_LOOKUP_COLS[2], T.StringType(), False),
        T.StructField(_LOOKUP_COLS[3], T.StringType(), False),
        T.StructField(_LOOKUP_COLS[4], T.StringType(), False),
        T.StructField(_LOOKUP_COLS[5], T.DoubleType(), False),
    ]
)


def _lookup_frame(spark: Any, mapping: MerchantMapping) -> DataFrame:
    """The expanded mapping as a small DataFrame (built on the driver from the mapping, no row data).

    Built from pandas so that, with Arrow enabled (as our sessions are), Spark makes it a local
    relation: broadcasting it then needs no Python worker. Without Arrow Spark falls back to
    its row path, with the same result.
    """
    import pandas as pd

    frame = pd.DataFrame(mapping.code_rows(), columns=_LOOKUP_SCHEMA.fieldNames())
    return spark.createDataFrame(frame, _LOOKUP_SCHEMA)


def with_merchant_category(
    df: DataFrame, mapping: MerchantMapping, mcc_column: str = "merchant_category_code"
) -> DataFrame:
    """Add merchant_category, merchant_parent, merchant_category_path, merchant_risk_level,
    merchant_risk (double) and is_unknown_mcc (boolean).

    A left broadcast hash join of the normalised code against the expanded mapping (at most
    10,000 rows): every input row yields exactly one output row, and no shuffle happens. Rows
    whose code is null, malformed or not in the mapping take the ``unknown`` entry and
    ``is_unknown_mcc = true``. Existing columns with the output names are replaced.
    """
    fields = {f.name: f for f in df.schema.fields}
    if mcc_column not in fields:
        raise SchemaError("merchant encoding input", mcc_column, "is missing (needed by merchant category encoding)")
    data_type = fields[mcc_column].dataType
    if not isinstance(data_type, (T.StringType, T.NumericType)):
        raise SchemaError(
            "merchant encoding input", mcc_column, f"has type {data_type.simpleString()}; expected a string or number"
        )
    kept = [c for c in df.columns if c not in OUTPUT_COLUMNS]
    keyed = df.select(*[_col(c) for c in kept], normalize_mcc(_col(mcc_column), data_type).alias(_KEY_COL))
    lookup = _lookup_frame(df.sparkSession, mapping)
    joined = keyed.join(F.broadcast(lookup), F.col(_KEY_COL) == F.col(_LOOKUP_COLS[0]), "left")
    unknown = mapping.describe(mapping.unknown, True)  # type: ignore[arg-type]
    code, category, parent, path, level, risk = (F.col(c) for c in _LOOKUP_COLS)
    return joined.select(
        *[_col(c) for c in kept],
        F.coalesce(category, F.lit(unknown.category)).alias("merchant_category"),
        F.coalesce(parent, F.lit(unknown.parent)).alias("merchant_parent"),
        F.coalesce(path, F.lit(unknown.path)).alias("merchant_category_path"),
        F.coalesce(level, F.lit(unknown.risk_level)).alias("merchant_risk_level"),
        F.coalesce(risk, F.lit(unknown.risk)).alias("merchant_risk"),
        code.isNull().alias("is_unknown_mcc"),
    )


def merchant_metrics(flag_column: str = "is_unknown_mcc") -> list[Column]:
    """Aggregate columns for the run's one metrics aggregation: rows with an unknown/malformed MCC."""
    return [F.sum(F.when(F.col(flag_column), 1).otherwise(0)).cast("long").alias("merchant_unknown_mcc_rows")]
