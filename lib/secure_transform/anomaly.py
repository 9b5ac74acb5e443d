"""Isolation Forest anomaly flagging: configuration, fit on a bounded sample, versioned model
artifacts, distributed scoring with explanations, and evaluation against labels.

* :func:`fit_anomaly_model` brings one bounded uniform random sample (at most ``sample_size``
  rows, feature columns only) to the driver, imputes missing values with the training median,
  fits scikit-learn's ``IsolationForest`` and sets the score threshold from the contamination.
* :func:`score_anomalies` broadcasts the model once and scores whole Arrow batches with one
  compiled ``Tree.apply`` per tree each (a ``pandas_udf``, see :class:`PathLengthScorer`);
  explanations are vectorised numpy.
* ``anomaly_score`` is the score of Liu et al. (2008), ``2 ** (-E[h(x)] / c(psi))``, i.e.
  ``-IsolationForest.score_samples``: in (0, 1], **higher = more anomalous**.

The rules (imputation, threshold tolerance, explanation method, artifact format) are in
``docs/ANOMALY.md``.
"""

from __future__ import annotations

import hashlib
import io as _bytes_io
import json
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping, Sequence

import pandas as pd  # module level: the pandas_udf's type hints are resolved in this namespace

from . import io as sio
from .errors import ConfigError, SchemaError
from .jsonargs import parse_json_arg
from .features import (
    DEFAULT_VELOCITY_WINDOWS,
    VelocityWindow,
    customer_feature_definitions,
    customer_feature_names,
    parse_velocity_window,
)

__all__ = [
    "AnomalyConfig",
    "AnomalyModel",
    "ModelCompatibilityError",
    "DEFAULT_FEATURES",
    "PIPELINE_FEATURES",
    "parse_anomaly_config",
    "validate_features",
    "fit_anomaly_model",
    "score_anomalies",
    "anomaly_metric_columns",
    "evaluate_against_labels",
    "explain_rows",
    "threshold_for",
    "ForestArrays",
    "PathLengthScorer",
]

DEFAULT_FEATURES = ("amount_bin", "merchant_risk", "time_delta", "velocity")
# Numeric columns main_etl adds before anomaly scoring (binning and merchant encoding).
PIPELINE_FEATURES = ("amount_bin", "merchant_risk")
OUTPUT_COLUMNS = ("anomaly_score", "is_anomaly", "anomaly_reasons")
FORMAT_VERSION = 1
_REASON_SEPARATOR = "\x1f"  # ASCII unit separator: joins reasons on the way back from Python
MAX_SAMPLE_SIZE = 2_000_000
_CONFIG_KEYS = ("contamination", "features", "n_estimators", "max_samples", "max_features", "random_state",
                "sample_size", "velocity_windows", "velocity_window", "max_reasons")
_NUMERIC_TYPES = ("byte", "short", "int", "integer", "long", "bigint", "smallint", "tinyint", "float", "double",
                  "boolean", "decimal")


