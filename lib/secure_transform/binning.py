"""Amount binning: fit bin edges once, save them as a versioned artifact, apply them to every batch.

Bins computed afresh on every batch drift from day to day and silently break a model, so the
transform has two steps:

* :func:`fit_bins` computes edges from a DataFrame in ONE aggregation (``percentile_approx`` with
  a configurable relative error; ``rollup`` over the currency when edges are per currency, which
  yields every currency's edges and the global fallback together) and returns :class:`BinEdges`.
  It never collects the amount column: only the aggregate (one row per currency, plus one) comes
  back to the driver.
* :func:`with_amount_bin` adds ``amount_bin`` (0-based int; ``-1`` = unknown) and
  ``amount_bin_label`` with column expressions only (a ``CASE WHEN`` chain over literal edges, and
  a literal currency -> edges map when edges are per currency): no join, no shuffle, no UDF.

Assignment rule (see docs/BUSINESS_LOGIC.md): with edges ``e0 <= e1 <= ... <= ek`` and ``k``
labels, ``amount_bin`` is the number of interior edges ``e1 .. e(k-1)`` that are ``<=`` the
amount. Bins are half-open ``[e(i), e(i+1))``, the last one closed; amounts below ``e0`` land in
bin 0 and above ``ek`` in bin ``k-1``. Equal (duplicate) edges from skewed data are merged: the
bins between them are empty and an amount equal to the merged edge goes to the highest bin that
starts at it. Null, NaN, infinite and non-numeric amounts get ``-1`` / ``"unknown"``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from . import io as st_io
from .errors import ConfigError, SchemaError
from .jsonargs import parse_json_arg

__all__ = [
    "AMOUNT_BIN",
    "AMOUNT_BIN_LABEL",
    "BIN_EDGES_FILE",
    "BinEdges",
    "BinningConfig",
    "METHODS",
    "UNKNOWN_BIN",
    "UNKNOWN_LABEL",
    "amount_as_double",
    "binning_metrics",
    "ensure_compatible",
    "fit_bins",
    "parse_binning_config",
    "with_amount_bin",
]

PARAM = "--binning_config"
METHODS = ("percentile", "quantile", "custom", "fixed_width")
UNKNOWN_BIN = -1
UNKNOWN_LABEL = "unknown"
AMOUNT_BIN = "amount_bin"
AMOUNT_BIN_LABEL = "amount_bin_label"
#: Conventional file name of the fitted edges below the artifacts location.
BIN_EDGES_FILE = "bin_edges.json"
FORMAT = "secure-transform/bin-edges"
FORMAT_VERSION = 1

DEFAULT_RELATIVE_ERROR = 0.0001  # = Spark's default percentile_approx accuracy of 10000
MIN_RELATIVE_ERROR = 1e-6
MAX_RELATIVE_ERROR = 0.5
DEFAULT_MIN_CURRENCY_ROWS = 100
MAX_BINS = 1000

_CONFIG_KEYS = (
    "method",
    "bins",
    "n_bins",
    "labels",
    "range",
    "relative_error",
    "per_currency",
    "min_currency_rows",
    "amount_column",
    "currency_column",
)
# An amount string Spark can cast without ANSI errors: optional sign, digits with an optional
# decimal point, optional exponent. "NaN", "Infinity", "1,000", "$5" and "" do not match.
_AMOUNT_TMP = "__st_amount_value"
_EDGES_TMP = "__st_amount_edges"
_NUMBER_PATTERN = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class BinningConfig:
    """Validated amount-binning configuration (``--binning_config``).

    ``bins`` holds percentiles in [0, 100] (``percentile``) or amount edges (``custom``), strictly
    increasing. ``n_bins`` is the bin count for ``quantile`` and ``fixed_width``. ``labels``
    defaults to ``bin_0 .. bin_<n-1>``. ``range`` fixes the ``fixed_width`` span instead of
    fitting it from the data's min and max. Currencies with fewer than ``min_currency_rows``
    numeric amounts at fit time use the global edges.
    """

    method: str
    bins: tuple[float, ...] = ()
    n_bins: int | None = None
    labels: tuple[str, ...] = ()
    range: tuple[float, float] | None = None
    relative_error: float = DEFAULT_RELATIVE_ERROR
    per_currency: bool = False
    min_currency_rows: int = DEFAULT_MIN_CURRENCY_ROWS
    amount_column: str = "amount"
    currency_column: str = "currency"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(PARAM, f"method {self.method!r} is not one of {', '.join(METHODS)}")
        bins = tuple(self.bins)
        if self.method in ("percentile", "custom"):
            if self.n_bins is not None:
                raise ConfigError(PARAM, f"n_bins is not used by method {self.method!r}; give the edges in bins")
            if len(bins) < 2 or not all(_is_number(b) for b in bins):
                raise ConfigError(PARAM, f"bins for method {self.method!r} must be a list of at least 2 finite numbers")
            if any(b <= a for a, b in zip(bins, bins[1:])):
                raise ConfigError(PARAM, "bins must be strictly increasing")
            if self.method == "percentile" and (bins[0] < 0 or bins[-1] > 100):
                raise ConfigError(PARAM, "percentile bins must lie within [0, 100]")
            bins = tuple(float(b) for b in bins)
            n_bins = len(bins) - 1
        else:
            if bins:
                raise ConfigError(PARAM, f"method {self.method!r} takes n_bins (an integer), not a list of bins")
            n_bins = self.n_bins
            if not isinstance(n_bins, int) or isinstance(n_bins, bool) or not 1 <= n_bins <= MAX_BINS:
                raise ConfigError(PARAM, f"n_bins for method {self.method!r} must be an integer in [1, {MAX_BINS}]")
        if n_bins > MAX_BINS:
            raise ConfigError(PARAM, f"at most {MAX_BINS} bins are supported")
        object.__setattr__(self, "bins", bins)

        if self.range is not None:
            if self.method != "fixed_width":
                raise ConfigError(PARAM, "range is only used by method 'fixed_width'")
            rng = tuple(self.range)
            if len(rng) != 2 or not all(_is_number(v) for v in rng) or not rng[0] < rng[1]:
                raise ConfigError(PARAM, "range must be [min, max] with finite numbers and min < max")
            object.__setattr__(self, "range", (float(rng[0]), float(rng[1])))

        labels = tuple(self.labels) if self.labels else tuple(f"bin_{i}" for i in range(n_bins))
        if not all(isinstance(x, str) and x.strip() for x in labels):
            raise ConfigError(PARAM, "labels must be non-empty strings")
        if len(labels) != n_bins:
            edges = n_bins + 1
            raise ConfigError(
                PARAM, f"has {len(labels)} labels but {edges} bin edges make {n_bins} bins; labels must number edges - 1"
            )
        if len(set(labels)) != len(labels):
            raise ConfigError(PARAM, "labels must be unique")
        if UNKNOWN_LABEL in labels:
            raise ConfigError(PARAM, f"label {UNKNOWN_LABEL!r} is reserved for null and non-numeric amounts")
        object.__setattr__(self, "labels", labels)

        if not _is_number(self.relative_error) or not MIN_RELATIVE_ERROR <= self.relative_error <= MAX_RELATIVE_ERROR:
            raise ConfigError(PARAM, f"relative_error must be a number in [{MIN_RELATIVE_ERROR}, {MAX_RELATIVE_ERROR}]")
        if not isinstance(self.per_currency, bool):
            raise ConfigError(PARAM, "per_currency must be true or false")
        if self.per_currency and self.method == "custom":
            raise ConfigError(PARAM, "per_currency needs fitted edges; method 'custom' gives absolute amounts")
        if self.per_currency and self.range is not None:
            raise ConfigError(PARAM, "per_currency needs fitted edges; drop range to fit each currency's min and max")
        if not isinstance(self.min_currency_rows, int) or isinstance(self.min_currency_rows, bool) or self.min_currency_rows < 1:
            raise ConfigError(PARAM, "min_currency_rows must be an integer >= 1")
        for name in ("amount_column", "currency_column"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(PARAM, f"{name} must be a non-empty column name")

    @property
    def bin_count(self) -> int:
        return len(self.labels)

    @property
    def probabilities(self) -> tuple[float, ...]:
        """Quantile probabilities in [0, 1] for the fitted-quantile methods (else empty)."""
        if self.method == "percentile":
            return tuple(b / 100.0 for b in self.bins)
        if self.method == "quantile":
            n = self.bin_count
            return tuple(i / n for i in range(n + 1))
        return ()

    @property
    def accuracy(self) -> int:
        """``percentile_approx`` accuracy: its relative error is ``1 / accuracy``."""
        return int(math.ceil(1.0 / self.relative_error))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "labels": list(self.labels)}
        if self.method in ("percentile", "custom"):
            out["bins"] = list(self.bins)
        else:
            out["n_bins"] = self.bin_count
        if self.range is not None:
            out["range"] = list(self.range)
        out.update(
            relative_error=self.relative_error,
            per_currency=self.per_currency,
            min_currency_rows=self.min_currency_rows,
            amount_column=self.amount_column,
            currency_column=self.currency_column,
        )
        return out


def parse_binning_config(value: str | Mapping[str, Any]) -> BinningConfig:
    """Parse ``--binning_config`` (a JSON object or a mapping) into a :class:`BinningConfig`.

    Raises :class:`ConfigError` naming ``--binning_config`` before any data is read.
    """
    if isinstance(value, str):
        if not value.strip():
            raise ConfigError(PARAM, "is empty; give a JSON object such as {\"method\": \"quantile\", \"n_bins\": 4}")
        value = parse_json_arg(value, PARAM)
    if not isinstance(value, Mapping):
        raise ConfigError(PARAM, "must be a JSON object")
    unknown = sorted(str(k) for k in value if k not in _CONFIG_KEYS)
    if unknown:
        raise ConfigError(PARAM, f"unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(_CONFIG_KEYS)}")
    if "method" not in value:
        raise ConfigError(PARAM, f"method is required; one of {', '.join(METHODS)}")
    kwargs: dict[str, Any] = {k: value[k] for k in _CONFIG_KEYS if k in value}
    method = kwargs["method"]
    if not isinstance(method, str):
        raise ConfigError(PARAM, f"method must be a string, one of {', '.join(METHODS)}")
    bins = kwargs.pop("bins", None)
    if method in ("quantile", "fixed_width") and bins is not None and not isinstance(bins, list):
        # {"method": "quantile", "bins": 4} is accepted as a synonym of n_bins.
        if "n_bins" in kwargs:
            raise ConfigError(PARAM, "give either bins or n_bins, not both")
        kwargs["n_bins"] = bins
    elif bins is not None:
        if not isinstance(bins, list):
            raise ConfigError(PARAM, f"bins for method {method!r} must be a list of numbers")
        kwargs["bins"] = tuple(bins)
    labels = kwargs.get("labels")
    if labels is not None:
        if not isinstance(labels, list):
            raise ConfigError(PARAM, "labels must be a list of strings")
        kwargs["labels"] = tuple(labels)
    rng = kwargs.get("range")
    if rng is not None:
        if not isinstance(rng, list):
            raise ConfigError(PARAM, "range must be [min, max]")
        kwargs["range"] = tuple(rng)
    return BinningConfig(**kwargs)


# --------------------------------------------------------------------------------------------
# Fitted edges
# --------------------------------------------------------------------------------------------


def _utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _check_edges(edges: Any, n_labels: int, where: str, parameter: str) -> tuple[float, ...]:
    if not isinstance(edges, (list, tuple)) or not all(_is_number(e) for e in edges):
        raise ConfigError(parameter, f"bin edges ({where}) must be a list of finite numbers")
    if len(edges) != n_labels + 1:
        raise ConfigError(parameter, f"bin edges ({where}) number {len(edges)} but {n_labels} labels need {n_labels + 1}")
    if any(b < a for a, b in zip(edges, edges[1:])):
        raise ConfigError(parameter, f"bin edges ({where}) must not decrease")
    return tuple(float(e) for e in edges)


def _empty_bins(edges: tuple[float, ...]) -> list[int]:
    """Bins that can never be assigned because their lower and upper edges were merged."""
    k = len(edges) - 1
    # Bin i covers [e_i, e_(i+1)); it is empty when e_i == e_(i+1), except that bin 0 still
    # receives amounts below e_0 and the last bin the amounts equal to or above e_k.
    return [i for i in range(k) if edges[i] == edges[i + 1] and 0 < i < k - 1]


@dataclass(frozen=True)
class BinEdges:
    """Fitted bin edges: the artifact ``fit`` writes and ``apply`` reads back.

    ``edges`` are the global edges (the fallback for currencies without their own);
    ``currency_edges`` holds ``(currency, edges)`` pairs sorted by currency. ``version`` is a
    content hash of everything that decides a row's bin (method, labels, edges, columns), so two
    fits that produce the same edges share a version; ``fitted_at`` and ``source_rows`` describe
    the fit. ``source_rows`` counts every row the fit read, ``valid_rows`` those with a numeric
    amount.
    """

    method: str
    labels: tuple[str, ...]
    edges: tuple[float, ...]
    currency_edges: tuple[tuple[str, tuple[float, ...]], ...] = ()
    source_rows: int = 0
    valid_rows: int = 0
    fitted_at: str = ""
    relative_error: float | None = None
    amount_column: str = "amount"
    currency_column: str = "currency"
    currency_rows: tuple[tuple[str, int], ...] = ()
    version: str = field(default="")
    parameter: str = field(default=PARAM, repr=False, compare=False)

    def __post_init__(self) -> None:
        p = self.parameter
        if self.method not in METHODS:
            raise ConfigError(p, f"bin edges method {self.method!r} is not one of {', '.join(METHODS)}")
        labels = tuple(self.labels)
        if not labels or not all(isinstance(x, str) and x for x in labels) or len(set(labels)) != len(labels):
            raise ConfigError(p, "bin edges labels must be unique non-empty strings")
        if UNKNOWN_LABEL in labels:
            raise ConfigError(p, f"bin edges label {UNKNOWN_LABEL!r} is reserved")
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "edges", _check_edges(self.edges, len(labels), "global", p))
        per: list[tuple[str, tuple[float, ...]]] = []
        for cur, cur_edges in sorted(dict(self.currency_edges).items()):
            if not isinstance(cur, str) or not cur or cur != cur.strip().upper():
                raise ConfigError(p, "bin edges currency keys must be upper-case currency codes")
            per.append((cur, _check_edges(cur_edges, len(labels), cur, p)))
        object.__setattr__(self, "currency_edges", tuple(per))
        object.__setattr__(self, "currency_rows", tuple(sorted((str(c), int(n)) for c, n in dict(self.currency_rows).items())))
        for name in ("source_rows", "valid_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(p, f"bin edges {name} must be a non-negative integer")
        expected = self.content_hash()
        if not self.version:
            object.__setattr__(self, "version", expected)
        elif self.version != expected:
            raise ConfigError(p, "bin edges file does not match its version hash (edited or corrupted); re-fit the edges")

    # -- identity ------------------------------------------------------------------------------
    def content_hash(self) -> str:
        """16 hex digits of SHA-256 over method, labels, edges and columns (not the fit time).

        Safe in file names and S3 keys (the pipeline keeps ``bin_edges/<version>.json``).
        """
        payload = {
            "format_version": FORMAT_VERSION,
            "method": self.method,
            "labels": list(self.labels),
            "edges": [repr(e) for e in self.edges],
            "currency_edges": {c: [repr(e) for e in es] for c, es in self.currency_edges},
            "amount_column": self.amount_column,
            "currency_column": self.currency_column,
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        return digest[:16]

    @property
    def per_currency(self) -> bool:
        return bool(self.currency_edges)

    @property
    def by_currency(self) -> dict[str, tuple[float, ...]]:
        return dict(self.currency_edges)

    def edges_for(self, currency: str | None) -> tuple[float, ...]:
        """The edges a row with this currency uses (normalised as the transform does)."""
        key = (currency or "").strip().upper()
        return self.by_currency.get(key, self.edges)

    def bin_of(self, amount: float | None, currency: str | None = None) -> int:
        """Reference implementation of the assignment rule, for docs, tests and analysts."""
        if amount is None or not isinstance(amount, (int, float)) or isinstance(amount, bool) or not math.isfinite(amount):
            return UNKNOWN_BIN
        edges = self.edges_for(currency)
        return sum(1 for e in edges[1:-1] if e <= amount)

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "method": self.method,
            "version": self.version,
            "fitted_at": self.fitted_at,
            "source_rows": self.source_rows,
            "valid_rows": self.valid_rows,
            "relative_error": self.relative_error,
            "amount_column": self.amount_column,
            "currency_column": self.currency_column,
            "labels": list(self.labels),
            "unknown_bin": {"index": UNKNOWN_BIN, "label": UNKNOWN_LABEL},
            "edges": {
                "global": list(self.edges),
                "per_currency": {c: list(es) for c, es in self.currency_edges},
            },
            "currency_rows": dict(self.currency_rows),
            # Informational: bins that merged (duplicate) edges leave empty. Ignored on load.
            "empty_bins": {
                "global": _empty_bins(self.edges),
                "per_currency": {c: _empty_bins(es) for c, es in self.currency_edges},
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Any, *, parameter: str = PARAM) -> "BinEdges":
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ConfigError(parameter, f"is not a bin edges file (expected format {FORMAT!r})")
        if data.get("format_version") != FORMAT_VERSION:
            raise ConfigError(parameter, f"bin edges format_version must be {FORMAT_VERSION}")
        edges = data.get("edges")
        if not isinstance(edges, Mapping) or not isinstance(edges.get("per_currency", {}), Mapping):
            raise ConfigError(parameter, "bin edges file has no edges object")
        labels = data.get("labels")
        if not isinstance(labels, list):
            raise ConfigError(parameter, "bin edges file has no labels list")
        try:
            return cls(
                method=data.get("method"),
                labels=tuple(labels),
                edges=edges.get("global"),
                currency_edges=tuple(dict(edges.get("per_currency", {})).items()),
                source_rows=data.get("source_rows", 0),
                valid_rows=data.get("valid_rows", 0),
                fitted_at=str(data.get("fitted_at", "")),
                relative_error=data.get("relative_error"),
                amount_column=str(data.get("amount_column", "amount")),
                currency_column=str(data.get("currency_column", "currency")),
                currency_rows=tuple(dict(data.get("currency_rows", {}) or {}).items()),
                version=str(data.get("version", "")),
                parameter=parameter,
            )
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(parameter, "bin edges file has fields of the wrong type") from None

    @classmethod
    def from_json(cls, text: str, *, parameter: str = PARAM) -> "BinEdges":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(parameter, f"bin edges file is not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_dict(data, parameter=parameter)

    def save(self, loc: st_io.Location, session: Any = None, **kw: Any) -> None:
        """Write the edges as JSON to ``loc`` (local path or S3; ``kw`` goes to ``io.write_text``)."""
        st_io.write_text(loc, self.to_json(), session, **kw)

    @classmethod
    def load(cls, loc: st_io.Location, session: Any = None, *, parameter: str = "--artifacts_location") -> "BinEdges":
        """Read edges saved by :meth:`save`; a missing or invalid file is a :class:`ConfigError`."""
        try:
            if not st_io.exists(loc, session):
                raise ConfigError(
                    parameter, f"no fitted bin edges at {loc.uri}; run with --run_mode fit or fit_and_apply first"
                )
            text = st_io.read_text(loc, session)
        except ConfigError:
            raise
        except UnicodeDecodeError:
            raise ConfigError(parameter, f"bin edges file {loc.uri} is not UTF-8 text") from None
        except Exception as exc:  # OSError locally, botocore ClientError on S3: name the file and the error type
            code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
            raise ConfigError(parameter, f"bin edges file {loc.uri} cannot be read ({code or type(exc).__name__})") from None
        return cls.from_json(text, parameter=parameter)


def ensure_compatible(edges: BinEdges, config: BinningConfig) -> None:
    """Fail closed when saved edges were fitted with a different configuration than the run's."""
    if edges.method != config.method or edges.labels != config.labels:
        raise ConfigError(
            PARAM,
            f"differs from the fitted bin edges {edges.version} (method or labels); re-fit with --run_mode fit_and_apply",
        )
    if edges.amount_column != config.amount_column or (config.per_currency and edges.currency_column != config.currency_column):
        raise ConfigError(PARAM, f"amount/currency columns differ from the fitted bin edges {edges.version}; re-fit")


