"""The one typed, validated configuration of the transformation job (``main_etl``).

Built from the job's arguments (``--source_bucket``, ``--target_bucket``, ``--pii_columns``,
``--binning_config``, ``--merchant_mapping``, ``--anomaly_threshold`` and the optional ones in
:mod:`secure_transform.jobspec`). Construction validates everything, including loading the
merchant mapping, before any data is read: a bad value raises :class:`ConfigError` naming the
parameter and the problem.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Mapping

from . import io as sio
from .errors import ConfigError
from .jsonargs import parse_json_arg  # noqa: F401 - re-exported for the jobs and tests

RUN_MODES = ("fit", "apply", "fit_and_apply")
INPUT_FORMATS = ("csv", "tsv", "jsonl", "json", "parquet")


def parse_threshold(value: Any) -> float:
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        raise ConfigError("--anomaly_threshold", "must be a number in (0, 0.5]") from None
    if not (math.isfinite(threshold) and 0 < threshold <= 0.5):
        raise ConfigError("--anomaly_threshold", f"must be in (0, 0.5], got {threshold:g}")
    return threshold


@dataclass(frozen=True)
class PipelineConfig:
    source: sio.Location
    target: sio.Location
    quarantine: sio.Location
    artifacts: sio.Location
    pii: Any  # tokenization.PiiConfig
    binning: Any  # binning.BinningConfig
    merchant_mapping: Any  # merchant.MerchantMapping
    merchant_mapping_uri: str
    anomaly: Any  # anomaly.AnomalyConfig
    contamination: float
    run_mode: str = "fit_and_apply"
    input_format: str | None = None
    key_secret_id: str | None = None
    key_file: str | None = None
    raw_args: tuple[tuple[str, str], ...] = ()
    risk: Any = None  # risk.RiskConfig or None (no --risk_config: no risk gate)

    def __post_init__(self) -> None:
        if self.run_mode not in RUN_MODES:
            raise ConfigError("--run_mode", f"must be one of {', '.join(RUN_MODES)}, got {self.run_mode!r}")
        if self.input_format is not None and self.input_format not in INPUT_FORMATS:
            raise ConfigError("--input_format", f"must be one of {', '.join(INPUT_FORMATS)}, got {self.input_format!r}")

    @property
    def config_hash(self) -> str:
        """SHA-256 over the arguments that shape the output (not the run id or locations' secrets)."""
        material = json.dumps(dict(self.raw_args), sort_keys=True).encode()
        return hashlib.sha256(material).hexdigest()


# Arguments that decide the output of a run; their hash identifies a configuration in lineage.
_HASHED_ARGS = ("pii_columns", "binning_config", "merchant_mapping", "anomaly_threshold", "anomaly_config", "run_mode",
                "risk_config")


def pipeline_config_from_args(args: Mapping[str, Any], *, is_glue: bool = False, session: Any = None) -> PipelineConfig:
    """Validate every main_etl argument and load the mapping; nothing reads the data."""
    from .anomaly import parse_anomaly_config
    from .binning import parse_binning_config
    from .merchant import load_merchant_mapping
    from .risk import parse_risk_config
    from .tokenization import parse_pii_columns

    def loc(name: str) -> sio.Location:
        if not args.get(name):
            raise ConfigError(f"--{name}", "is required")
        return sio.parse_location(str(args[name]), f"--{name}", bare_name_is_bucket=is_glue)

    source = loc("source_bucket")
    target = loc("target_bucket")
    if source.uri.rstrip("/") == target.uri.rstrip("/"):
        raise ConfigError("--target_bucket", "must differ from --source_bucket")
    quarantine = loc("quarantine_bucket") if args.get("quarantine_bucket") else target.child("_quarantine")
    artifacts = loc("artifacts_location") if args.get("artifacts_location") else target.child("_artifacts")

    for required in ("pii_columns", "binning_config", "merchant_mapping", "anomaly_threshold"):
        if args.get(required) in (None, ""):
            raise ConfigError(f"--{required}", "is required")
    contamination = parse_threshold(args["anomaly_threshold"])
    pii = parse_pii_columns(parse_json_arg(args["pii_columns"], "--pii_columns"))
    binning = parse_binning_config(parse_json_arg(args["binning_config"], "--binning_config"))
    anomaly = parse_anomaly_config(parse_json_arg(args.get("anomaly_config"), "--anomaly_config"), contamination)
    risk = parse_risk_config(args.get("risk_config"))
    mapping_uri = str(args["merchant_mapping"])
    mapping = load_merchant_mapping(mapping_uri, session=session)
    if not is_glue and not args.get("key_file") and getattr(pii, "needs_key", False) and not args.get("key_secret_id"):
        raise ConfigError("--key_file", "is required: --pii_columns uses keyed methods and no key source was given")
    if is_glue and getattr(pii, "needs_key", False) and not args.get("key_secret_id"):
        raise ConfigError("--key_secret_id", "is required on AWS: --pii_columns uses keyed methods")
    raw = tuple(sorted((k, str(args[k])) for k in _HASHED_ARGS if args.get(k) is not None))
    return PipelineConfig(
        source=source, target=target, quarantine=quarantine, artifacts=artifacts, pii=pii, binning=binning,
        merchant_mapping=mapping, merchant_mapping_uri=mapping_uri, anomaly=anomaly, contamination=contamination,
        run_mode=str(args.get("run_mode") or "fit_and_apply"), input_format=args.get("input_format"),
        key_secret_id=args.get("key_secret_id"), key_file=args.get("key_file"), raw_args=raw, risk=risk,
    )