class ModelCompatibilityError(ConfigError):
    """A saved model cannot be used here (other features, scikit-learn version or format)."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class AnomalyConfig:
    """Isolation Forest options. ``contamination`` comes from ``--anomaly_threshold``; the rest
    from ``--anomaly_config`` JSON. Errors name the option (the first word of the problem)."""

    contamination: float = 0.01
    features: tuple[str, ...] = DEFAULT_FEATURES
    n_estimators: int = 100
    max_samples: str | int | float = "auto"
    max_features: int | float = 1.0
    random_state: int = 42
    sample_size: int = 200_000
    velocity_windows: tuple[VelocityWindow, ...] = DEFAULT_VELOCITY_WINDOWS
    velocity_window: VelocityWindow = DEFAULT_VELOCITY_WINDOWS[0]
    max_reasons: int = 3

    def __post_init__(self) -> None:
        c = self.contamination
        if not _is_number(c) or not 0 < c <= 0.5:
            raise ConfigError("--anomaly_threshold", f"must be in (0, 0.5], got {c!r}")

        def bad(problem: str) -> ConfigError:
            return ConfigError("--anomaly_config", problem)

        feats = self.features
        if not isinstance(feats, tuple) or not feats or not all(isinstance(f, str) and f.strip() for f in feats):
            raise bad("features must be a non-empty list of column names")
        if len(set(feats)) != len(feats):
            raise bad("features must not repeat a name")
        if any(ch < " " for f in feats for ch in f):
            raise bad("features must not contain control characters")
        if not _is_int(self.n_estimators) or not 1 <= self.n_estimators <= 10_000:
            raise bad(f"n_estimators must be an integer in [1, 10000], got {self.n_estimators!r}")
        ms = self.max_samples
        if not (ms == "auto" or (_is_int(ms) and ms >= 2) or (isinstance(ms, float) and 0 < ms <= 1)):
            raise bad(f"max_samples must be 'auto', an integer >= 2 or a fraction in (0, 1], got {ms!r}")
        mf = self.max_features
        if not ((_is_int(mf) and 1 <= mf <= len(feats)) or (isinstance(mf, float) and 0 < mf <= 1)):
            raise bad(f"max_features must be an integer in [1, {len(feats)}] (the number of features) "
                      f"or a fraction in (0, 1], got {mf!r}")
        if not _is_int(self.random_state) or not 0 <= self.random_state < 2**32:
            raise bad(f"random_state must be an integer in [0, 2**32), got {self.random_state!r}")
        if not _is_int(self.sample_size) or not 2 <= self.sample_size <= MAX_SAMPLE_SIZE:
            raise bad(f"sample_size must be an integer in [2, {MAX_SAMPLE_SIZE}], got {self.sample_size!r}")
        windows = self.velocity_windows
        if not isinstance(windows, tuple) or not windows or not all(isinstance(w, VelocityWindow) for w in windows):
            raise bad("velocity_windows must be a non-empty list of durations such as ['1h', '24h']")
        if len({w.seconds for w in windows}) != len(windows):
            raise bad("velocity_windows must not repeat a duration")
        if self.velocity_window not in windows:
            raise bad("velocity_window must be one of velocity_windows: " + ", ".join(w.label for w in windows))
        if not _is_int(self.max_reasons) or not 1 <= self.max_reasons <= 10:
            raise bad(f"max_reasons must be an integer in [1, 10], got {self.max_reasons!r}")

    def to_json(self) -> dict[str, Any]:
        return {"contamination": self.contamination, "features": list(self.features),
                "n_estimators": self.n_estimators, "max_samples": self.max_samples,
                "max_features": self.max_features, "random_state": self.random_state,
                "sample_size": self.sample_size, "velocity_windows": [w.label for w in self.velocity_windows],
                "velocity_window": self.velocity_window.label, "max_reasons": self.max_reasons}


def _parse_contamination(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ConfigError("--anomaly_threshold", "must be a number in (0, 0.5]") from None
    if not _is_number(value):
        raise ConfigError("--anomaly_threshold", "must be a number in (0, 0.5]")
    return float(value)


def parse_anomaly_config(value: str | Mapping[str, Any] | None, contamination: float | str) -> AnomalyConfig:
    """Build the config from ``--anomaly_config`` (JSON text, a mapping or None) and
    ``--anomaly_threshold``. A ``contamination`` key in the JSON must agree with the threshold."""
    c = _parse_contamination(contamination)
    if value is None or (isinstance(value, str) and not value.strip()):
        options: Mapping[str, Any] = {}
    elif isinstance(value, str):
        options = parse_json_arg(value, "--anomaly_config")
    else:
        options = value
    if not isinstance(options, Mapping):
        raise ConfigError("--anomaly_config", "must be a JSON object")
    unknown = sorted(set(options) - set(_CONFIG_KEYS))
    if unknown:
        raise ConfigError("--anomaly_config", f"unknown option(s) {', '.join(map(str, unknown))}; valid: "
                          + ", ".join(_CONFIG_KEYS))
    if "contamination" in options and _parse_contamination(options["contamination"]) != c:
        raise ConfigError("--anomaly_config", "contamination differs from --anomaly_threshold; set it in one place")
    kw: dict[str, Any] = {}
    if "features" in options:
        feats = options["features"]
        if isinstance(feats, str):
            feats = [f.strip() for f in feats.split(",")]
        if not isinstance(feats, (list, tuple)):
            raise ConfigError("--anomaly_config", "features must be a non-empty list of column names")
        kw["features"] = tuple(feats)
    for key in ("n_estimators", "max_samples", "max_features", "random_state", "sample_size", "max_reasons"):
        if key in options:
            kw[key] = options[key]
    if "velocity_windows" in options:
        raw = options["velocity_windows"]
        if not isinstance(raw, (list, tuple)):
            raise ConfigError("--anomaly_config", "velocity_windows must be a non-empty list of durations such as ['1h', '24h']")
        kw["velocity_windows"] = tuple(parse_velocity_window(w) for w in raw)
    windows = kw.get("velocity_windows", DEFAULT_VELOCITY_WINDOWS)
    if "velocity_window" in options:
        kw["velocity_window"] = parse_velocity_window(options["velocity_window"])
    else:  # `velocity` is the 1h count, or the first configured window when there is no 1h window
        kw["velocity_window"] = VelocityWindow(3600) if VelocityWindow(3600) in windows or not windows else windows[0]
    return AnomalyConfig(contamination=c, **kw)


def _schema_pairs(schema: Any) -> list[tuple[str, str]]:
    if hasattr(schema, "fields"):  # a Spark StructType
        return [(f.name, f.dataType.simpleString()) for f in schema.fields]
    return [(str(n), str(t)) for n, t in schema]


def validate_features(df_columns_and_types: Any, config: AnomalyConfig, *, provided: Iterable[str] = (),
                      customer_column: str = "customer_id", timestamp_column: str = "transaction_ts",
                      parameter: str = "--anomaly_config", allow_derived: bool = True) -> None:
    """Check every configured feature is usable, from the schema alone (no data is read).

    ``df_columns_and_types``: a StructType or ``(name, type)`` pairs. A feature is valid when it
    is a numeric input column, a derived customer feature (``time_delta``, ``velocity``,
    ``velocity_<w>``; then the customer and timestamp columns must exist) or one of ``provided``
    (numeric columns the caller adds later, e.g. :data:`PIPELINE_FEATURES`). Identifying columns
    (:func:`secure_transform.identifiers.is_identifying`: card numbers, customer and record ids)
    are neither offered nor accepted, numeric or not. With ``allow_derived=False`` (fit and
    score) every feature must already be a numeric column.
    """
    from .identifiers import is_identifying

    pairs = _schema_pairs(df_columns_and_types)
    types = dict(pairs)
    # identifiers read as numbers (card numbers, customer or record ids) are never features
    numeric = {n for n, t in pairs if t.split("(")[0] in _NUMERIC_TYPES and not is_identifying(n)}
    derived = set(customer_feature_names(config))
    has_keys = customer_column in types and timestamp_column in types
    provided = set(provided)
    offered = numeric | provided | (derived if allow_derived and has_keys else set())
    valid = ", ".join(sorted(offered)) or "(none)"
    for feat in config.features:
        if feat in provided or feat in numeric:
            continue
        if feat in types and is_identifying(feat):
            raise ConfigError(parameter, f"feature {feat!r} identifies a person or record, so it is not a "
                              f"feature (its values would be stored in the model); valid features: {valid}")
        if feat in types:
            raise ConfigError(parameter, f"feature {feat!r} is a {types[feat]} column, not numeric; "
                              f"valid features: {valid}")
        if feat in derived and allow_derived:
            if has_keys:
                continue
            missing = [c for c in (customer_column, timestamp_column) if c not in types]
            raise ConfigError(parameter, f"feature {feat!r} needs column(s) {', '.join(missing)}, which the "
                              f"input lacks; valid features: {valid}")
        if feat in derived:
            raise ConfigError(parameter, f"feature {feat!r} is not a column of the input; add the customer "
                              f"features first (with_customer_features); valid features: {valid}")
        raise ConfigError(parameter, f"feature {feat!r} is neither a derived feature nor a numeric input column; "
                          f"valid features: {valid}")


def _feature_signature(config: AnomalyConfig) -> list[str]:
    """Feature names with the definition of each derived one (a window change changes it)."""
    defs = customer_feature_definitions(config)
    return [f"{f} = {defs[f]}" if f in defs else f for f in config.features]


# --------------------------------------------------------------------------------------- model


@dataclass(frozen=True, eq=False)
class AnomalyModel:
    """A fitted model: estimator, feature order, imputation values and score threshold.

    ``estimator.offset_`` is set to ``-threshold``, so ``estimator.predict`` agrees with
    ``is_anomaly`` (flagged iff ``anomaly_score > threshold``).
    """

    estimator: Any
    config: AnomalyConfig
    impute_values: tuple[float, ...]
    threshold: float
    training: Mapping[str, Any]
    sklearn_version: str
    created_at: str
    model_id: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def features(self) -> tuple[str, ...]:
        return self.config.features

    def save(self, loc: sio.Location, session: Any = None) -> sio.Location:
        """Write ``<loc>/estimator-<sha>.joblib`` then ``<loc>/model.json`` (last: a reader sees
        the previous complete model or this one, never half of one). Returns the JSON's location."""
        blob, sha = _serialise_estimator(self.estimator)
        name = f"estimator-{sha[:16]}.joblib"
        sio.write_bytes(loc.child(name), blob, session)
        sio.write_json(loc.child("model.json"), _model_document(self, name, sha), session)
        return loc.child("model.json")

    @classmethod
    def load(cls, loc: sio.Location, session: Any = None, expected_features: Sequence[str] | AnomalyConfig | None = None,
             *, parameter: str = "--model") -> "AnomalyModel":
        """Read a model saved by :meth:`save`, refusing one that does not fit this runtime.

        ``expected_features``: the feature names in order, or an ``AnomalyConfig`` (then the
        definitions of derived features, e.g. the velocity window, must match too).
        """
        import joblib
        import sklearn

        where = f"model at {loc.uri}"
        doc_loc = loc.child("model.json")
        if not sio.exists(doc_loc, session):
            raise ModelCompatibilityError(parameter, f"no anomaly model at {loc.uri} (model.json missing); "
                                          "fit one first (run mode fit or `secure-transform anomaly fit`)")
        doc = sio.read_json(doc_loc, session)
        if doc.get("format") != "secure-transform-anomaly-model" or doc.get("format_version") != FORMAT_VERSION:
            raise ModelCompatibilityError(parameter, f"{where} has format {doc.get('format')!r} version "
                                          f"{doc.get('format_version')!r}; this release reads version {FORMAT_VERSION}")
        saved, here = doc["sklearn_version"], sklearn.__version__
        if saved.split(".")[:2] != here.split(".")[:2]:
            raise ModelCompatibilityError(parameter, f"{where} was saved with scikit-learn {saved}; this runtime has "
                                          f"{here} (major.minor must match); refit the model")
        config = _config_from_json(doc["config"])
        if expected_features is not None:
            if isinstance(expected_features, AnomalyConfig):
                want, have = _feature_signature(expected_features), doc["feature_signature"]
            else:
                want, have = list(expected_features), list(config.features)
            if want != have:
                raise ModelCompatibilityError(parameter, f"{where} was trained on features [{'; '.join(have)}] but "
                                              f"[{'; '.join(want)}] are configured (same names, definitions and order "
                                              "required); refit the model or change the features")
        blob = sio.read_bytes(loc.child(doc["estimator_file"]), session)
        if hashlib.sha256(blob).hexdigest() != doc["estimator_sha256"]:
            raise ModelCompatibilityError(parameter, f"{where}: {doc['estimator_file']} does not match the hash "
                                          "recorded in model.json (corrupt or replaced); refit the model")
        # joblib unpickles: the model location must be writable only by the jobs (see docs/ANOMALY.md).
        estimator = joblib.load(_bytes_io.BytesIO(blob))
        from sklearn.ensemble import IsolationForest

        if not isinstance(estimator, IsolationForest):
            raise ModelCompatibilityError(parameter, f"{where} does not hold an IsolationForest")
        return cls(estimator=estimator, config=config, impute_values=tuple(doc["impute_values"]),
                   threshold=float(doc["threshold"]), training=doc["training"], sklearn_version=saved,
                   created_at=doc["created_at"], model_id=doc["model_id"], metadata=doc)