# --------------------------------------------------------------------------------------------
# Column functions
# --------------------------------------------------------------------------------------------


def amount_as_double(col: Column, data_type: T.DataType) -> Column:
    """The amount as a finite double, or null for null, NaN, +-Infinity and non-numeric strings.

    Strings are trimmed and must look like a plain decimal number (``12``, ``-3.50``, ``1e3``);
    ``"1,000"``, ``"$5"``, ``""`` and ``"NaN"`` are null. The regex guard keeps the cast safe under
    ANSI mode, where a bad cast would raise instead of returning null.
    """
    if isinstance(data_type, T.StringType):
        text = F.trim(col)
        value = F.when(text.rlike(_NUMBER_PATTERN), text.cast("double"))
    elif isinstance(data_type, T.NumericType):
        value = col.cast("double")
    else:
        raise TypeError(f"amount type {data_type.simpleString()} is not numeric or string")
    return F.when(~F.isnan(value) & (F.abs(value) != F.lit(float("inf"))), value)


def _normalise_currency(col: Column) -> Column:
    text = F.upper(F.trim(col.cast("string")))
    return F.when(text != "", text)


def _col(name: str) -> Column:
    """A column by its exact name (dots and spaces in names are not paths)."""
    return F.col("`" + name.replace("`", "``") + "`")


def _amount_column(df: DataFrame, name: str, source: str) -> Column:
    fields = {f.name: f for f in df.schema.fields}
    if name not in fields:
        raise SchemaError(source, name, "is missing (needed by amount binning)")
    data_type = fields[name].dataType
    if not isinstance(data_type, (T.StringType, T.NumericType)):
        raise SchemaError(source, name, f"has type {data_type.simpleString()}; amount binning needs a number or numeric string")
    return amount_as_double(_col(name), data_type)


def _currency_column(df: DataFrame, name: str, source: str) -> Column:
    if name not in df.columns:
        raise SchemaError(source, name, "is missing (needed by per-currency amount binning)")
    return _normalise_currency(_col(name))


def _bin_from_literal_edges(amount: Column, edges: tuple[float, ...]) -> Column:
    """CASE WHEN amount < e1 THEN 0 WHEN amount < e2 THEN 1 ... ELSE k-1 (one branch per distinct edge)."""
    k = len(edges) - 1
    expr = None
    previous = None
    for j in range(1, k):
        if previous is not None and edges[j] == previous:
            continue  # merged duplicate edge: its branch could never fire
        previous = edges[j]
        cond = amount < F.lit(edges[j])
        expr = F.when(cond, F.lit(j - 1)) if expr is None else expr.when(cond, F.lit(j - 1))
    last = F.lit(k - 1)
    return last if expr is None else expr.otherwise(last)