def _config_from_json(data: Mapping[str, Any]) -> AnomalyConfig:
    options = dict(data)
    contamination = options.pop("contamination")
    return parse_anomaly_config(options, contamination)


def _serialise_estimator(estimator: Any) -> tuple[bytes, str]:
    import joblib

    buffer = _bytes_io.BytesIO()
    joblib.dump(estimator, buffer, compress=3)
    blob = buffer.getvalue()
    return blob, hashlib.sha256(blob).hexdigest()


def _model_document(model: AnomalyModel, estimator_file: str, sha: str) -> dict[str, Any]:
    """model.json. ``model_id`` is assigned at fit (hash of the fitted content) and kept."""
    import numpy

    doc = {
        "format": "secure-transform-anomaly-model",
        "format_version": FORMAT_VERSION,
        "created_at": model.created_at,
        "sklearn_version": model.sklearn_version,
        "numpy_version": numpy.__version__,
        "pandas_version": pd.__version__,
        "features": list(model.features),
        "feature_signature": _feature_signature(model.config),
        "config": model.config.to_json(),
        "impute_values": list(model.impute_values),
        "threshold": model.threshold,
        "score": "anomaly_score = -IsolationForest.score_samples, in (0, 1], higher = more anomalous; "
                 "is_anomaly = anomaly_score > threshold",
        "training": dict(model.training),
        "estimator_file": estimator_file,
        "estimator_sha256": sha,
    }
    canonical = json.dumps({k: v for k, v in doc.items() if k != "created_at"}, sort_keys=True, default=str)
    doc["model_id"] = model.model_id or hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return doc