def _bin_from_edge_array(amount: Column, edges: Column, k: int) -> Column:
    """The same chain against an array column of interior edges (per-currency lookup)."""
    if k == 1:
        return F.lit(0)
    expr = F.when(amount < edges.getItem(0), F.lit(0))
    for j in range(2, k):
        expr = expr.when(amount < edges.getItem(j - 1), F.lit(j - 1))
    return expr.otherwise(F.lit(k - 1))


def _double_array(values: tuple[float, ...]) -> Column:
    return F.array(*[F.lit(float(v)).cast("double") for v in values])


# --------------------------------------------------------------------------------------------
# Transforms
# --------------------------------------------------------------------------------------------


def fit_bins(df: DataFrame, config: BinningConfig) -> BinEdges:
    """Fit bin edges on ``df`` in one aggregation; returns the artifact to save and reuse.

    Quantiles come from ``percentile_approx`` (relative error ``config.relative_error``), min and
    max from ``min``/``max``, row counts from ``count`` -- all in the same aggregation. With
    ``per_currency`` the aggregation is a ``rollup`` over the normalised currency: one row per
    currency plus the grand total, which gives the global fallback edges.
    """
    source = "binning fit input"
    amount = _amount_column(df, config.amount_column, source)
    columns = [amount.alias("__amount")]
    if config.per_currency:
        columns.append(_currency_column(df, config.currency_column, source).alias("__currency"))
    value = F.col("__amount")
    aggs = [F.count(F.lit(1)).alias("rows"), F.count(value).alias("valid")]
    if config.probabilities:
        aggs.append(F.percentile_approx(value, list(config.probabilities), config.accuracy).alias("q"))
    if config.method == "fixed_width" and config.range is None:
        aggs += [F.min(value).alias("lo"), F.max(value).alias("hi")]

    projected = df.select(*columns)
    if config.per_currency:
        grouped = projected.rollup("__currency").agg(*aggs, F.grouping("__currency").alias("is_total"))
    else:
        grouped = projected.agg(*aggs, F.lit(1).alias("is_total"))
    # Bounded: one aggregate row per currency plus the total, never the amounts themselves.
    result = grouped.collect()

    total = next(r for r in result if r["is_total"] == 1)
    if config.method not in ("custom",) and not (config.method == "fixed_width" and config.range):
        if total["valid"] == 0:
            raise SchemaError(source, config.amount_column, "has no numeric amounts to fit bin edges on")
    currency_edges: list[tuple[str, tuple[float, ...]]] = []
    currency_rows: list[tuple[str, int]] = []
    for row in result:
        if row["is_total"] == 1 or row["__currency"] is None:
            continue  # rows without a currency only count towards the global edges
        if row["valid"] < config.min_currency_rows:
            continue  # too few amounts for stable edges: this currency uses the global edges
        currency_edges.append((row["__currency"], _edges_from_row(row, config)))
        currency_rows.append((row["__currency"], int(row["valid"])))
    return BinEdges(
        method=config.method,
        labels=config.labels,
        edges=_edges_from_row(total, config),
        currency_edges=tuple(currency_edges),
        source_rows=int(total["rows"]),
        valid_rows=int(total["valid"]),
        fitted_at=_utc_now(),
        relative_error=config.relative_error if config.probabilities else None,
        amount_column=config.amount_column,
        currency_column=config.currency_column,
        currency_rows=tuple(currency_rows),
    )