def _feature_stats(x: Any, missing: Any) -> dict[str, Any]:
    import numpy as np

    present = x[~missing]
    if present.size == 0:
        return {"missing_share": 1.0}
    q = np.quantile(present, [0.01, 0.25, 0.5, 0.75, 0.99])
    return {"missing_share": float(missing.mean()), "min": float(present.min()), "max": float(present.max()),
            "mean": float(present.mean()), "std": float(present.std()), "p01": float(q[0]), "p25": float(q[1]),
            "median": float(q[2]), "p75": float(q[3]), "p99": float(q[4])}


def threshold_for(scores: Any, contamination: float) -> float:
    """The score threshold: the (k+1)-th highest training score with k = round(c * n) (at most
    n - 1). Rows scoring strictly above it are flagged, so on the training sample exactly k rows
    are flagged when scores are distinct; a tie at the threshold is never split (all unflagged)."""
    import numpy as np

    n = len(scores)
    k = min(int(math.floor(contamination * n + 0.5)), n - 1)
    ordered = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    return float(ordered[k])


def fit_anomaly_model(df: Any, config: AnomalyConfig, *, row_count: int | None = None) -> AnomalyModel:
    """Fit on a uniform random sample of at most ``config.sample_size`` rows.

    ``row_count`` (optional, e.g. the stage's rows_in) lets Spark thin the data with a Bernoulli
    ``sample`` first; without it the sample is one ``orderBy(rand).limit`` pass (per-partition
    top-k, no count needed). Either way only the feature columns of the sample reach the driver.
    """
    import numpy as np
    import sklearn
    from pyspark.sql import functions as F
    from sklearn.ensemble import IsolationForest

    validate_features(df.schema, config, allow_derived=False)
    feats_df = df.select(*[F.col(_quote(f)).cast("double").alias(f"f{i}") for i, f in enumerate(config.features)])
    if row_count is not None and row_count > 0:
        fraction = min(1.0, 1.1 * config.sample_size / row_count)
        if fraction < 1.0:
            feats_df = feats_df.sample(withReplacement=False, fraction=fraction, seed=config.random_state)
    sample_df = feats_df.orderBy(F.rand(config.random_state)).limit(config.sample_size)
    # The one bounded collect of this module: at most sample_size rows x len(features) doubles.
    pdf = sample_df.toPandas()
    x = pdf.to_numpy(dtype=np.float64, na_value=np.nan).reshape(len(pdf), len(config.features))
    n = x.shape[0]
    if n == 0:
        raise SchemaError("anomaly training data", None, "has no rows; cannot fit a model")
    missing = ~np.isfinite(x)
    stats = {f: _feature_stats(x[:, j], missing[:, j]) for j, f in enumerate(config.features)}
    impute = np.array([stats[f].get("median", 0.0) for f in config.features], dtype=np.float64)
    x = np.where(missing, impute, x)

    max_samples = config.max_samples
    if _is_int(max_samples):
        max_samples = min(max_samples, n)  # tiny inputs: every tree sees all rows
    estimator = IsolationForest(n_estimators=config.n_estimators, max_samples=max_samples,
                                max_features=config.max_features, contamination="auto",
                                random_state=config.random_state)
    estimator.fit(x)
    scores = -estimator.score_samples(x)
    threshold = threshold_for(scores, config.contamination)
    estimator.offset_ = -threshold  # estimator.predict == is_anomaly
    training = {"rows": n, "flagged": int((scores > threshold).sum()),
                "flagged_share": float((scores > threshold).mean()),
                "tolerance": "|flagged_share - contamination| <= 1/(2 rows) unless scores tie at the threshold",
                "max_samples_used": int(estimator.max_samples_), "feature_stats": stats,
                "score_quantiles": {q: float(v) for q, v in zip(("p50", "p90", "p99", "max"),
                                                                np.quantile(scores, [0.5, 0.9, 0.99, 1.0]))}}
    model = AnomalyModel(estimator=estimator, config=config, impute_values=tuple(float(v) for v in impute),
                         threshold=threshold, training=training, sklearn_version=sklearn.__version__,
                         created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    blob, sha = _serialise_estimator(estimator)
    return replace(model, model_id=_model_document(model, "", sha)["model_id"])


# ------------------------------------------------------------------------------------- scoring


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _path_credit_tables(feature: Any, left: Any, right: Any, size: Any, p: int) -> tuple[Any, Any]:
    """Per tree and node, the isolation credit (and its signed form) a row collects on the way
    from the root to that node: at each split, the feature split on gains ``1 - n_child /
    n_parent``, signed + for the right (above the split) and - for the left child. Computed level
    by level for all trees at once (children always have larger indexes than their parent)."""
    import numpy as np

    n_trees, width = feature.shape
    credit, signed = np.zeros((n_trees * width, p)), np.zeros((n_trees * width, p))
    flat_feature, flat_size = feature.ravel(), size.ravel()
    offsets = np.arange(n_trees) * width
    frontier = offsets.copy()  # the roots
    while frontier.size:
        parents = frontier[flat_feature[frontier] >= 0]
        nxt = []
        for children, sign in ((left, -1.0), (right, 1.0)):
            kids = children.ravel()[parents] + (parents // width) * width
            gain = 1.0 - flat_size[kids] / flat_size[parents]
            feat = flat_feature[parents]
            credit[kids] = credit[parents]
            signed[kids] = signed[parents]
            credit[kids, feat] += gain
            signed[kids, feat] += sign * gain
            nxt.append(kids)
        frontier = np.concatenate(nxt) if parents.size else parents
    return credit.reshape(n_trees, width, p), signed.reshape(n_trees, width, p)


@dataclass(frozen=True, eq=False)
class ForestArrays:
    """The forest's trees as padded (trees x nodes) arrays, for vectorised path traversal.
    ``feature`` holds the global feature index of each split (-1 at leaves)."""

    feature: Any
    threshold: Any
    left: Any
    right: Any
    size: Any
    depth: int
    trees: tuple = ()  # the fitted trees and their feature subsets, for compiled Tree.apply
    tree_features: tuple = ()
    node_credit: Any = None  # (trees x nodes x features): credit accumulated from the root
    node_signed: Any = None

    @classmethod
    def of(cls, estimator: Any) -> "ForestArrays":
        import numpy as np

        trees = [e.tree_ for e in estimator.estimators_]
        shape = (len(trees), max(t.node_count for t in trees))
        feature, left, right = np.full(shape, -1), np.full(shape, -1), np.full(shape, -1)
        threshold, size = np.zeros(shape), np.ones(shape)
        for i, (t, feats) in enumerate(zip(trees, estimator.estimators_features_)):
            k = t.node_count
            internal = t.children_left[:k] != -1
            feature[i, :k] = np.where(internal, np.asarray(feats)[np.maximum(t.feature[:k], 0)], -1)
            threshold[i, :k], left[i, :k], right[i, :k] = t.threshold[:k], t.children_left[:k], t.children_right[:k]
            size[i, :k] = t.n_node_samples[:k]
        credit, signed = _path_credit_tables(feature, left, right, size, estimator.n_features_in_)
        return cls(feature, threshold, left, right, size, max(t.max_depth for t in trees), tuple(trees),
                   tuple(np.asarray(f) for f in estimator.estimators_features_), credit, signed)

    def path_credit(self, x: Any) -> tuple[Any, Any]:
        """``(credit, signed)`` of :meth:`isolation_credit`, from each row's leaf per tree.

        A row's credit depends only on its path, i.e. on its leaf, so every node's credit from
        the root is tabulated once (``node_credit``); a row then costs one compiled
        ``Tree.apply`` per tree and a gather. Equal to :meth:`isolation_credit` up to the order
        of floating-point additions.
        """
        import numpy as np

        x32 = np.ascontiguousarray(x, dtype=np.float32)
        n_trees, width, p = self.node_credit.shape
        credit, signed = np.zeros((len(x32), p)), np.zeros((len(x32), p))
        flat_credit, flat_signed = self.node_credit.reshape(-1, p), self.node_signed.reshape(-1, p)
        for i, (tree, feats) in enumerate(zip(self.trees, self.tree_features)):
            leaves = tree.apply(np.ascontiguousarray(x32[:, feats])) + i * width
            credit += flat_credit[leaves]
            signed += flat_signed[leaves]
        return credit, signed

    def isolation_credit(self, x: Any) -> tuple[Any, Any, Any]:
        """Walk every row down every tree at once (one numpy step per depth level).

        Returns ``(credit, signed, leaves)``: per row and feature, the summed share of the node's
        training samples each split on that feature separated from the row, the same signed by
        side (right = above the split), and each row's leaf per tree (equal to ``tree.apply``).
        """
        import numpy as np

        n, p = x.shape
        n_trees, width = self.feature.shape
        # Trees compare float32 inputs with float64 thresholds (left iff x <= threshold).
        values = np.asarray(x, dtype=np.float32).astype(np.float64).ravel()
        feature, threshold = self.feature.ravel(), self.threshold.ravel()
        left, right_child, size = self.left.ravel(), self.right.ravel(), self.size.ravel()
        offsets = (np.arange(n_trees) * width)[None, :]
        row_base = (np.arange(n) * p)[:, None]
        node = np.broadcast_to(offsets, (n, n_trees)).copy()  # flat index of each row's node per tree
        credit, signed = np.zeros(n * p), np.zeros(n * p)
        for _ in range(self.depth):
            feat = feature[node]
            active = feat >= 0
            if not active.any():
                break
            cell = row_base + np.where(active, feat, 0)
            right = values[cell] > threshold[node]
            child = np.where(active, np.where(right, right_child[node], left[node]) + offsets, node)
            gain = 1.0 - size[child] / size[node]
            credit += np.bincount(cell[active], weights=gain[active], minlength=n * p)
            signed += np.bincount(cell[active], weights=np.where(right, gain, -gain)[active], minlength=n * p)
            node = child
        return credit.reshape(n, p), signed.reshape(n, p), node - offsets


def _average_path_length(n_samples: Any) -> Any:
    """c(n): the average path length of an unsuccessful binary-search-tree search among n
    samples (Liu et al. 2008), the correction added at a leaf holding n training samples:
    0 for n <= 1, 1 for n = 2, else ``2 (ln(n - 1) + euler_gamma) - 2 (n - 1) / n``."""
    import numpy as np

    n = np.asarray(n_samples, dtype=np.float64)
    out = np.zeros(n.shape)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


@dataclass(frozen=True, eq=False)
class PathLengthScorer:
    """Isolation Forest scores with one compiled ``Tree.apply`` per tree and a table lookup.

    ``IsolationForest.score_samples`` validates its input and dispatches each tree through
    joblib on every call; for the many Arrow batches of a distributed scoring run that overhead
    is a quarter of the work. Here each tree's leaf gets its path-length term once, when the
    model is broadcast -- ``depth(leaf) + c(n_leaf_samples) - 1``, the number of nodes on the
    path (root = 1) as scikit-learn counts it -- and a batch costs one ``apply`` and one gather
    per tree, summed in the trees' order. The scores are scikit-learn's bit for bit
    (``tests/test_anomaly.py`` asserts exact equality).
    """

    trees: tuple
    features: tuple  # per tree: the column indices it was fitted on, or None for all columns
    leaf_terms: tuple
    denominator: float
    thresholds: tuple = ()  # per input column: the sorted distinct split values of all trees
    radix: tuple = ()  # mixed-radix weights turning a row's interval codes into one int64 key

    @classmethod
    def of(cls, estimator: Any) -> "PathLengthScorer":
        import numpy as np

        trees, features, terms = [], [], []
        n_features = estimator.n_features_in_
        for est, feats in zip(estimator.estimators_, estimator.estimators_features_):
            tree = est.tree_
            depth = np.zeros(tree.node_count, dtype=np.float64)  # root = 1, as decision_path counts
            depth[0] = 1.0
            for node in range(tree.node_count):  # children always follow their parent
                for child in (tree.children_left[node], tree.children_right[node]):
                    if child != -1:
                        depth[child] = depth[node] + 1.0
            terms.append(depth + _average_path_length(tree.n_node_samples) - 1.0)
            trees.append(tree)
            feats = np.asarray(feats)
            features.append(None if len(feats) == n_features and (feats == np.arange(n_features)).all() else feats)
        denominator = len(trees) * float(_average_path_length([estimator.max_samples_])[0])
        splits: list[list] = [[] for _ in range(n_features)]
        for est, feats in zip(estimator.estimators_, estimator.estimators_features_):
            tree = est.tree_
            internal = tree.children_left != -1
            for f, t in zip(np.asarray(feats)[tree.feature[internal]], tree.threshold[internal]):
                splits[f].append(t)
        thresholds = tuple(np.unique(np.asarray(v, dtype=np.float64)) for v in splits)
        radix, weight = [], 1
        for t in reversed(thresholds):
            radix.insert(0, weight)
            weight *= len(t) + 1
        if weight >= 2 ** 62:  # too many interval combinations for one int64 key: no deduplication
            thresholds, radix = (), []
        return cls(tuple(trees), tuple(features), tuple(terms), denominator, thresholds, tuple(radix))

    def score(self, x: Any) -> Any:
        """``-IsolationForest.score_samples(x)`` for float64 rows ``x`` (imputed): in (0, 1].

        Rows that fall in the same interval between consecutive split values of every column
        take the same path in every tree, so they get the same score. Fraud features are mostly
        discrete (bins, risk levels, counts), so a batch often holds far fewer distinct interval
        combinations than rows (about a third in the generated data): only one row of each is
        walked down the trees. The comparison is the trees' own (float32 value <= float64 split),
        so the scores stay scikit-learn's bit for bit. When most rows are distinct, all are walked.
        """
        import numpy as np

        x32 = np.ascontiguousarray(x, dtype=np.float32)  # trees split float32 inputs
        if self.radix and len(x32) > 1:
            wide = x32.astype(np.float64)
            key = np.zeros(len(x32), dtype=np.int64)
            for j, (t, w) in enumerate(zip(self.thresholds, self.radix)):
                # index = number of splits below the value: v <= t[k] exactly when k >= index
                key += np.searchsorted(t, wide[:, j], side="left").astype(np.int64) * w
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            if len(first) <= 0.7 * len(x32):
                return self._walk(x32[first])[inverse.ravel()]
        return self._walk(x32)

    def _walk(self, x32: Any) -> Any:
        import numpy as np

        depths = np.zeros(len(x32), dtype=np.float64)
        for tree, feats, term in zip(self.trees, self.features, self.leaf_terms):
            rows = x32 if feats is None else np.ascontiguousarray(x32[:, feats])
            depths += term[tree.apply(rows)]
        if self.denominator == 0:  # one training sample: scikit-learn sets the ratio to 1
            return np.full(len(x32), 0.5)
        return 2 ** (-(depths / self.denominator))


@dataclass(frozen=True, eq=False)
class _Scorer:
    """What the executors need, broadcast once per scoring query."""

    paths: PathLengthScorer
    forest: ForestArrays
    names: tuple[str, ...]
    impute: Any  # numpy array
    threshold: float
    max_reasons: int

    def score(self, x: Any) -> tuple[Any, Any, Any]:
        import numpy as np

        missing = ~np.isfinite(x)
        x = np.where(missing, self.impute, x)
        scores = self.paths.score(x)
        flags = scores > self.threshold
        reasons = np.full(len(scores), None, dtype=object)
        if flags.any():
            explained = explain_rows(self.forest, x[flags], missing[flags], self.names, self.max_reasons)
            reasons[flags] = [_REASON_SEPARATOR.join(r) if r else None for r in explained]
        return scores, flags, reasons


def explain_rows(forest: ForestArrays | Any, x: Any, missing: Any, names: Sequence[str],
                 max_reasons: int) -> list[list[str]]:
    """Top contributing features per row, by isolation credit along each tree's path.

    At every split on a row's path, the feature split on is credited with the share of the
    node's training samples the split separates from the row ((n_parent - n_child) / n_parent),
    signed by the side the row goes to (right = above the split = "high"). Credits are summed
    over the trees. Reported, most important first and at most ``max_reasons``: the top feature,
    then every further feature holding more than an equal share (1/p) of the row's credit, as
    "<feature> high", "<feature> low" or "<feature> missing" (imputed value). ``forest`` is a
    :class:`ForestArrays` or a fitted IsolationForest.
    """
    import numpy as np

    if not isinstance(forest, ForestArrays):
        forest = ForestArrays.of(forest)
    n, p = x.shape
    out: list[list[str]] = []
    labels = np.array([[f"{name} high", f"{name} low", f"{name} missing"] for name in names], dtype=object)
    for start in range(0, n, 4096):  # bounded memory when many rows are flagged
        chunk = slice(start, min(n, start + 4096))
        credit, signed = forest.path_credit(x[chunk])
        total = credit.sum(axis=1, keepdims=True)
        share = np.divide(credit, total, out=np.zeros_like(credit), where=total > 0)
        order = np.argsort(-credit, axis=1, kind="stable")[:, :max_reasons]
        top = np.take_along_axis(credit, order, axis=1)
        # a reason is a feature with more than an equal share of the credit (the top one always)
        keep = (top > 0) & ((np.take_along_axis(share, order, axis=1) * p > 1.0) | (np.arange(order.shape[1]) == 0))
        keep = np.logical_and.accumulate(keep, axis=1)
        word = np.where(np.take_along_axis(missing[chunk], order, axis=1), 2,
                        np.where(np.take_along_axis(signed, order, axis=1) >= 0, 0, 1))
        text = labels[order, word]
        out.extend([list(t[k]) for t, k in zip(text, keep)])
    return out


def _score_batches(batches: Iterator[pd.DataFrame], scorer_bc: Any) -> Iterator[pd.DataFrame]:
    import numpy as np

    scorer: _Scorer = scorer_bc.value  # deserialised once per Python worker, reused for every batch
    for batch in batches:
        x = batch.to_numpy(dtype=np.float64, na_value=np.nan)
        scores, _, reasons = scorer.score(x)
        # Two narrow columns back to the JVM (a boolean and an array column would cost a third
        # more Arrow conversion); is_anomaly and the array are rebuilt natively in Spark.
        yield pd.DataFrame({"anomaly_score": scores, "anomaly_reasons": reasons})


def score_anomalies(df: Any, model: AnomalyModel) -> Any:
    """Keep every input column and add ``anomaly_score`` (double, higher = more anomalous),
    ``is_anomaly`` (boolean) and ``anomaly_reasons`` (array<string>, null unless flagged)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    import numpy as np

    validate_features(df.schema, model.config, parameter="--model", allow_derived=False)
    clash = [c for c in OUTPUT_COLUMNS if c in df.columns]
    if clash:
        raise SchemaError("input", clash[0], "already exists; scoring would overwrite it")
    scorer = _Scorer(PathLengthScorer.of(model.estimator), ForestArrays.of(model.estimator), model.features,
                     np.asarray(model.impute_values), model.threshold, model.config.max_reasons)
    scorer_bc = df.sparkSession.sparkContext.broadcast(scorer)
    schema = T.StructType([T.StructField("anomaly_score", T.DoubleType()),
                           T.StructField("anomaly_reasons", T.StringType())])

    # Python is needed here: Isolation Forest scoring is scikit-learn. Only the feature columns
    # cross to Python, as whole Arrow batches scored with one Tree.apply per tree each.
    @F.pandas_udf(schema)
    def isolation_forest(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return _score_batches(batches, scorer_bc)

    packed = F.struct(*[F.col(_quote(f)).cast("double").alias(f"f{i}") for i, f in enumerate(model.features)])
    result = "__secure_transform_anomaly"
    scored_df = df.select("*", isolation_forest(packed).alias(result))
    score = F.col(f"{result}.anomaly_score")
    return scored_df.select(*[F.col(_quote(c)) for c in df.columns], score.alias("anomaly_score"),
                            # the same float64 comparison the Python side uses to pick rows to explain
                            (score > F.lit(model.threshold)).alias("is_anomaly"),
                            F.split(F.col(f"{result}.anomaly_reasons"), _REASON_SEPARATOR).alias("anomaly_reasons"))


# ---------------------------------------------------------------------------------- evaluation


def anomaly_metric_columns() -> list[Any]:
    """Aggregate expressions for a run summary over a scored DataFrame (fold into the stage's
    one aggregation): ``anomalies_flagged`` and ``rows_scored``; flagged_rate = their ratio."""
    from pyspark.sql import functions as F

    return [F.sum(F.col("is_anomaly").cast("long")).alias("anomalies_flagged"),
            F.count(F.col("anomaly_score")).alias("rows_scored")]


def evaluate_against_labels(scored_df: Any, labels_df: Any, *, id_column: str = "transaction_id",
                            label_column: str = "is_anomaly", type_column: str | None = "anomaly_type",
                            resolution: float = 1e-5) -> dict[str, Any]:
    """ROC-AUC and precision/recall at the flagged rate against ground-truth labels.

    Bounded: one Spark aggregation of the joined rows into score buckets of width
    ``resolution`` (at most 1/resolution + 1 buckets x 2 labels x 2 flags x label types reach
    the driver), never the rows. ROC-AUC is the Mann-Whitney statistic over buckets with ties
    in a bucket counted 1/2; ``roc_auc_max_error`` bounds the effect of that bucketing.
    Precision/recall at the flagged rate are exact (``is_anomaly`` flags the top-scored rows).
    """
    import numpy as np
    from pyspark.sql import functions as F

    for name in (id_column, label_column):
        if name not in labels_df.columns:
            raise SchemaError("labels", name, "is required but missing")
    for name in (id_column, "anomaly_score", "is_anomaly"):
        if name not in scored_df.columns:
            raise SchemaError("scored data", name, "is required but missing")
    lab = [F.col(id_column), (F.col(label_column).cast("int") == 1).alias("_label")]
    has_type = bool(type_column) and type_column in labels_df.columns
    lab.append((F.col(type_column) if has_type else F.lit(None).cast("string")).alias("_type"))
    joined = scored_df.select(id_column, "anomaly_score", "is_anomaly").join(labels_df.select(*lab), id_column)
    buckets = int(round(1 / resolution))
    grouped = joined.groupBy(F.floor(F.col("anomaly_score") * buckets).alias("_b"), "_label",
                             F.coalesce(F.col("is_anomaly"), F.lit(False)).alias("_flag"),
                             F.when(F.col("_label"), F.col("_type")).alias("_type")).count()
    rows = grouped.collect()  # bounded: one row per (bucket, label, flag, type) combination
    pos: dict[int, int] = {}
    neg: dict[int, int] = {}
    flagged = tp = positives = total = 0
    by_type: dict[str, list[int]] = {}
    for r in rows:
        total += r["count"]
        if r["_flag"]:
            flagged += r["count"]
        if r["_label"]:
            positives += r["count"]
            tp += r["count"] if r["_flag"] else 0
            pos[r["_b"]] = pos.get(r["_b"], 0) + r["count"]
            if r["_type"] is not None:
                entry = by_type.setdefault(r["_type"], [0, 0])
                entry[0] += r["count"]
                entry[1] += r["count"] if r["_flag"] else 0
        else:
            neg[r["_b"]] = neg.get(r["_b"], 0) + r["count"]
    negatives = total - positives
    result: dict[str, Any] = {"rows_evaluated": total, "positives": positives, "flagged": flagged,
                              "true_positives": tp, "flagged_rate": flagged / total if total else None,
                              "precision_at_flagged_rate": tp / flagged if flagged else None,
                              "recall_at_flagged_rate": tp / positives if positives else None,
                              "roc_auc": None, "roc_auc_max_error": None,
                              "recall_by_type": {k: v[1] / v[0] for k, v in sorted(by_type.items())}}
    if positives and negatives:
        keys = np.array(sorted(set(pos) | set(neg)))
        p = np.array([pos.get(k, 0) for k in keys], dtype=np.float64)
        q = np.array([neg.get(k, 0) for k in keys], dtype=np.float64)
        below = np.concatenate([[0.0], np.cumsum(q)[:-1]])  # negatives in lower buckets
        pairs = positives * negatives
        result["roc_auc"] = float((p * below).sum() + 0.5 * (p * q).sum()) / pairs
        result["roc_auc_max_error"] = float(0.5 * (p * q).sum()) / pairs
    return result