def _edges_from_row(row: Any, config: BinningConfig) -> tuple[float, ...]:
    if config.method == "custom":
        return config.bins
    if config.probabilities:
        return tuple(float(v) for v in row["q"])
    lo, hi = config.range if config.range else (float(row["lo"]), float(row["hi"]))
    n = config.bin_count
    return tuple([lo + (hi - lo) * i / n for i in range(n)] + [hi])


def with_amount_bin(df: DataFrame, edges: BinEdges) -> DataFrame:
    """Add ``amount_bin`` (int, 0-based, -1 = unknown) and ``amount_bin_label`` (string).

    Column expressions only (no join, no shuffle, no UDF). Existing columns with these names
    are replaced. Per-currency edges are looked up in a literal map keyed by the trimmed,
    upper-cased currency; currencies not in the map (and null currency) use the global edges.
    """
    source = "amount binning input"
    amount = _amount_column(df, edges.amount_column, source)
    k = len(edges.labels)
    kept = [_col(c) for c in df.columns if c not in (AMOUNT_BIN, AMOUNT_BIN_LABEL, _AMOUNT_TMP, _EDGES_TMP)]
    # Stage 1: the parsed amount (and the row's interior edges) once per row, in temporary columns
    # that the later stages read several times (Spark keeps such projections separate, so each
    # expression is evaluated once).
    stage1 = [amount.alias(_AMOUNT_TMP)]
    if edges.per_currency:
        currency = _currency_column(df, edges.currency_column, source)
        table = F.create_map(*[x for c, es in edges.currency_edges for x in (F.lit(c), _double_array(es[1:-1]))])
        stage1.append(F.coalesce(F.element_at(table, currency), _double_array(edges.edges[1:-1])).alias(_EDGES_TMP))
    staged = df.select(*kept, *stage1)
    value = F.col(_AMOUNT_TMP)
    if edges.per_currency:
        known = _bin_from_edge_array(value, F.col(_EDGES_TMP), k)
    else:
        known = _bin_from_literal_edges(value, edges.edges)
    bin_index = F.when(value.isNull(), F.lit(UNKNOWN_BIN)).otherwise(known).cast("int")
    binned = staged.select(*kept, bin_index.alias(AMOUNT_BIN))
    # Stage 2: label = ["unknown", label_0, ..., label_(k-1)][bin + 1] (1-based element_at).
    labels = F.array(F.lit(UNKNOWN_LABEL), *[F.lit(label) for label in edges.labels])
    label = F.element_at(labels, F.col(AMOUNT_BIN) + 2)
    return binned.select(*kept, F.col(AMOUNT_BIN), label.alias(AMOUNT_BIN_LABEL))


def binning_metrics(bin_column: str = AMOUNT_BIN) -> list[Column]:
    """Aggregate columns for the run's one metrics aggregation: rows in the unknown bin."""
    return [F.sum(F.when(F.col(bin_column) == UNKNOWN_BIN, 1).otherwise(0)).cast("long").alias("amount_unknown_bin_rows")]
